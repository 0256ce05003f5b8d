import { ConfigError, runService } from '@mlms/service-kit';
import { buildApp } from './app.js';
import { loadArtSearchConfig } from './config/settings.js';

/** Process entry: load config (ENV picks the section), build, listen, shut down gracefully. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadArtSearchConfig>;
  try {
    config = loadArtSearchConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`art-search: ${error.message}\n`);
      process.exit(78); // EX_CONFIG: the configuration, not the code, is wrong.
    }
    throw error;
  }
  const app = await buildApp(config);
  await runService(app, {
    host: config.host,
    port: config.port,
    shutdownGraceMs: config.shutdownGraceMs,
    banner: (url) => [
      `art-search (ENV=${config.env}) listening on ${url}, Met API at ${config.metApiUrl}`,
      `API docs: ${url}/docs`,
      `Try it:   ${url}/api/search?title=The%20Death%20of%20Socrates`,
    ],
  });
}

await main();
