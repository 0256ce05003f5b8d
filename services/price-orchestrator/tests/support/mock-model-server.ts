import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamClient, type UpstreamConfig } from '@mlms/service-kit';
import { MockAgent } from 'undici';
import { MODEL_SERVER } from '../../src/http/routes.js';
import { MlflowModelProvider } from '../../src/provider/mlflow-model-provider.js';
import { HOUSE_FIELDS } from '../../src/views/house-fields.js';
import type { V2ModelMetadata } from '../../src/views/model-server.js';
import { testConfig } from './config.js';

/** The model server's origin in `testConfig()`: what MockAgent intercepts. */
export const MODEL_SERVER_ORIGIN = new URL(testConfig().modelServer.url).origin;

export const json = { headers: { 'content-type': 'application/json' } };

export type MockModelServer = ReturnType<MockAgent['get']>;

/** undici's MockAgent standing in for the model server; nothing reaches the network. */
export function mockModelServer(): { agent: MockAgent; server: MockModelServer } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return { agent, server: agent.get(MODEL_SERVER_ORIGIN) };
}

/** The `dataframe_split` body the provider sent, parsed. */
export function sentFrame(body: unknown): { columns: string[]; data: unknown[][] } {
  return (JSON.parse(String(body)) as { dataframe_split: { columns: string[]; data: unknown[][] } }).dataframe_split;
}

/**
 * Scores every `/invocations` call with one prediction per row it was sent (`price(row index)`), for as many calls
 * as come; returns the row counts of the calls.
 */
export function answerEveryRow(server: MockModelServer, price: (index: number) => number = (index) => 100_000 + index) {
  const rowCounts: number[] = [];
  server
    .intercept({ path: '/invocations', method: 'POST' })
    .reply((options) => {
      const { data } = sentFrame(options.body);
      rowCounts.push(data.length);
      return { statusCode: 200, data: { predictions: data.map((_row, index) => price(index)) }, responseOptions: json };
    })
    .persist();
  return rowCounts;
}

/** V2 metadata of a model whose inputs are exactly the columns the service sends. */
export function matchingMetadata(versions: string[] = ['7']): V2ModelMetadata {
  return {
    name: 'housing-price',
    versions,
    platform: 'onnx',
    inputs: HOUSE_FIELDS.map((field) => ({
      name: field.column,
      datatype: field.kind === 'number' ? 'FP64' : 'BYTES',
      shape: [-1],
    })),
    outputs: [{ name: 'variable', datatype: 'FP32', shape: [-1, 1] }],
  };
}

/** A provider on a client whose wire is the MockAgent, as the app builds it (name, retries, timeouts). */
export function providerWithMockModelServer(client: Partial<UpstreamConfig> = {}, modelName = 'housing-price') {
  const { agent, server } = mockModelServer();
  const upstream = new UpstreamClient({
    name: MODEL_SERVER,
    ...testConfig().modelServer,
    ...client,
    userAgent: 'price-orchestrator-tests',
    dispatcher: agent,
    random: () => 0.5,
  });
  return {
    provider: new MlflowModelProvider(upstream, modelName),
    agent,
    server,
    close: () => agent.close(),
  };
}

/** A loopback URL where nothing listens: a port that was bound a moment ago, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
