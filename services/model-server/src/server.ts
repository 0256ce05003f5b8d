import { runServiceMain } from '@mlms/service-kit';
import { buildApp, SERVICE_NAME } from './app.js';
import { loadModelServerConfig } from './config/settings.js';

/** Process entry: load config and the model (a model that cannot serve exits 78), listen, shut down gracefully. */
await runServiceMain({
  name: SERVICE_NAME,
  loadConfig: loadModelServerConfig,
  buildApp,
  banner: (url, config) => [
    `model-server (ENV=${config.env}) listening on ${url}, serving ${config.modelUri}`,
    `API docs: ${url}/docs`,
    `Try it:   curl -X POST ${url}/invocations -H 'Content-Type: application/json' -d @${config.modelUri}/serving_input_example.json`,
  ],
});
