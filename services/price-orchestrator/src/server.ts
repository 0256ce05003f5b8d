import { runServiceMain } from '@mlms/service-kit';
import { buildOrchestrator, type OrchestratorApp, SERVICE_NAME } from './app.js';
import { loadOrchestratorConfig } from './config/settings.js';

let orchestrator: OrchestratorApp | undefined;

/**
 * Process entry: load config, build, listen (not ready yet), then wait for the model server and check its signature;
 * a mismatch stops the process with exit 78 listing the differing columns.
 */
await runServiceMain({
  name: SERVICE_NAME,
  loadConfig: loadOrchestratorConfig,
  buildApp: async (config) => {
    orchestrator = await buildOrchestrator(config);
    return orchestrator.app;
  },
  banner: (url, config) => [
    `price-orchestrator (ENV=${config.env}) listening on ${url}, model server at ${config.modelServer.url}`,
    `API docs: ${url}/docs`,
  ],
  afterListen: async () => orchestrator?.waitForModel(),
});
