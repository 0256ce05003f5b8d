import { quietServiceTestSettings } from '../../../../test-support/config.js';
import type { ModelServerConfig } from '../../src/config/settings.js';

/** A complete configuration for tests: quiet logs, loopback, any free port. */
export function testConfig(overrides: Partial<ModelServerConfig> = {}): ModelServerConfig {
  return {
    ...quietServiceTestSettings,
    modelUri: 'unset',
    modelName: 'housing-price',
    modelVersion: '',
    sessionThreads: 1,
    batchingEnabled: true,
    batchMaxRows: 4096,
    maxBodyBytes: 10 * 1024 * 1024,
    requestTimeoutMs: 10_000,
    payloadLogEnabled: false,
    payloadLogFile: '/tmp/model-server-test-payloads.jsonl',
    ...overrides,
  };
}
