import type { AddressInfo } from 'node:net';
import { buildApp as buildModelServer, type ModelServerConfig } from '@mlms/model-server';
import type { ServiceApp } from '@mlms/service-kit';
import { testConfig as modelServerTestConfig } from '../../../model-server/tests/support/config.js';
import { buildOrchestrator, type OrchestratorApp } from '../../src/app.js';
import type { OrchestratorConfig } from '../../src/config/settings.js';
import { testConfig } from './config.js';

export interface Reply {
  status: number;
  text: string;
  json(): unknown;
}

async function post(url: string, body: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** The real model server (the neighbouring service) on a loopback port, serving a model directory. */
export async function startModelServer(
  modelUri: string,
  overrides: Partial<ModelServerConfig> = {},
  port = 0,
): Promise<{ app: ServiceApp; url: string; port: number; post(path: string, body: unknown): Promise<Reply> }> {
  const app = await buildModelServer(modelServerTestConfig({ port, modelUri, ...overrides }));
  await app.listen({ host: '127.0.0.1', port });
  const bound = (app.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${bound}`;
  return { app, url, port: bound, post: (path, body) => post(`${url}${path}`, body) };
}

export interface RunningOrchestrator extends OrchestratorApp {
  url: string;
  get(path: string): Promise<Reply>;
  post(path: string, body: unknown): Promise<Reply>;
}

/** The orchestrator on a loopback port, pointed at a model server URL; the signature check is the caller's to run. */
export async function startOrchestrator(
  modelServerUrl: string,
  overrides: Partial<OrchestratorConfig> = {},
): Promise<RunningOrchestrator> {
  const base = testConfig();
  const orchestrator = await buildOrchestrator(
    testConfig({ ...overrides, modelServer: { ...base.modelServer, url: modelServerUrl, ...overrides.modelServer } }),
  );
  await orchestrator.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(orchestrator.app.server.address() as AddressInfo).port}`;
  return {
    ...orchestrator,
    url,
    get: async (path) => {
      const response = await fetch(`${url}${path}`);
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
    post: (path, body) => post(`${url}${path}`, body),
  };
}
