import type { ServiceApp } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { ColumnBatch, OutputTensor } from '../../../src/dto/batch.js';
import { STUB_IDENTITY, type StubAppOptions, stubApp } from '../../support/stub-scoring.js';

let app: ServiceApp;
afterEach(async () => {
  await app?.close();
});

async function appWith(options: StubAppOptions = {}): Promise<{ batches: ColumnBatch[] }> {
  const built = await stubApp(options);
  app = built.app;
  return built;
}

const SPLIT_BODY = JSON.stringify({
  dataframe_split: {
    columns: ['area', 'rooms', 'zone'],
    data: [
      [100.5, 3, 'RL'],
      [null, 2, 'FV'],
      [10, 1, null],
    ],
  },
});

/** Posts a body to /invocations; a `null` content type sends none. */
function invoke(payload: string, contentType: string | null = 'application/json') {
  return app.inject({
    method: 'POST',
    url: '/invocations',
    headers: contentType === null ? {} : { 'content-type': contentType },
    payload,
  });
}

function infer(body: unknown, url = `/v2/models/${STUB_IDENTITY.name}/infer`, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

const V2_BODY = {
  id: 'my-request',
  inputs: [
    { name: 'area', shape: [2], datatype: 'FP64', data: [100.5, null] },
    { name: 'rooms', shape: [2, 1], datatype: 'INT64', data: [[3], [2]] },
    { name: 'zone', shape: [2], datatype: 'BYTES', data: ['RL', 'FV'] },
  ],
};

describe('MLflow health and version routes', () => {
  it.each(['/ping', '/health'])('answers GET %s with 200 and a newline', async (url) => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('\n');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers GET /version with the MLflow version the model was saved with', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/version' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('2.17.2');
  });
});

describe('POST /invocations', () => {
  it('answers 200 with one prediction per row, byte for byte, and the model version header', async () => {
    // Given
    const { batches } = await appWith();

    // When
    const response = await invoke(SPLIT_BODY);

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"predictions":[105.5,null,11]}');
    expect(response.headers['x-model-version']).toBe('7');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toBeDefined();
    expect(batches).toHaveLength(1);
  });

  it('answers the same for records, instances and inputs', async () => {
    // Given
    await appWith();
    const bodies = [
      { dataframe_records: [{ area: 1, rooms: 2, zone: 'abc' }] },
      { instances: [[1, 2, 'abc']] },
      { inputs: { area: [1], rooms: [2], zone: ['abc'] } },
      { inputs: { area: 1, rooms: 2, zone: 'abc' }, params: {} },
    ];

    // When
    const responses = await Promise.all(bodies.map((body) => invoke(JSON.stringify(body))));

    // Then
    for (const response of responses) expect(response.body).toBe('{"predictions":[6]}');
  });

  it("accepts Python's NaN token and a charset=UTF-8 parameter", async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('{"instances": [[NaN, 1, "RL"], [2, 1, "NaN"]]}', 'application/json; charset=UTF-8');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"predictions":[null,6]}');
  });

  it('scores CSV with a header row, a quoted charset parameter accepted', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('zone,area,rooms\n"R,L",1.5,2\nNA,,1\n', 'text/csv; charset="utf-8"');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"predictions":[6.5,null]}');
  });

  it('answers zero rows without running the model', async () => {
    // Given
    const { batches } = await appWith();

    // When
    const response = await invoke('{"instances": []}');

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"predictions":[]}');
    expect(batches).toHaveLength(0);
  });

  it('answers 400 BAD_REQUEST for a body that is not JSON', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('{"instances": [');

    // Then
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['error_code', 'message']);
    expect(body.error_code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(/^Failed to parse input from JSON/);
  });

  it('answers 400 BAD_REQUEST for an empty JSON body', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('');

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.json().error_code).toBe('BAD_REQUEST');
  });

  it('answers 400 BAD_REQUEST for a body outside the formats', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('{"data": [[1, 2, "a"]]}');

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe(
      JSON.stringify({
        error_code: 'BAD_REQUEST',
        message:
          "The input must be a JSON object with exactly one of the input fields {'dataframe_split', " +
          "'dataframe_records', 'instances', 'inputs'}; got none.",
      }),
    );
  });

  it('answers 400 INVALID_PARAMETER_VALUE for missing columns and wrong types', async () => {
    // Given
    await appWith();

    // When
    const missing = await invoke('{"dataframe_records": [{"area": 1}]}');
    const wrongType = await invoke('{"instances": [["big", 1.5, 3]]}');

    // Then
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "Model is missing inputs ['rooms', 'zone'].",
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(wrongType.json().message).toContain('column \'area\' (double), row 0: text "big"');
  });

  it('answers 400 BAD_REQUEST for malformed CSV', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke('area,rooms,zone\n1,2\n', 'text/csv');

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error_code: 'BAD_REQUEST',
      message: 'Failed to parse input as CSV: row 0 has 2 fields; the header has 3.',
    });
  });

  it('answers 415 for text/plain', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke(SPLIT_BODY, 'text/plain');

    // Then
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error_code: 'BAD_REQUEST',
      message:
        "This predictor only supports the following content types: application/json, text/csv; got 'text/plain'.",
    });
  });

  it('answers 415 when the content type is missing', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke(SPLIT_BODY, null);

    // Then
    expect(response.statusCode).toBe(415);
    expect(response.json().message).toMatch(/; got none\.$/);
  });

  it('answers 415 when the content type is missing and there is no body', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'POST', url: '/invocations' });

    // Then
    expect(response.statusCode).toBe(415);
    expect(response.json().error_code).toBe('BAD_REQUEST');
  });

  it('answers 415 for a charset other than UTF-8', async () => {
    // Given
    await appWith();

    // When
    const response = await invoke(SPLIT_BODY, 'application/json; charset=latin-1');

    // Then
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error_code: 'BAD_REQUEST',
      message: "The scoring server only supports UTF-8; got charset 'latin-1'.",
    });
  });

  it('answers 413 for a body over the limit', async () => {
    // Given
    const { batches } = await appWith({ maxBodyBytes: 1024 });

    // When
    const response = await invoke(JSON.stringify({ instances: [[1, 1, 'x'.repeat(2000)]] }));

    // Then
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      error_code: 'RESOURCE_LIMIT_EXCEEDED',
      message: 'The request body is larger than the limit of 1024 bytes.',
    });
    expect(batches).toHaveLength(0);
  });

  it('answers 504 DEADLINE_EXCEEDED when the model is too slow', async () => {
    // Given
    await appWith({ requestTimeoutMs: 5, runner: () => new Promise<never>(() => {}) });

    // When
    const response = await invoke(SPLIT_BODY);

    // Then
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({
      error_code: 'DEADLINE_EXCEEDED',
      message: 'The prediction did not finish within 5 ms.',
    });
  });

  it('answers 500 INTERNAL_ERROR without a stack trace or the error message when the model fails', async () => {
    // Given
    await appWith({
      runner: async () => {
        throw new Error('ORT failure: secret detail at /app/model/model.onnx');
      },
    });

    // When
    const response = await invoke(SPLIT_BODY);

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"error_code":"INTERNAL_ERROR","message":"Internal Server Error"}');
  });

  it('answers 404 for an unknown path', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/nowhere' });

    // Then
    expect(response.statusCode).toBe(404);
  });
});

describe('V2 health and metadata routes', () => {
  it('answers liveness and readiness', async () => {
    // Given
    await appWith();

    // When
    const live = await app.inject({ method: 'GET', url: '/v2/health/live' });
    const ready = await app.inject({ method: 'GET', url: '/v2/health/ready' });

    // Then
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ live: true });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true });
  });

  it('answers 503 for readiness while not ready', async () => {
    // Given
    await appWith({ ready: () => false });

    // When
    const server = await app.inject({ method: 'GET', url: '/v2/health/ready' });
    const model = await app.inject({ method: 'GET', url: '/v2/models/housing/ready' });

    // Then
    expect(server.statusCode).toBe(503);
    expect(server.json()).toEqual({ ready: false });
    expect(model.statusCode).toBe(503);
    expect(model.json()).toEqual({ name: 'housing', ready: false });
  });

  it('answers the server metadata', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/v2' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'model-server', version: '0.0.0-test', extensions: [] });
  });

  it.each(['/v2/models/housing', '/v2/models/housing/versions/7'])('answers the model metadata at %s', async (url) => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: 'housing',
      versions: ['7'],
      platform: 'onnx_onnxv1',
      inputs: [
        { name: 'area', datatype: 'FP64', shape: [-1] },
        { name: 'rooms', datatype: 'INT64', shape: [-1, 1] },
        { name: 'zone', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'variable', datatype: 'FP64', shape: [-1] }],
    });
  });

  it.each([
    ['/v2/models/other', "Model 'other' is not served here; this server serves 'housing' version '7'."],
    [
      '/v2/models/housing/versions/8',
      "Model 'housing' version '8' is not served here; this server serves 'housing' version '7'.",
    ],
    ['/v2/models/other/ready', "Model 'other' is not served here; this server serves 'housing' version '7'."],
  ])('answers 404 for %s', async (url, error) => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error });
  });

  it.each(['/v2/models/housing/ready', '/v2/models/housing/versions/7/ready'])(
    'answers model readiness at %s',
    async (url) => {
      // Given
      await appWith();

      // When
      const response = await app.inject({ method: 'GET', url });

      // Then
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ name: 'housing', ready: true });
    },
  );
});

describe('POST /v2/models/{name}/infer', () => {
  it('answers 200 with every output, echoing the id', async () => {
    // Given
    await appWith();

    // When
    const response = await infer(V2_BODY);

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-model-version']).toBe('7');
    expect(response.body).toBe(
      '{"model_name":"housing","model_version":"7","id":"my-request","parameters":{},' +
        '"outputs":[{"name":"variable","shape":[2],"datatype":"FP64","data":[105.5,null]}]}',
    );
  });

  it('answers with the request id when the body has no id', async () => {
    // Given
    await appWith();
    const { id: _id, ...body } = V2_BODY;

    // When
    const response = await infer(body, '/v2/models/housing/versions/7/infer', { 'x-request-id': 'req-42' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json().id).toBe('req-42');
  });

  it('answers only the requested outputs', async () => {
    // Given
    await appWith();

    // When
    const response = await infer({ ...V2_BODY, outputs: [{ name: 'variable' }] });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json().outputs).toEqual([{ name: 'variable', shape: [2], datatype: 'FP64', data: [105.5, null] }]);
  });

  it('answers 400 for an unknown requested output', async () => {
    // Given
    const { batches } = await appWith();

    // When
    const response = await infer({ ...V2_BODY, outputs: [{ name: 'variable' }, { name: 'price' }] });

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'Unknown outputs requested: price.' });
    expect(batches).toHaveLength(0);
  });

  it('answers 400 {"error"} for inputs that do not fit the model', async () => {
    // Given
    await appWith();
    const [area, rooms] = V2_BODY.inputs;

    // When
    const missing = await infer({ inputs: [area, rooms] });
    const wrongType = await infer({ inputs: [{ ...area, datatype: 'BYTES' }, rooms, V2_BODY.inputs[2]] });
    const wrongShape = await infer({ inputs: [{ ...area, shape: [3] }, rooms, V2_BODY.inputs[2]] });

    // Then
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: "Model is missing inputs ['zone']." });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toEqual({ error: "Input 'area' has datatype BYTES; the model expects FP64." });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json()).toEqual({ error: "Input 'area' has shape [3] but 2 values." });
  });

  it.each([
    ['no inputs', { inputs: [] }],
    ['an unknown datatype', { inputs: [{ name: 'area', shape: [1], datatype: 'FP128', data: [1] }] }],
    ['a negative shape', { inputs: [{ name: 'area', shape: [-1], datatype: 'FP64', data: [1] }] }],
    ['a list body', []],
    ['an id that is a number', { ...V2_BODY, id: 5 }],
  ])('answers 400 {"error"} for a body with %s', async (_case, body) => {
    // Given
    const { batches } = await appWith();

    // When
    const response = await infer(body);

    // Then
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['error']);
    expect(response.json().error).toMatch(/^Invalid inference request: .+\.$/);
    expect(batches).toHaveLength(0);
  });

  it('answers 400 {"error"} for a body that is not JSON', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/housing/infer',
      headers: { 'content-type': 'application/json' },
      payload: '{"inputs": [',
    });

    // Then
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['error']);
  });

  it('answers 404 for an unknown model or version', async () => {
    // Given
    await appWith();

    // When
    const model = await infer(V2_BODY, '/v2/models/other/infer');
    const version = await infer(V2_BODY, '/v2/models/housing/versions/1/infer');

    // Then
    expect(model.statusCode).toBe(404);
    expect(model.json().error).toMatch(/^Model 'other' is not served here/);
    expect(version.statusCode).toBe(404);
    expect(version.json().error).toMatch(/^Model 'housing' version '1' is not served here/);
  });

  it('answers 404 for an unknown model whatever the body holds', async () => {
    // Given
    await appWith();

    // When
    const response = await infer({ inputs: [] }, '/v2/models/other/infer');

    // Then
    expect(response.statusCode).toBe(404);
  });

  it('answers 504 when the model is too slow', async () => {
    // Given
    await appWith({ requestTimeoutMs: 5, runner: () => new Promise<never>(() => {}) });

    // When
    const response = await infer(V2_BODY);

    // Then
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({ error: 'The prediction did not finish within 5 ms.' });
  });

  it('answers 500 without details when the model fails', async () => {
    // Given
    await appWith({
      runner: async (): Promise<OutputTensor[]> => {
        throw new Error('secret detail');
      },
    });

    // When
    const response = await infer(V2_BODY);

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"error":"Internal Server Error"}');
  });

  it('answers 413 for a body over the limit, 415 for a foreign content type and 400 for text', async () => {
    // Given
    await appWith({ maxBodyBytes: 1024 });

    // When
    const tooLarge = await infer({ ...V2_BODY, id: 'x'.repeat(2000) });
    const send = (contentType: string) =>
      app.inject({
        method: 'POST',
        url: '/v2/models/housing/infer',
        headers: { 'content-type': contentType },
        payload: JSON.stringify(V2_BODY),
      });
    const foreign = await send('application/xml');
    const text = await send('text/plain');

    // Then
    expect(tooLarge.statusCode).toBe(413);
    expect(Object.keys(tooLarge.json())).toEqual(['error']);
    expect(foreign.statusCode).toBe(415);
    expect(Object.keys(foreign.json())).toEqual(['error']);
    expect(text.statusCode).toBe(400);
    expect(text.json().error).toMatch(/^Invalid inference request: /);
  });
});
