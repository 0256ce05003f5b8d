import { UpstreamClient } from '@mlms/service-kit';
import { MockAgent } from 'undici';
import { type MetCacheSettings, MetProvider } from '../../src/provider/met-provider.js';

export const MET_ORIGIN = 'http://met.test';
export const API = '/public/collection/v1';

/** A provider whose HTTP goes to undici's MockAgent: the wire is faked, everything above it is real. */
export function providerWithMockMet(
  cache: Partial<MetCacheSettings> = {},
  client: { timeoutMs?: number; retries?: number } = {},
): { provider: MetProvider; agent: MockAgent; met: ReturnType<MockAgent['get']>; close: () => Promise<void> } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const upstream = new UpstreamClient({
    name: 'Met Collection API',
    url: MET_ORIGIN,
    connectTimeoutMs: 200,
    maxResponseBytes: 1_048_576,
    timeoutMs: client.timeoutMs ?? 1000,
    retries: client.retries ?? 1,
    retryBaseDelayMs: 1,
    maxConnections: 4,
    refusalCooldown: { cooldownMs: 0 },
    userAgent: 'art-search-tests',
    dispatcher: agent,
  });
  const provider = new MetProvider(upstream, {
    enabled: false,
    maxEntries: 100,
    objectTtlMs: 60_000,
    searchTtlMs: 60_000,
    ...cache,
  });
  return { provider, agent, met: agent.get(MET_ORIGIN), close: () => agent.close() };
}

export const json = { headers: { 'content-type': 'application/json' } };
