import type { AddressInfo } from 'node:net';
import { createMetEmulator, type MetEmulator } from '@mlms/met-emulator';
import type { ServiceApp } from '@mlms/service-kit';
import { buildApp } from '../../src/app.js';
import { type TestConfigOverrides, testConfig } from './config.js';

export interface RunningStack {
  emulator: MetEmulator;
  app: ServiceApp;
  /** Base URL of art-search on its loopback port. */
  url: string;
  get(path: string): Promise<{ status: number; body: string; json: () => unknown; headers: Headers }>;
  close(): Promise<void>;
}

/** The Met emulator and art-search, each on its own ephemeral loopback port, talking over real sockets. */
export async function startStack(overrides: TestConfigOverrides = {}): Promise<RunningStack> {
  const emulator = await createMetEmulator();
  const metUrl = await emulator.listen({ host: '127.0.0.1', port: 0 });
  const app = await buildApp(testConfig({ ...overrides, met: { url: metUrl, ...overrides.met } }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    emulator,
    app,
    url,
    async get(path) {
      const response = await fetch(`${url}${path}`);
      const body = await response.text();
      return { status: response.status, body, json: () => JSON.parse(body), headers: response.headers };
    },
    async close() {
      await app.close();
      await emulator.close();
    },
  };
}
