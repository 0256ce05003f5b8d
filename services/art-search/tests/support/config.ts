import { quietServiceTestSettings } from '../../../../test-support/config.js';
import type { ArtSearchConfig } from '../../src/config/settings.js';

/** Settings a test changes; `met` keys are merged into the test's Met block, one at a time. */
export type TestConfigOverrides = Partial<Omit<ArtSearchConfig, 'met'>> & { met?: Partial<ArtSearchConfig['met']> };

/** A complete configuration for tests: quiet logs, short timeouts, no waiting between retries. */
export function testConfig(overrides: TestConfigOverrides = {}): ArtSearchConfig {
  const { met, ...rest } = overrides;
  return {
    ...quietServiceTestSettings,
    met: {
      url: 'http://met.test',
      connectTimeoutMs: 500,
      timeoutMs: 1000,
      retries: 1,
      retryBaseDelayMs: 1,
      maxConnections: 8,
      maxResponseBytes: 1_048_576,
      maxRequestsPerSecond: 0,
      refusalCooldownMs: 0,
      ...met,
    },
    userAgent: 'art-search-tests',
    cacheEnabled: false,
    cacheMaxEntries: 100,
    cacheObjectTtlSeconds: 3600,
    cacheSearchTtlSeconds: 300,
    cacheNotFoundTtlSeconds: 300,
    cacheMaxStaleSeconds: 0,
    searchMaxCandidates: 5,
    searchConcurrency: 3,
    readinessCacheMs: 0,
    ...rest,
  };
}
