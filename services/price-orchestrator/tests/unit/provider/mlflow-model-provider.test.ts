import { UnavailableError, UpstreamClient, UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_SERVER } from '../../../src/http/routes.js';
import { toModelFrame } from '../../../src/provider/house-frame.js';
import {
  MlflowModelProvider,
  type ModelFrame,
  ModelNotServedError,
} from '../../../src/provider/mlflow-model-provider.js';
import { MODEL_COLUMNS } from '../../../src/views/house-fields.js';
import { testConfig } from '../../support/config.js';
import {
  closedPortUrl,
  json,
  matchingMetadata,
  providerWithMockModelServer,
  sentFrame,
} from '../../support/mock-model-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function harness(...args: Parameters<typeof providerWithMockModelServer>) {
  const created = providerWithMockModelServer(...args);
  cleanups.push(created.close);
  return created;
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

const twoRows: ModelFrame = {
  columns: ['Gr_Liv_Area', 'Sale_Type'],
  rows: [
    [1656, 'WD '],
    [null, null],
  ],
};

describe('MlflowModelProvider.predict', () => {
  it('posts the frame as dataframe_split JSON, byte for byte, to /invocations', async () => {
    // Given
    const { provider, server } = harness();
    const sent: { body: string; headers: Record<string, string> }[] = [];
    server.intercept({ path: '/invocations', method: 'POST' }).reply((options) => {
      sent.push({ body: String(options.body), headers: options.headers as Record<string, string> });
      return { statusCode: 200, data: { predictions: [1, 2] }, responseOptions: json };
    });

    // When
    await provider.predict(twoRows);

    // Then
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toBe(
      '{"dataframe_split":{"columns":["Gr_Liv_Area","Sale_Type"],"data":[[1656,"WD "],[null,null]]}}',
    );
    expect(sent[0]?.headers['content-type']).toBe('application/json');
    expect(sent[0]?.headers.accept).toBe('application/json');
  });

  it('sends every model column of a house frame, in model order', async () => {
    // Given
    const { provider, server } = harness();
    let columns: string[] = [];
    server.intercept({ path: '/invocations', method: 'POST' }).reply((options) => {
      columns = sentFrame(options.body).columns;
      return { statusCode: 200, data: { predictions: [1] }, responseOptions: json };
    });

    // When
    await provider.predict(toModelFrame([{ id: 1, features: { grossLivingArea: 1500 } }]));

    // Then
    expect(columns).toEqual(MODEL_COLUMNS);
  });

  it('returns a flat list of predictions in row order', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: [181234.5, 99000.25] }, json);

    // When
    const predictions = await provider.predict(twoRows);

    // Then
    expect(predictions).toEqual([181234.5, 99000.25]);
  });

  it("reads MLflow ONNX records, one numeric field per row, as the flat list's numbers", async () => {
    // Given
    const { provider, server } = harness();
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(200, { predictions: [{ variable: 1.5 }, { variable: 2.5, label: 'ignored text' }] }, json);

    // When
    const predictions = await provider.predict(twoRows);

    // Then
    expect(predictions).toEqual([1.5, 2.5]);
  });

  it.each([
    ['fewer', [1]],
    ['more', [1, 2, 3]],
    ['no', []],
  ])(
    'fails with a 502 unexpected_shape when the model server answers %s predictions than rows',
    async (_case, list) => {
      // Given
      const { provider, server } = harness();
      server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: list }, json);

      // When
      const error = await rejectionOf(provider.predict(twoRows));

      // Then
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({
        kind: 'unexpected_shape',
        statusCode: 502,
        message: `Model server answered ${list.length} predictions for 2 rows.`,
      });
    },
  );

  it.each([
    ['two numbers', { a: 1, b: 2 }],
    ['no number', { variable: 'high' }],
    ['nothing', {}],
  ])('fails with a 502 unexpected_shape when a record holds %s', async (_case, record) => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: [{ v: 1 }, record] }, json);

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      kind: 'unexpected_shape',
      statusCode: 502,
      message: 'Model server answered a prediction record without exactly one number (row 1).',
    });
  });

  it.each([
    ['without predictions', { result: [1, 2] }],
    ['with a text prediction', { predictions: [1, 'two'] }],
  ])('fails with a 502 unexpected_shape on a body %s', async (_case, body) => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, body, json);

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toMatchObject({ kind: 'unexpected_shape', statusCode: 502 });
  });

  it('fails with a 502 malformed_body when the answer is not JSON', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, '<html>oops</html>', json);

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toMatchObject({ kind: 'malformed_body', statusCode: 502 });
  });

  it("fails with a 502 that quotes MLflow's message when the model server rejects the request with 400", async () => {
    // Given
    const { provider, server } = harness();
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(
        400,
        { error_code: 'BAD_REQUEST', message: 'Incompatible input types for column Sale_Type. Can not safely convert' },
        json,
      );

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      kind: 'status',
      statusCode: 502,
      upstreamStatus: 400,
      message:
        'Model server rejected the request (HTTP 400): Incompatible input types for column Sale_Type. ' +
        'Can not safely convert',
    });
  });

  it.each([
    ['a text body', 415, 'Unsupported Media Type', { headers: { 'content-type': 'text/plain' } }],
    ['JSON without a message', 422, { detail: 'nope' }, json],
  ])('fails with a 502 naming the status when a 4xx comes with %s', async (_case, status, body, options) => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(status, body, options);

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toMatchObject({
      kind: 'status',
      statusCode: 502,
      upstreamStatus: status,
      message: `Model server rejected the request (HTTP ${status}).`,
    });
  });

  it('fails with a 502 on a 4xx that is not a request error MLflow explains, without retrying', async () => {
    // Given
    const { provider, server } = harness();
    let calls = 0;
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(() => {
        calls++;
        return { statusCode: 401, data: { message: 'who are you' }, responseOptions: json };
      })
      .persist();

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toMatchObject({ kind: 'status', statusCode: 502, message: 'Model server answered HTTP 401.' });
    expect(calls).toBe(1);
  });

  it('retries a 5xx once, scoring being safe to repeat, then fails with a 502', async () => {
    // Given
    const { provider, server } = harness();
    let calls = 0;
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(() => {
        calls++;
        return { statusCode: 500, data: { message: 'boom' }, responseOptions: json };
      })
      .persist();

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', statusCode: 502, upstreamStatus: 500 });
    expect((error as Error).message).toBe('Model server answered HTTP 500.');
    expect(calls).toBe(2);
  });

  it('recovers when a 5xx is followed by a good answer', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(503, 'busy');
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: [3, 4] }, json);

    // When
    const predictions = await provider.predict(twoRows);

    // Then
    expect(predictions).toEqual([3, 4]);
  });

  it('fails with UpstreamTimeoutError (504) when no answer comes within the timeout', async () => {
    // Given
    const { provider, server } = harness({ timeoutMs: 50 });
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(200, { predictions: [1, 2] }, json)
      .delay(2_000);

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ statusCode: 504, message: 'Model server did not answer within 50 ms.' });
  });

  it('fails with UnavailableError (503) when nothing listens at the model server address', async () => {
    // Given: a real connection pool pointed at a loopback port that was just released
    const client = new UpstreamClient({
      name: MODEL_SERVER,
      ...testConfig().modelServer,
      url: await closedPortUrl(),
      userAgent: 'price-orchestrator-tests',
    });
    cleanups.push(() => client.close());
    const provider = new MlflowModelProvider(client, 'housing-price');

    // When
    const error = await rejectionOf(provider.predict(twoRows));

    // Then
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({
      statusCode: 503,
      message: 'Model server is unavailable: it refused the connection.',
    });
    expect((error as Error).cause).toMatchObject({ kind: 'refused' });
  });
});

describe('MlflowModelProvider.ping', () => {
  it("resolves on MLflow's 200 answer, whose body is a bare newline", async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/ping', method: 'GET' }).reply(200, '\n', json);

    // When / Then
    await expect(provider.ping()).resolves.toBeUndefined();
  });

  it('resolves on a 200 with a JSON body', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/ping', method: 'GET' }).reply(200, { status: 'ok' }, json);

    // When / Then
    await expect(provider.ping()).resolves.toBeUndefined();
  });

  it('fails with a 502 when the model server answers 503, after its one retry', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/ping', method: 'GET' }).reply(503, 'loading').times(2);

    // When
    const error = await rejectionOf(provider.ping());

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', upstreamStatus: 503, message: 'Model server answered HTTP 503.' });
  });

  it('fails on a 2xx other than 200', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/ping', method: 'GET' }).reply(202, { status: 'starting' }, json);

    // When
    const error = await rejectionOf(provider.ping());

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'status', message: 'Model server answered its ping with HTTP 202.' });
  });

  it('fails on a 204 without a body, which is no JSON', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/ping', method: 'GET' }).reply(204, '');

    // When
    const error = await rejectionOf(provider.ping());

    // Then
    expect(error).toMatchObject({ kind: 'malformed_body', statusCode: 502 });
  });
});

describe('MlflowModelProvider.metadata', () => {
  it("parses the model's V2 metadata", async () => {
    // Given
    const { provider, server } = harness();
    const metadata = matchingMetadata(['12']);
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, metadata, json);

    // When
    const result = await provider.metadata();

    // Then
    expect(result).toEqual(metadata);
  });

  it('percent-encodes the model name in the path', async () => {
    // Given
    const { provider, server } = harness({}, 'house prices/v2');
    server
      .intercept({ path: '/v2/models/house%20prices%2Fv2', method: 'GET' })
      .reply(200, { name: 'house prices/v2', inputs: [] }, json);

    // When
    const result = await provider.metadata();

    // Then
    expect(result).toEqual({ name: 'house prices/v2', inputs: [] });
  });

  it('refuses a model name the V2 server does not serve (404 with a V2 error body)', async () => {
    // Given
    const { provider, server } = harness();
    server
      .intercept({ path: '/v2/models/housing-price', method: 'GET' })
      .reply(404, { error: "Model 'housing-price' is not served here." }, json);

    // When
    const error = await rejectionOf(provider.metadata());

    // Then
    expect(error).toBeInstanceOf(ModelNotServedError);
    expect((error as Error).message).toBe(
      "the model server serves no model named 'housing-price' (it said: Model 'housing-price' is not served here.)",
    );
  });

  it('returns null when the model server has no V2 metadata (404)', async () => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(404, 'Not Found');

    // When
    const result = await provider.metadata();

    // Then
    expect(result).toBeNull();
  });

  it.each([
    ['inputs missing', { name: 'housing-price' }, 'unexpected_shape'],
    [
      'an input without datatype',
      { name: 'housing-price', inputs: [{ name: 'Lot_Area', shape: [-1] }] },
      'unexpected_shape',
    ],
    ['not JSON', '{"name":', 'malformed_body'],
  ])('fails with a 502 on metadata with %s', async (_case, body, kind) => {
    // Given
    const { provider, server } = harness();
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, body, json);

    // When
    const error = await rejectionOf(provider.metadata());

    // Then
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind, statusCode: 502 });
  });
});
