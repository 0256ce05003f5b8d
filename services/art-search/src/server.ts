import { runServiceMain } from '@mlms/service-kit';
import { buildApp, SERVICE_NAME } from './app.js';
import { loadArtSearchConfig } from './config/settings.js';

/** Process entry: load config (ENV picks the section), build, listen, shut down gracefully. */
await runServiceMain({
  name: SERVICE_NAME,
  loadConfig: loadArtSearchConfig,
  buildApp,
  banner: (url, config) => [
    `art-search (ENV=${config.env}) listening on ${url}, Met API at ${config.met.url}`,
    `API docs: ${url}/docs`,
    `MCP:      ${url}/mcp (Streamable HTTP)`,
    `Try it:   ${url}/api/search?title=The%20Death%20of%20Socrates`,
  ],
});
