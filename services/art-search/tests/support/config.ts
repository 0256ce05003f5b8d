import type { ArtSearchConfig } from '../../src/config/settings.js';

/** A complete configuration for tests: quiet logs, short timeouts, no waiting between retries. */
export function testConfig(overrides: Partial<ArtSearchConfig> = {}): ArtSearchConfig {
  return {
    env: 'test',
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    logPretty: false,
    shutdownGraceMs: 1000,
    metApiUrl: 'http://met.test',
    metConnectTimeoutMs: 500,
    metTimeoutMs: 1000,
    metRetries: 1,
    metRetryBaseDelayMs: 1,
    metMaxConnections: 8,
    metMaxRequestsPerSecond: 0,
    metRefusalCooldownMs: 0,
    userAgent: 'art-search-tests',
    cacheEnabled: false,
    cacheMaxEntries: 100,
    cacheObjectTtlSeconds: 3600,
    cacheSearchTtlSeconds: 300,
    searchMaxCandidates: 5,
    searchConcurrency: 3,
    readinessCacheMs: 0,
    ...overrides,
  };
}
