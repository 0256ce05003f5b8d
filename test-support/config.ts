import type { BaseServiceConfig } from '@mlms/service-kit';

/**
 * The settings every service's test configuration starts from: the test environment, quiet logs, loopback, any free
 * port and a short shutdown grace.
 */
export const quietServiceTestSettings: BaseServiceConfig & { env: string } = {
  env: 'test',
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  logPretty: false,
  shutdownDrainMs: 0,
  shutdownGraceMs: 1000,
  requestTimeoutMs: 5000,
  maxOpenConnections: 1024,
  headersTimeoutMs: 10000,
  keepAliveTimeoutMs: 10000,
};
