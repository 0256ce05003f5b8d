import type { AddressInfo } from 'node:net';
import type { ServiceApp } from '@mlms/service-kit';
import { buildApp } from '../../src/app.js';
import type { ModelServerConfig } from '../../src/config/settings.js';
import { testConfig } from './config.js';

export interface Reply {
  status: number;
  text: string;
  headers: Headers;
  json(): unknown;
}

export interface RunningServer {
  app: ServiceApp;
  url: string;
  get(path: string): Promise<Reply>;
  post(path: string, body: string | object, contentType?: string | null): Promise<Reply>;
  close(): Promise<void>;
}

/** The model server on an ephemeral loopback port, reached over real sockets. */
export async function startServer(overrides: Partial<ModelServerConfig>): Promise<RunningServer> {
  const app = await buildApp(testConfig(overrides));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const read = async (response: Response): Promise<Reply> => {
    const text = await response.text();
    return { status: response.status, text, headers: response.headers, json: () => JSON.parse(text) };
  };
  return {
    app,
    url,
    get: async (path) => read(await fetch(`${url}${path}`)),
    post: async (path, body, contentType = 'application/json') => {
      const headers: Record<string, string> = {};
      if (contentType !== null) headers['content-type'] = contentType;
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      return read(await fetch(`${url}${path}`, { method: 'POST', headers, body: payload }));
    },
    close: () => app.close(),
  };
}
