import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createServiceMetrics,
  runWithDeadline,
  type ServiceMetrics,
  UpstreamClient,
  type UpstreamClientOptions,
  UpstreamError,
  UpstreamTimeoutError,
} from '@mlms/service-kit';
import { errors, MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseSamples } from './support/prometheus.js';

const ORIGIN = 'http://met.test';
const BASE_PATH = '/public/collection/v1';
const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
const HTML_HEADERS = { headers: { 'content-type': 'text/html; charset=utf-8' } };

const objectSchema = z.object({ objectID: z.number(), title: z.string(), primaryImage: z.string() });
const socrates = { objectID: 436105, title: 'The Death of Socrates', primaryImage: 'https://images.test/socrates.jpg' };

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const baseOptions: UpstreamClientOptions = {
  name: 'Met',
  url: `${ORIGIN}${BASE_PATH}`,
  connectTimeoutMs: 500,
  timeoutMs: 2_000,
  maxResponseBytes: 1_048_576,
  retries: 1,
  retryBaseDelayMs: 1,
  maxConnections: 2,
  refusalCooldown: { cooldownMs: 60_000 },
  userAgent: 'service-kit-tests',
  random: () => 0.5,
};

/** A client whose wire is undici's MockAgent, with its own metrics; the agent is closed after the test. */
function mockedClient(overrides: Partial<UpstreamClientOptions> = {}): {
  client: UpstreamClient;
  agent: MockAgent;
  met: ReturnType<MockAgent['get']>;
  metrics: ServiceMetrics;
} {
  const agent = new MockAgent();
  agent.disableNetConnect();
  cleanups.push(() => agent.close());
  const metrics = createServiceMetrics('client-test');
  const client = new UpstreamClient({ ...baseOptions, metrics, dispatcher: agent, ...overrides });
  return { client, agent, met: agent.get(ORIGIN), metrics };
}

/** `[endpoint, outcome, count]` of every upstream call recorded, read back from the Prometheus text. */
async function recordedOutcomes(metrics: ServiceMetrics): Promise<[string, string, number][]> {
  const text = await metrics.registry.getSingleMetricAsString('upstream_request_duration_seconds');
  return parseSamples(text)
    .filter((sample) => sample.name === 'upstream_request_duration_seconds_count')
    .map((sample) => [sample.labels.endpoint ?? '', sample.labels.outcome ?? '', sample.value]);
}

/** Awaits `promise`, expecting it to reject, and returns the rejection. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected the call to fail');
}

function socketError(code: string, message = `read ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** Wraps an error the way undici and fetch do, with the OS error as the cause. */
function wrapped(cause: Error): Error {
  return new TypeError('fetch failed', { cause });
}

/** A real HTTP server on a loopback port, closed after the test. */
async function startServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ origin: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server };
}

/** A client with its own connection pool, as services build it, closed after the test. */
function pooledClient(origin: string, overrides: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const client = new UpstreamClient({ ...baseOptions, url: origin, ...overrides });
  cleanups.push(() => client.close());
  return client;
}

describe('UpstreamClient.url', () => {
  it('joins the base path and the path, with the query in the given order', () => {
    // Given
    const { client } = mockedClient();

    // When
    const url = client.url('/search', [
      ['title', 'true'],
      ['hasImages', 'true'],
      ['q', 'The Death of Socrates'],
    ]);

    // Then
    expect(url.href).toBe(`${ORIGIN}${BASE_PATH}/search?title=true&hasImages=true&q=The+Death+of+Socrates`);
  });

  it.each([
    [`${ORIGIN}${BASE_PATH}`, 'objects/1'],
    [`${ORIGIN}${BASE_PATH}/`, '/objects/1'],
    [`${ORIGIN}${BASE_PATH}/`, 'objects/1'],
  ])('builds the same URL from base %s and path %s', (baseUrl, path) => {
    // Given
    const { client } = mockedClient({ url: baseUrl });

    // When
    const url = client.url(path);

    // Then
    expect(url.href).toBe(`${ORIGIN}${BASE_PATH}/objects/1`);
  });

  it('keeps repeated query keys and encodes reserved characters', () => {
    // Given
    const { client } = mockedClient({ url: ORIGIN });

    // When
    const url = client.url('search', [
      ['medium', 'Paintings|Sculpture'],
      ['q', 'a&b=c'],
      ['q', 'second'],
    ]);

    // Then
    expect(url.href).toBe(`${ORIGIN}/search?medium=Paintings%7CSculpture&q=a%26b%3Dc&q=second`);
  });

  it('exposes the upstream name', () => {
    // Given
    const { client } = mockedClient({ name: 'Met Collection API' });

    // When
    const { name } = client;

    // Then
    expect(name).toBe('Met Collection API');
  });
});

describe('UpstreamClient.getJson answers', () => {
  it('returns a 200 body parsed and validated, sending accept and user-agent headers', async () => {
    // Given
    const { client, met } = mockedClient();
    met
      .intercept({
        path: `${BASE_PATH}/objects/436105`,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'service-kit-tests' },
      })
      .reply(200, { ...socrates, department: 'European Paintings' }, JSON_HEADERS);

    // When
    const response = await client.getJson('/objects/436105', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: socrates });
  });

  it('sends the query parameters in the order given', async () => {
    // Given
    const { client, met } = mockedClient();
    const sentPaths: string[] = [];
    met.intercept({ path: (path) => path.startsWith(`${BASE_PATH}/search?`), method: 'GET' }).reply((request) => {
      sentPaths.push(request.path);
      return { statusCode: 200, data: { total: 0, objectIDs: null }, responseOptions: JSON_HEADERS };
    });
    const query = [
      ['title', 'true'],
      ['hasImages', 'true'],
      ['q', 'socrates'],
    ] as const;

    // When
    await client.getJson('search', { endpoint: 'search', query, schema: z.unknown() });

    // Then
    expect(sentPaths).toEqual([`${BASE_PATH}/search?title=true&hasImages=true&q=socrates`]);
  });

  it('returns a pass-through status with its JSON body instead of throwing', async () => {
    // Given
    const { client, met } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/999`, method: 'GET' })
      .reply(404, { message: 'ObjectID not found' }, JSON_HEADERS);

    // When
    const response = await client.getJson('objects/999', {
      endpoint: 'object',
      schema: objectSchema,
      passThroughStatuses: [404],
    });

    // Then
    expect(response).toEqual({ ok: false, status: 404, body: { message: 'ObjectID not found' } });
  });

  it('returns a pass-through status with a non-JSON body as text', async () => {
    // Given
    const { client, met } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/999`, method: 'GET' }).reply(404, 'Not Found', HTML_HEADERS);

    // When
    const response = await client.getJson('objects/999', {
      endpoint: 'object',
      schema: objectSchema,
      passThroughStatuses: [404],
    });

    // Then
    expect(response).toEqual({ ok: false, status: 404, body: 'Not Found' });
  });

  it('throws a status UpstreamError for a 4xx that is not passed through, without retrying', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/999`, method: 'GET' })
      .reply(404, {}, JSON_HEADERS)
      .times(2);

    // When
    const error = await rejectionOf(client.getJson('objects/999', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      kind: 'status',
      upstreamStatus: 404,
      statusCode: 502,
      message: 'Met answered HTTP 404.',
    });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('throws malformed_body for a 200 whose body is not JSON', async () => {
    // Given
    const { client, met } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, '{"objectID": 1,', JSON_HEADERS);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'malformed_body', upstreamStatus: 200 });
    expect((error as Error).message).toBe('Met answered with a body that is not valid JSON.');
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('throws unexpected_shape naming the path of the first mismatch', async () => {
    // Given
    const { client, met } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, { ...socrates, primaryImage: 42 }, JSON_HEADERS);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'unexpected_shape', upstreamStatus: 200 });
    expect((error as Error).message).toMatch(/^Met answered with JSON of an unexpected shape at primaryImage: .+\.$/);
  });

  it('names a nested path, and no path when the whole body has the wrong shape', async () => {
    // Given
    const { client, met } = mockedClient();
    const schema = z.object({ objectIDs: z.array(z.number()) });
    met.intercept({ path: `${BASE_PATH}/a`, method: 'GET' }).reply(200, { objectIDs: [1, 'two'] }, JSON_HEADERS);
    met.intercept({ path: `${BASE_PATH}/b`, method: 'GET' }).reply(200, [1, 2], JSON_HEADERS);

    // When
    const nested = await rejectionOf(client.getJson('a', { endpoint: 'a', schema }));
    const whole = await rejectionOf(client.getJson('b', { endpoint: 'b', schema }));

    // Then
    expect((nested as Error).message).toContain('unexpected shape at objectIDs.1:');
    expect((whole as Error).message).toMatch(/^Met answered with JSON of an unexpected shape: /);
  });
});

describe('UpstreamClient.getJson retries', () => {
  it('retries a 5xx once and returns the answer of the retry', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(503, 'busy');
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: socrates });
    expect(agent.pendingInterceptors()).toEqual([]);
  });

  it('gives up after one retry with a status UpstreamError (502) carrying the upstream status', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(502, 'bad gateway')
      .times(3);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 502, statusCode: 502, upstream: 'Met' });
    expect((error as Error).message).toBe('Met answered HTTP 502.');
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('makes exactly 1 + retries attempts', async () => {
    // Given
    const { client, met, agent } = mockedClient({ retries: 3 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(500, 'oops')
      .times(5);

    // When
    await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('does not retry when retries is 0', async () => {
    // Given
    const { client, met, agent } = mockedClient({ retries: 0 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(500, 'oops')
      .times(2);

    // When
    await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it.each([
    ['ECONNRESET', () => socketError('ECONNRESET')],
    ['undici SocketError', () => new errors.SocketError('other side closed')],
    ['ECONNRESET in the cause', () => wrapped(socketError('ECONNRESET'))],
  ])('retries a connection dropped with %s', async (_case, dropped) => {
    // Given
    const { client, met, agent } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).replyWithError(dropped());
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response.ok).toBe(true);
    expect(agent.pendingInterceptors()).toEqual([]);
  });

  it('throws a connection UpstreamError when the connection drops on every attempt', async () => {
    // Given
    const { client, met } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .replyWithError(socketError('ECONNRESET'))
      .times(2);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'connection', statusCode: 502, message: 'Met dropped the connection.' });
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it.each([
    ['ECONNREFUSED', () => socketError('ECONNREFUSED'), 'refused', 'Met refused the connection.'],
    [
      'ECONNREFUSED two causes down',
      () => wrapped(wrapped(socketError('ECONNREFUSED'))),
      'refused',
      'Met refused the connection.',
    ],
    ['ENOTFOUND', () => socketError('ENOTFOUND'), 'connection', 'Met could not be resolved.'],
    ['EAI_AGAIN', () => socketError('EAI_AGAIN'), 'connection', 'Met could not be resolved.'],
  ])('does not retry %s', async (_case, failure, kind, message) => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .replyWithError(failure())
      .times(2);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind, message, statusCode: 502 });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('does not retry a body of the wrong shape', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, {}, JSON_HEADERS)
      .times(2);

    // When
    await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });
});

describe('UpstreamClient.postJson', () => {
  const scoreSchema = z.object({ predictions: z.array(z.number()) });
  const scoring = { dataframe_split: { columns: ['rooms', 'area'], data: [[3, 71.5]] } };

  /** Records the body and headers of every POST to `path`, answering each with the next of `answers`. */
  function recordPosts(
    met: ReturnType<MockAgent['get']>,
    path: string,
    ...answers: [number, unknown][]
  ): { bodies: string[]; headers: Record<string, string>[] } {
    const sent: { bodies: string[]; headers: Record<string, string>[] } = { bodies: [], headers: [] };
    for (const [statusCode, data] of answers) {
      met.intercept({ path, method: 'POST' }).reply((request) => {
        sent.bodies.push(String(request.body));
        sent.headers.push(request.headers as Record<string, string>);
        return { statusCode, data: data as object, responseOptions: JSON_HEADERS };
      });
    }
    return sent;
  }

  it('sends an object serialised once as JSON, with a JSON content type, and validates the answer', async () => {
    // Given
    const { client, met } = mockedClient();
    const sent = recordPosts(met, `${BASE_PATH}/invocations`, [200, { predictions: [412_000.5] }]);

    // When
    const response = await client.postJson('invocations', {
      endpoint: 'invocations',
      body: scoring,
      schema: scoreSchema,
    });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: { predictions: [412_000.5] } });
    expect(sent.bodies).toEqual([JSON.stringify(scoring)]);
    expect(sent.headers[0]).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'service-kit-tests',
    });
  });

  it.each([
    ['a string, as it is', '{ "inputs" : [ [1, 2.50] ] }', '{ "inputs" : [ [1, 2.50] ] }'],
    ['an array, serialised', [{ rooms: 3 }, { rooms: 4 }], '[{"rooms":3},{"rooms":4}]'],
    ['text beyond ASCII, as UTF-8', { city: 'Zürich – €' }, '{"city":"Zürich – €"}'],
  ])('sends %s byte for byte', async (_case, body, expected) => {
    // Given
    const { client, met } = mockedClient();
    const sent = recordPosts(met, `${BASE_PATH}/invocations`, [200, { predictions: [] }]);

    // When
    await client.postJson('/invocations', { endpoint: 'invocations', body, schema: scoreSchema });

    // Then
    expect(sent.bodies).toEqual([expected]);
  });

  it.each([
    ['a 5xx', (interceptor: ReturnType<ReturnType<MockAgent['get']>['intercept']>) => interceptor.reply(503, 'busy')],
    [
      'a dropped connection',
      (interceptor: ReturnType<ReturnType<MockAgent['get']>['intercept']>) =>
        interceptor.replyWithError(socketError('ECONNRESET')),
    ],
  ])('does not retry a POST after %s unless it is idempotent', async (_case, fail) => {
    // Given
    const { client, met, agent } = mockedClient({ retries: 3 });
    fail(met.intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' }));
    met.intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' }).reply(200, { predictions: [1] }, JSON_HEADERS);

    // When
    const error = await rejectionOf(
      client.postJson('invocations', { endpoint: 'invocations', body: scoring, schema: scoreSchema }),
    );

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('retries an idempotent POST after a 5xx and a dropped connection, sending the same bytes each time', async () => {
    // Given
    const { client, met } = mockedClient({ retries: 2 });
    const sent = recordPosts(met, `${BASE_PATH}/invocations`, [503, 'busy']);
    met.intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' }).replyWithError(socketError('ECONNRESET'));
    const retried = recordPosts(met, `${BASE_PATH}/invocations`, [200, { predictions: [1] }]);

    // When
    const response = await client.postJson('invocations', {
      endpoint: 'invocations',
      body: scoring,
      schema: scoreSchema,
      idempotent: true,
    });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: { predictions: [1] } });
    expect([...sent.bodies, ...retried.bodies]).toEqual([JSON.stringify(scoring), JSON.stringify(scoring)]);
  });

  it('gives up on an idempotent POST after 1 + retries attempts, with the last status', async () => {
    // Given
    const { client, met, agent } = mockedClient({ retries: 1 });
    met
      .intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' })
      .reply(500, 'oops')
      .times(3);

    // When
    const error = await rejectionOf(
      client.postJson('invocations', { endpoint: 'invocations', body: scoring, schema: scoreSchema, idempotent: true }),
    );

    // Then
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 500, message: 'Met answered HTTP 500.' });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('does not retry an idempotent POST answered 4xx', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' })
      .reply(400, { error_code: 'BAD_REQUEST' }, JSON_HEADERS)
      .times(2);

    // When
    const error = await rejectionOf(
      client.postJson('invocations', { endpoint: 'invocations', body: scoring, schema: scoreSchema, idempotent: true }),
    );

    // Then
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 400 });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it("returns a pass-through 4xx with its JSON body, e.g. MLflow's error", async () => {
    // Given
    const { client, met } = mockedClient();
    const mlflowError = { error_code: 'BAD_REQUEST', message: 'Expected "dataframe_split", got "rows".' };
    met.intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' }).reply(400, mlflowError, JSON_HEADERS);

    // When
    const response = await client.postJson('invocations', {
      endpoint: 'invocations',
      body: { rows: [] },
      schema: scoreSchema,
      passThroughStatuses: [400],
    });

    // Then
    expect(response).toEqual({ ok: false, status: 400, body: mlflowError });
  });

  it('throws UpstreamTimeoutError when the answer is late, and records the endpoint and outcome', async () => {
    // Given
    const { client, met, metrics } = mockedClient({ timeoutMs: 50 });
    met
      .intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' })
      .reply(200, { predictions: [1] }, JSON_HEADERS)
      .delay(5_000);
    met.intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' }).reply(200, { predictions: [1] }, JSON_HEADERS);

    // When
    const error = await rejectionOf(
      client.postJson('invocations', { endpoint: 'invocations', body: scoring, schema: scoreSchema }),
    );
    await client.postJson('invocations', { endpoint: 'invocations', body: scoring, schema: scoreSchema });

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50, message: 'Met did not answer within 50 ms.' });
    expect(await recordedOutcomes(metrics)).toEqual([
      ['invocations', 'timeout', 1],
      ['invocations', 'ok', 1],
    ]);
  });

  it('posts over a real socket with the content length of the UTF-8 bytes', async () => {
    // Given
    const received: { method?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const { origin } = await startServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"predictions":[1.5]}');
      });
    });
    const client = pooledClient(`${origin}/model`);
    const body = '{"inputs":[["Zürich",3]]}';

    // When
    const response = await client.postJson('invocations', { endpoint: 'invocations', body, schema: scoreSchema });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: { predictions: [1.5] } });
    expect(received).toEqual([
      {
        method: 'POST',
        body,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        }),
      },
    ]);
  });
});

describe('UpstreamClient.getJson timeouts', () => {
  it('throws UpstreamTimeoutError (504) when no answer arrives within timeoutMs, without retrying', async () => {
    // Given
    const { client, met, agent } = mockedClient({ timeoutMs: 50 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, socrates, JSON_HEADERS)
      .delay(5_000)
      .times(2);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ statusCode: 504, timeoutMs: 50, upstream: 'Met' });
    expect((error as Error).message).toBe('Met did not answer within 50 ms.');
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it.each([
    ['headers', () => new errors.HeadersTimeoutError(), 2_000],
    ['body', () => new errors.BodyTimeoutError(), 2_000],
    ['connect', () => new errors.ConnectTimeoutError(), 500],
  ])("turns undici's %s timeout into UpstreamTimeoutError with the matching limit", async (_kind, timeout, limit) => {
    // Given
    const { client, met } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).replyWithError(timeout());

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ timeoutMs: limit });
  });
});

describe('UpstreamClient.getJson bot protection', () => {
  it('turns a 403 HTML page into bot_protection and then fails fast with backing_off during the cooldown', async () => {
    // Given
    const { client, met, agent } = mockedClient({ refusalCooldown: { cooldownMs: 60_000 } });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(403, '<html>Access Denied</html>', HTML_HEADERS)
      .times(2);

    // When
    const refused = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));
    const backingOff = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(refused).toMatchObject({ kind: 'bot_protection', upstreamStatus: 403, statusCode: 502 });
    expect((refused as Error).message).toContain('bot-protection page (HTTP 403)');
    expect(backingOff).toBeInstanceOf(UpstreamError);
    expect(backingOff).toMatchObject({ kind: 'backing_off', statusCode: 502 });
    expect((backingOff as Error).message).toContain('not calling it again for 60 s');
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('calls the upstream again once the cooldown has passed', async () => {
    // Given
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client, met } = mockedClient({ refusalCooldown: { cooldownMs: 30_000 } });
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(403, '<html/>', HTML_HEADERS);
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);
    await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // When
    vi.setSystemTime(Date.now() + 29_999);
    const stillBackingOff = await rejectionOf(
      client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }),
    );
    vi.setSystemTime(Date.now() + 1);
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(stillBackingOff).toMatchObject({ kind: 'backing_off' });
    expect((stillBackingOff as Error).message).toContain('for 1 s');
    expect(response.ok).toBe(true);
  });

  it('treats a 403 HTML page as an ordinary status error when the client has no refusal cooldown', async () => {
    // Given
    const { client, met } = mockedClient({ refusalCooldown: undefined });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(403, '<html>Access Denied</html>', HTML_HEADERS);
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));
    const next = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 403, message: 'Met answered HTTP 403.' });
    expect(next.ok).toBe(true);
  });

  it('applies the refusal cooldown to POSTs too', async () => {
    // Given
    const { client, met, agent } = mockedClient();
    met
      .intercept({ path: `${BASE_PATH}/invocations`, method: 'POST' })
      .reply(403, '<html>Access Denied</html>', HTML_HEADERS)
      .times(2);
    const post = () => client.postJson('invocations', { endpoint: 'invocations', body: {}, schema: z.unknown() });

    // When
    const refused = await rejectionOf(post());
    const backingOff = await rejectionOf(post());

    // Then
    expect(refused).toMatchObject({ kind: 'bot_protection' });
    expect(backingOff).toMatchObject({ kind: 'backing_off' });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('treats a 403 with a JSON body as an ordinary status error, without a cooldown', async () => {
    // Given
    const { client, met } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(403, { message: 'no' }, JSON_HEADERS);
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));
    const next = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 403 });
    expect(next.ok).toBe(true);
  });
});

describe('UpstreamClient metrics', () => {
  it('records one duration per call, labelled by endpoint and outcome', async () => {
    // Given
    // Long enough for the quick answers on a loaded machine; the 'slow' one never comes.
    const { client, met, metrics } = mockedClient({ timeoutMs: 500 });
    const path = (name: string) => `${BASE_PATH}/${name}`;
    met.intercept({ path: path('ok'), method: 'GET' }).reply(200, socrates, JSON_HEADERS);
    met.intercept({ path: path('missing'), method: 'GET' }).reply(404, {}, JSON_HEADERS);
    met
      .intercept({ path: path('broken'), method: 'GET' })
      .reply(500, '')
      .times(2);
    met
      .intercept({ path: path('slow'), method: 'GET' })
      .reply(200, socrates, JSON_HEADERS)
      .delay(5_000);
    met.intercept({ path: path('odd'), method: 'GET' }).reply(200, {}, JSON_HEADERS);
    met.intercept({ path: path('garbled'), method: 'GET' }).reply(200, '<', JSON_HEADERS);
    met.intercept({ path: path('refused'), method: 'GET' }).reply(403, '<html/>', HTML_HEADERS);
    const call = (endpoint: string) =>
      client.getJson(endpoint, { endpoint, schema: objectSchema, passThroughStatuses: [404] }).catch(() => undefined);

    // When
    for (const endpoint of ['ok', 'missing', 'broken', 'slow', 'odd', 'garbled', 'refused', 'after-refusal']) {
      await call(endpoint);
    }

    // Then
    expect(await recordedOutcomes(metrics)).toEqual([
      ['ok', 'ok', 1],
      ['missing', 'http_404', 1],
      ['broken', 'status', 1],
      ['slow', 'timeout', 1],
      ['odd', 'unexpected_shape', 1],
      ['garbled', 'malformed_body', 1],
      ['refused', 'bot_protection', 1],
      ['after-refusal', 'backing_off', 1],
    ]);
  });

  it('labels a dropped connection "connection"', async () => {
    // Given
    const { client, met, metrics } = mockedClient({ retries: 0 });
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).replyWithError(socketError('ECONNRESET'));

    // When
    await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(await recordedOutcomes(metrics)).toEqual([['object', 'connection', 1]]);
  });

  it('works without metrics', async () => {
    // Given
    const { client, met } = mockedClient({ metrics: undefined });
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response.ok).toBe(true);
  });
});

describe('UpstreamClient on a real loopback socket', () => {
  it('retries a request whose socket the server destroys, on a fresh connection', async () => {
    // Given
    let requests = 0;
    const { origin } = await startServer((request, response) => {
      requests += 1;
      if (requests === 1) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(socrates));
    });
    const client = pooledClient(origin);

    // When
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response).toEqual({ ok: true, status: 200, data: socrates });
    expect(requests).toBe(2);
  });

  it('throws a connection UpstreamError when every attempt is cut off', async () => {
    // Given
    let requests = 0;
    const { origin } = await startServer((request) => {
      requests += 1;
      request.socket.destroy();
    });
    const client = pooledClient(origin);

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'connection', message: 'Met dropped the connection.' });
    expect(requests).toBe(2);
  });

  it('reports a refused connection as its own kind, without retrying', async () => {
    // Given a port that was just free
    const { origin, server } = await startServer(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const metrics = createServiceMetrics('client-test');
    const client = pooledClient(origin, { metrics, retries: 3, retryBaseDelayMs: 10_000 });
    const started = performance.now();

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then: a retry would have waited at least 5 s first
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'refused', statusCode: 502, message: 'Met refused the connection.' });
    expect(await recordedOutcomes(metrics)).toEqual([['object', 'refused', 1]]);
  });

  it('times out a body that stalls after the headers', async () => {
    // Given
    const { origin } = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"objectID": ');
    });
    const client = pooledClient(origin, { timeoutMs: 100 });

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 100 });
  });

  it('closes its own pool, after which calls fail with a connection error', async () => {
    // Given
    const { origin } = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(socrates));
    });
    const client = new UpstreamClient({ ...baseOptions, url: origin });
    await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // When
    await client.close();
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'connection' });
  });
});

describe('UpstreamClient.close with a dispatcher passed in', () => {
  it('leaves a dispatcher it does not own open for its owner to close', async () => {
    // Given
    const { client, met } = mockedClient();
    met.intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    await client.close();
    const response = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(response.ok).toBe(true);
  });
});

describe("UpstreamClient and the request's deadline", () => {
  it('given a request deadline shorter than the timeout, when the upstream is slow, then it fails at the deadline', async () => {
    // Given
    const { client, met } = mockedClient({ timeoutMs: 5_000 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, socrates, JSON_HEADERS)
      .delay(10_000)
      .times(2);

    // When
    const started = performance.now();
    const error = await rejectionOf(
      runWithDeadline(80, () => client.getJson('objects/1', { endpoint: 'object', schema: objectSchema })),
    );
    const elapsed = performance.now() - started;

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ statusCode: 504, timeoutMs: 80 });
    expect((error as Error).message).toBe("Met did not answer within the request's deadline of 80 ms.");
    expect(elapsed).toBeLessThan(2_000);
  });

  it('given calls in sequence under one deadline, when the first used it up, then the next fails without calling', async () => {
    // Given
    const { client, met, agent } = mockedClient({ timeoutMs: 5_000 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, socrates, JSON_HEADERS)
      .delay(60);
    met.intercept({ path: `${BASE_PATH}/objects/2`, method: 'GET' }).reply(200, socrates, JSON_HEADERS);

    // When
    const error = await rejectionOf(
      runWithDeadline(50, async () => {
        await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }).catch(() => undefined);
        // Timers may fire a fraction of a millisecond early: make sure the deadline has passed, not just nearly.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return client.getJson('objects/2', { endpoint: 'object', schema: objectSchema });
      }),
    );

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toContain("the request's deadline of 50 ms");
    expect(agent.pendingInterceptors().map((interceptor) => interceptor.path)).toEqual([`${BASE_PATH}/objects/2`]);
  });

  it('given a 5xx and a deadline too close for the back-off, when called, then it answers the 502 without retrying', async () => {
    // Given
    const { client, met, agent } = mockedClient({ retryBaseDelayMs: 1_000 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(503, 'busy')
      .times(2);

    // When
    const error = await rejectionOf(
      runWithDeadline(300, () => client.getJson('objects/1', { endpoint: 'object', schema: objectSchema })),
    );

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 503 });
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it('given a request budget that would make it wait past the deadline, when called, then it fails at the deadline', async () => {
    // Given: one request per second, the first token already taken
    const { client, met } = mockedClient({ maxRequestsPerSecond: 1 });
    met
      .intercept({ path: `${BASE_PATH}/objects/1`, method: 'GET' })
      .reply(200, socrates, JSON_HEADERS)
      .times(2);
    await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // When
    const started = performance.now();
    const error = await rejectionOf(
      runWithDeadline(100, () => client.getJson('objects/1', { endpoint: 'object', schema: objectSchema })),
    );

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(performance.now() - started).toBeLessThan(900);
  });
});

describe('UpstreamClient response size cap', () => {
  it('given an answer larger than maxResponseBytes, when called, then it fails with too_large (502)', async () => {
    // Given: 2 MB of JSON, streamed without a length, against a 64 KiB cap
    const { origin } = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"objectID": 1, "padding": "${'x'.repeat(2_000_000)}"}`);
    });
    const client = pooledClient(origin, { maxResponseBytes: 65_536 });

    // When
    const error = await rejectionOf(client.getJson('objects/1', { endpoint: 'object', schema: objectSchema }));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      kind: 'too_large',
      statusCode: 502,
      message: 'Met answered with more than 65536 bytes.',
    });
  });

  it('given an answer within maxResponseBytes, when called, then it is read as usual', async () => {
    // Given
    const { origin } = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(socrates));
    });
    const client = pooledClient(origin, { maxResponseBytes: 65_536 });

    // When
    const result = await client.getJson('objects/1', { endpoint: 'object', schema: objectSchema });

    // Then
    expect(result.ok).toBe(true);
  });
});
