import { quietServiceTestSettings } from '../../../../test-support/config.js';
import type { OrchestratorConfig } from '../../src/config/settings.js';

/** A complete configuration for tests: quiet logs, loopback, short start-up back-off. */
export function testConfig(overrides: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
  return {
    ...quietServiceTestSettings,
    modelServer: {
      url: 'http://model-server.test',
      connectTimeoutMs: 500,
      timeoutMs: 5000,
      retries: 1,
      retryBaseDelayMs: 1,
      maxConnections: 8,
      maxResponseBytes: 1_048_576,
    },
    modelName: 'housing-price',
    userAgent: 'price-orchestrator-tests',
    startupRetryFirstDelayMs: 20,
    startupRetryMaxDelayMs: 100,
    readinessCacheMs: 0,
    maxBatchSize: 1000,
    coalesceSingleRequests: true,
    maxBodyBytes: 8 * 1024 * 1024,
    ...overrides,
  };
}
