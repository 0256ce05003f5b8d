import type { MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildOrchestrator, type OrchestratorApp } from '../../../src/app.js';
import type { OrchestratorConfig } from '../../../src/config/settings.js';
import { EXAMPLE_HOUSE, HOUSE_FIELDS, MODEL_COLUMNS } from '../../../src/views/house-fields.js';
import { testConfig } from '../../support/config.js';
import {
  answerEveryRow,
  closedPortUrl,
  json,
  type MockModelServer,
  matchingMetadata,
  mockModelServer,
  sentFrame,
} from '../../support/mock-model-server.js';

const SINGLE = '/api/v1/price/predict';
const BATCH = '/api/v1/price/predict/batch';

let orchestrator: OrchestratorApp | undefined;
let agent: MockAgent | undefined;
afterEach(async () => {
  await orchestrator?.app.close();
  await agent?.close();
  orchestrator = undefined;
  agent = undefined;
});

/** The orchestrator on a MockAgent model server (built with `testConfig(overrides)`). */
async function start(overrides: Partial<OrchestratorConfig> = {}): Promise<{
  orchestrator: OrchestratorApp;
  server: MockModelServer;
}> {
  const mock = mockModelServer();
  agent = mock.agent;
  orchestrator = await buildOrchestrator(testConfig(overrides), { modelServerDispatcher: mock.agent });
  return { orchestrator, server: mock.server };
}

async function post(url: string, body: unknown) {
  const app = orchestrator?.app;
  if (!app) throw new Error('start() first');
  return app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

async function get(url: string) {
  const app = orchestrator?.app;
  if (!app) throw new Error('start() first');
  return app.inject({ method: 'GET', url });
}

describe('POST /api/v1/price/predict', () => {
  it('answers 200 with the id, the price rounded to cents and the model version', async () => {
    // Given
    const { server } = await start();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: [197418.8412] }, json);

    // When
    const response = await post(SINGLE, EXAMPLE_HOUSE);

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 'ames-row-0', predictedPrice: 197418.84, modelVersion: 'unknown' });
  });

  it('sends the house to the model server as one row of model columns and levels', async () => {
    // Given
    const { server } = await start();
    let frame: { columns: string[]; data: unknown[][] } | undefined;
    server.intercept({ path: '/invocations', method: 'POST' }).reply((options) => {
      frame = sentFrame(options.body);
      return { statusCode: 200, data: { predictions: [1] }, responseOptions: json };
    });

    // When
    await post(SINGLE, { id: 3, grossLivingArea: 1500, saleType: 'WD' });

    // Then
    expect(frame?.columns).toEqual(MODEL_COLUMNS);
    expect(frame?.data).toHaveLength(1);
    expect(frame?.data[0]?.filter((value) => value !== null)).toEqual([1500, 'WD ']);
  });

  it('accepts a house with nothing but an integer id', async () => {
    // Given
    const { server } = await start();
    answerEveryRow(server, () => 123_456.789);

    // When
    const response = await post(SINGLE, { id: 42 });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 42, predictedPrice: 123_456.79, modelVersion: 'unknown' });
  });

  it('reports the model version the gate read from the model server', async () => {
    // Given
    const { server, orchestrator } = await start();
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, matchingMetadata(['9']), json);
    answerEveryRow(server);
    await orchestrator.waitForModel();

    // When
    const response = await post(SINGLE, { id: 'h' });

    // Then
    expect(response.json()).toMatchObject({ modelVersion: '9' });
  });
});

describe('POST /api/v1/price/predict/batch', () => {
  it('answers 200 with one prediction per house, in request order, from one model call', async () => {
    // Given
    const { server } = await start();
    const rowCounts = answerEveryRow(server, (index) => 100_000 + index + 0.004);

    // When
    const response = await post(BATCH, {
      houses: [{ id: 'b' }, { id: 1, grossLivingArea: 1200 }, { ...EXAMPLE_HOUSE, id: 'a' }],
    });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      modelVersion: 'unknown',
      predictions: [
        { id: 'b', predictedPrice: 100_000 },
        { id: 1, predictedPrice: 100_001 },
        { id: 'a', predictedPrice: 100_002 },
      ],
    });
    expect(rowCounts).toEqual([3]);
  });

  it('accepts a batch of exactly maxBatchSize houses', async () => {
    // Given
    const { server } = await start({ maxBatchSize: 3 });
    answerEveryRow(server);

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }, { id: 2 }, { id: 3 }] });

    // Then
    expect(response.statusCode).toBe(200);
  });

  it('tells the number 1 and the string "1" apart as ids', async () => {
    // Given
    const { server } = await start();
    answerEveryRow(server);

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }, { id: '1' }] });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json().predictions.map((prediction: { id: unknown }) => prediction.id)).toEqual([1, '1']);
  });
});

describe('422 answers', () => {
  it.each([
    [
      'an unknown field',
      { id: 1, pool: true },
      [{ type: 'extra_forbidden', loc: ['body', 'pool'], msg: 'Extra inputs are not permitted', input: true }],
    ],
    [
      'a model column name instead of the API name',
      { id: 1, Gr_Liv_Area: 1500 },
      [{ type: 'extra_forbidden', loc: ['body', 'Gr_Liv_Area'], msg: 'Extra inputs are not permitted', input: 1500 }],
    ],
    [
      'a number under its minimum',
      { id: 1, grossLivingArea: 0 },
      [
        {
          type: 'greater_than_equal',
          loc: ['body', 'grossLivingArea'],
          msg: 'Input should be greater than or equal to 1',
          input: 0,
          ctx: { ge: 1 },
        },
      ],
    ],
    [
      'a number over its maximum',
      { id: 1, monthSold: 13 },
      [
        {
          type: 'less_than_equal',
          loc: ['body', 'monthSold'],
          msg: 'Input should be less than or equal to 12',
          input: 13,
          ctx: { le: 12 },
        },
      ],
    ],
    [
      'a fraction where an integer is required',
      { id: 1, bedrooms: 2.5 },
      [
        {
          type: 'int_from_float',
          loc: ['body', 'bedrooms'],
          msg: 'Input should be a valid integer, got a number with a fractional part',
          input: 2.5,
        },
      ],
    ],
    [
      'a string where a number is required',
      { id: 1, grossLivingArea: '1500' },
      // pydantic's strict-mode kind: FastAPI (lax) would take "1500"; we never take a string for a number.
      [{ type: 'int_type', loc: ['body', 'grossLivingArea'], msg: 'Input should be a valid integer', input: '1500' }],
    ],
    [
      'a number where a level is required',
      { id: 1, neighborhood: 7 },
      [
        {
          type: 'enum',
          loc: ['body', 'neighborhood'],
          msg: expect.stringMatching(/^Input should be 'Bloomington_Heights', .* or 'Veenker'$/),
          input: 7,
          ctx: { expected: expect.stringMatching(/^'Bloomington_Heights', .* or 'Veenker'$/) },
        },
      ],
    ],
    [
      'a missing id',
      { grossLivingArea: 1500 },
      [{ type: 'missing', loc: ['body', 'id'], msg: 'Field required', input: { grossLivingArea: 1500 } }],
    ],
    [
      'the id 0',
      { id: 0 },
      [{ type: 'greater_than', loc: ['body', 'id'], msg: 'Input should be greater than 0', input: 0, ctx: { gt: 0 } }],
    ],
    [
      'a negative id',
      { id: -4 },
      [{ type: 'greater_than', loc: ['body', 'id'], msg: 'Input should be greater than 0', input: -4, ctx: { gt: 0 } }],
    ],
    [
      'an empty id',
      { id: '' },
      [
        {
          type: 'string_too_short',
          loc: ['body', 'id'],
          msg: 'String should have at least 1 character',
          input: '',
          ctx: { min_length: 1 },
        },
      ],
    ],
    [
      'an id over 100 characters',
      { id: 'x'.repeat(101) },
      [
        {
          type: 'string_too_long',
          loc: ['body', 'id'],
          msg: 'String should have at most 100 characters',
          input: 'x'.repeat(101),
          ctx: { max_length: 100 },
        },
      ],
    ],
    [
      'an array instead of a house',
      [EXAMPLE_HOUSE],
      [
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: [EXAMPLE_HOUSE],
        },
      ],
    ],
  ])('lists %s in FastAPI shape, without calling the model server', async (_case, body, detail) => {
    // Given
    const { server } = await start();
    const rowCounts = answerEveryRow(server);

    // When
    const response = await post(SINGLE, body);

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({ detail });
    expect(rowCounts).toEqual([]);
  });

  it('lists the allowed levels of a category given an unknown level', async () => {
    // Given
    await start();

    // When
    const response = await post(SINGLE, { id: 1, saleType: 'Warranty' });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'enum',
          loc: ['body', 'saleType'],
          msg: "Input should be 'WD', 'CWD', 'VWD', 'New', 'COD', 'Con', 'ConLw', 'ConLI', 'ConLD' or 'Oth'",
          input: 'Warranty',
          ctx: { expected: "'WD', 'CWD', 'VWD', 'New', 'COD', 'Con', 'ConLw', 'ConLI', 'ConLD' or 'Oth'" },
        },
      ],
    });
  });

  it("refuses the model's spelling of a level that the API spells differently", async () => {
    // Given
    await start();

    // When
    const response = await post(SINGLE, { id: 1, saleType: 'WD ' });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail[0].loc).toEqual(['body', 'saleType']);
  });

  it('lists every bad field of one request', async () => {
    // Given
    await start();

    // When
    const response = await post(SINGLE, {
      id: 0,
      pool: 1,
      spa: 2,
      grossLivingArea: -5,
      saleType: 'XX',
      bedrooms: 'two',
    });

    // Then
    expect(response.statusCode).toBe(422);
    const detail: { loc: unknown[]; type: string }[] = response.json().detail;
    expect(detail.map((issue) => [issue.loc, issue.type])).toEqual(
      expect.arrayContaining([
        [['body', 'id'], 'greater_than'],
        [['body', 'pool'], 'extra_forbidden'],
        [['body', 'spa'], 'extra_forbidden'],
        [['body', 'grossLivingArea'], 'greater_than_equal'],
        [['body', 'saleType'], 'enum'],
        [['body', 'bedrooms'], 'int_parsing'],
      ]),
    );
    expect(detail).toHaveLength(6);
  });

  it('answers 422 for an empty batch', async () => {
    // Given
    await start();

    // When
    const response = await post(BATCH, { houses: [] });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'too_short',
          loc: ['body', 'houses'],
          msg: 'List should have at least 1 item after validation, not 0',
          input: [],
          ctx: { field_type: 'List', min_length: 1, actual_length: 0 },
        },
      ],
    });
  });

  it('answers 422 for a batch over maxBatchSize, naming the limit', async () => {
    // Given
    const { server } = await start({ maxBatchSize: 3 });
    const rowCounts = answerEveryRow(server);

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }] });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'too_long',
          loc: ['body', 'houses'],
          msg: 'List should have at most 3 items after validation, not 4',
          input: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
          ctx: { field_type: 'List', max_length: 3, actual_length: 4 },
        },
      ],
    });
    expect(rowCounts).toEqual([]);
  });

  it('locates a duplicate id at the later house of the pair', async () => {
    // Given
    await start();

    // When
    const response = await post(BATCH, { houses: [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'b' }] });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'value_error',
          loc: ['body', 'houses', 2, 'id'],
          msg: 'Value error, id "a" is used by houses 0 and 2; ids must be unique in a batch',
          input: 'a',
          ctx: { error: {} },
        },
        {
          type: 'value_error',
          loc: ['body', 'houses', 3, 'id'],
          msg: 'Value error, id "b" is used by houses 1 and 3; ids must be unique in a batch',
          input: 'b',
          ctx: { error: {} },
        },
      ],
    });
  });

  it('locates a bad field of a batch at its house', async () => {
    // Given
    await start();

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }, { id: 2, fireplaces: 11, garage: true }] });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      {
        type: 'less_than_equal',
        loc: ['body', 'houses', 1, 'fireplaces'],
        msg: 'Input should be less than or equal to 10',
        input: 11,
        ctx: { le: 10 },
      },
      {
        type: 'extra_forbidden',
        loc: ['body', 'houses', 1, 'garage'],
        msg: 'Extra inputs are not permitted',
        input: true,
      },
    ]);
  });

  it('answers 422 for a batch without houses and for unknown keys beside them', async () => {
    // Given
    await start();

    // When
    const missing = await post(BATCH, {});
    const extra = await post(BATCH, { houses: [{ id: 1 }], dryRun: true });

    // Then
    expect(missing.json()).toEqual({
      detail: [{ type: 'missing', loc: ['body', 'houses'], msg: 'Field required', input: {} }],
    });
    expect(extra.json()).toEqual({
      detail: [
        { type: 'extra_forbidden', loc: ['body', 'dryRun'], msg: 'Extra inputs are not permitted', input: true },
      ],
    });
  });

  it("answers FastAPI's 422 json_invalid entry for a body that is not JSON", async () => {
    // Given
    await start();

    // When
    const response = await orchestrator?.app.inject({
      method: 'POST',
      url: SINGLE,
      payload: '{"id": 1,',
      headers: { 'content-type': 'application/json' },
    });

    // Then
    // Byte for byte FastAPI's answer: Python's json stops at character 9, the end (see the kit's fixtures).
    expect(response?.statusCode).toBe(422);
    expect(response?.body).toBe(
      '{"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]}',
    );
  });
});

describe('model server failures', () => {
  it('answers 502 with {detail} when the model server answers 500 twice', async () => {
    // Given
    const { server } = await start();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(500, { message: 'boom' }, json).times(2);

    // When
    const response = await post(SINGLE, { id: 1 });

    // Then
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({ detail: 'Model server answered HTTP 500.' });
  });

  it("answers 502 quoting MLflow's message when the model server rejects the request", async () => {
    // Given
    const { server } = await start();
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(400, { error_code: 'BAD_REQUEST', message: 'Model is missing inputs' }, json);

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }] });

    // Then
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail: 'Model server rejected the request (HTTP 400): Model is missing inputs',
    });
  });

  it('answers 502 when the model server answers fewer predictions than houses', async () => {
    // Given
    const { server } = await start();
    server.intercept({ path: '/invocations', method: 'POST' }).reply(200, { predictions: [1] }, json);

    // When
    const response = await post(BATCH, { houses: [{ id: 1 }, { id: 2 }] });

    // Then
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({ detail: 'Model server answered 1 predictions for 2 rows.' });
  });

  it('answers 503 with {detail} when nothing listens at the model server address', async () => {
    // Given: the orchestrator with its own connection pool, pointed at a released loopback port
    const base = testConfig();
    orchestrator = await buildOrchestrator(
      testConfig({ modelServer: { ...base.modelServer, url: await closedPortUrl() } }),
    );

    // When
    const response = await post(SINGLE, { id: 1 });

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ detail: 'Model server is unavailable: it refused the connection.' });
  });

  it('answers 504 with {detail} when the model server does not answer within the timeout', async () => {
    // Given
    const base = testConfig();
    const { server } = await start({ modelServer: { ...base.modelServer, timeoutMs: 50 } });
    server
      .intercept({ path: '/invocations', method: 'POST' })
      .reply(200, { predictions: [1] }, json)
      .delay(2_000);

    // When
    const response = await post(SINGLE, { id: 1 });

    // Then
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({ detail: 'Model server did not answer within 50 ms.' });
  });
});

describe('health', () => {
  it('answers /health/live without asking the model server', async () => {
    // Given
    await start();

    // When
    const response = await get('/health/live');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('is not ready before the signature check has passed, reporting the model server apart', async () => {
    // Given
    const { server } = await start();
    server.intercept({ path: '/ping', method: 'GET' }).reply(200, '\n', json);

    // When
    const response = await get('/health/ready');

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'not ready',
      checks: { modelSignature: 'the model server has not been reached yet' },
      dependencies: { modelServer: 'ok' },
    });
  });

  it('says what it is waiting for while the model server is failing', async () => {
    // Given: metadata fails (twice: it is retried), then the gate waits a minute before its next attempt
    const { server, orchestrator } = await start({ startupRetryFirstDelayMs: 60_000 });
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(503, 'loading').times(2);
    server.intercept({ path: '/ping', method: 'GET' }).reply(503, 'loading').persist();
    const waiting = orchestrator.waitForModel().catch((caught: unknown) => caught);

    // When
    const response = await vi.waitFor(async () => {
      const ready = await get('/health/ready');
      expect(ready.json().checks.modelSignature).toMatch(/^waiting/);
      return ready;
    });

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'not ready',
      checks: { modelSignature: 'waiting for the model server: Model server answered HTTP 503.' },
      dependencies: { modelServer: 'Model server answered HTTP 503.' },
    });

    // When: the app closes
    await orchestrator.app.close();

    // Then: the wait stops at once
    expect(await waiting).toMatchObject({ name: 'AbortError' });
  });

  it('is ready once waitForModel has checked a matching model', async () => {
    // Given
    const { server, orchestrator } = await start();
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, matchingMetadata(), json);
    server.intercept({ path: '/ping', method: 'GET' }).reply(200, '\n', json);
    await orchestrator.waitForModel();

    // When
    const response = await get('/health/ready');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { modelSignature: 'ok' },
      dependencies: { modelServer: 'ok' },
    });
  });

  it('stays ready when the model server is down after the check, reporting it and setting dependency_up', async () => {
    // Given
    const { server, orchestrator } = await start();
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, matchingMetadata(), json);
    server.intercept({ path: '/ping', method: 'GET' }).reply(500, 'down').times(2);
    await orchestrator.waitForModel();

    // When
    const response = await get('/health/ready');
    const metrics = await get('/metrics');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json().dependencies).toEqual({ modelServer: 'Model server answered HTTP 500.' });
    expect(metrics.body).toMatch(/dependency_up\{dependency="modelServer",service="price-orchestrator"\} 0/);
  });

  it('rejects waitForModel with a ConfigError when the model has other inputs', async () => {
    // Given
    const { server, orchestrator } = await start();
    const metadata = matchingMetadata();
    metadata.inputs = metadata.inputs.filter((input) => input.name !== 'Pool_QC');
    server.intercept({ path: '/v2/models/housing-price', method: 'GET' }).reply(200, metadata, json);

    // When / Then
    await expect(orchestrator.waitForModel()).rejects.toThrow(
      "the model 'housing-price' on the model server does not match this service's fields: columns the model has " +
        'no input for: Pool_QC',
    );
  });
});

describe('metrics', () => {
  it('counts priced houses by model version and model server calls by outcome', async () => {
    // Given
    const { server } = await start();
    answerEveryRow(server);
    await post(BATCH, { houses: [{ id: 1 }, { id: 2 }, { id: 3 }] });

    // When
    const response = await get('/metrics');

    // Then
    expect(response.body).toMatch(/price_predictions_total\{model_version="unknown",service="price-orchestrator"\} 3/);
    expect(response.body).toMatch(/upstream_request_duration_seconds_count\{[^}]*endpoint="invocations"[^}]*\} 1/);
  });
});

describe('API documentation', () => {
  it('documents both routes with the example house and the 422, 502, 503 and 504 answers', async () => {
    // Given
    await start({ maxBatchSize: 250 });

    // When
    const document = (await get('/openapi.json')).json();

    // Then
    const single = document.paths[SINGLE].post;
    const batch = document.paths[BATCH].post;
    for (const operation of [single, batch]) {
      expect(Object.keys(operation.responses).sort()).toEqual(['200', '422', '502', '503', '504']);
      expect(operation.tags).toEqual(['price']);
    }
    expect(single.requestBody.content['application/json'].schema.example).toEqual(EXAMPLE_HOUSE);
    expect(batch.requestBody.content['application/json'].schema.example.houses[0]).toEqual(EXAMPLE_HOUSE);
    expect(batch.summary).toBe('Predict the sale prices of 1 to 250 houses');
    expect(batch.requestBody.content['application/json'].schema.properties.houses.maxItems).toBe(250);
    const example = (status: string) => {
      const media = single.responses[status].content['application/json'];
      return media.schema.example ?? media.example;
    };
    expect(example('503')).toEqual({ detail: 'Model server is unavailable: it refused the connection.' });
    expect(example('504')).toEqual({ detail: 'Model server did not answer within 5000 ms.' });
    expect(example('422').detail[0].loc).toEqual(['body', 'grossLivingArea']);
    // FastAPI's generated ids for the Python original's `predict` and `batch_predict`, and its 422 component.
    expect(single.operationId).toBe('predict_api_v1_price_predict_post');
    expect(batch.operationId).toBe('batch_predict_api_v1_price_predict_batch_post');
    expect(single.responses['422'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/HTTPValidationError',
    });
  });

  it('describes every house field in the request schema', async () => {
    // Given
    await start();

    // When
    const document = (await get('/openapi.json')).json();

    // Then
    const properties = document.paths[SINGLE].post.requestBody.content['application/json'].schema.properties;
    expect(Object.keys(properties).sort()).toEqual(['id', ...HOUSE_FIELDS.map((field) => field.name)].sort());
  });

  it('serves Swagger UI at /docs', async () => {
    // Given
    await start();

    // When
    const response = await get('/docs');

    // Then
    expect(response.statusCode).toBe(200);
  });
});
