import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawRow } from '@mlms/housing-price-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTo, type TrainedModel, trainSmallModel } from '../../../../test-support/trained-model.js';
import { type RunningServer, startServer } from '../support/server.js';

let model: TrainedModel;
let server: RunningServer;

beforeAll(async () => {
  model = await trainSmallModel();
  server = await startServer({ modelUri: model.modelDir });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await model?.remove();
});

/** Rows as the dataset holds them: null for a missing value. */
function rows(count: number, offset = 0): RawRow[] {
  return model.validationRows.slice(offset, offset + count);
}

function cells(row: RawRow): (string | number | null)[] {
  return model.columns.map((column) => row[column] ?? null);
}

function predictions(reply: { json(): unknown }): number[] {
  return (reply.json() as { predictions: number[] }).predictions;
}

describe('POST /invocations', () => {
  it('answers the seeds orchestrator payload (dataframe_split with index) like the in-process evaluator', async () => {
    // Given
    const sample = rows(20);
    const body = {
      dataframe_split: { index: sample.map((_row, index) => index), columns: model.columns, data: sample.map(cells) },
    };

    // When
    const reply = await server.post('/invocations', body);

    // Then
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-model-version')).toMatch(/^[0-9a-f]{32}$/);
    expect(closeTo(predictions(reply), model.expected(sample))).toBe(true);
  });

  it('gives the same predictions in every input format', async () => {
    // Given
    const sample = rows(7, 20);
    const expected = model.expected(sample);
    const records = sample.map((row) =>
      Object.fromEntries(model.columns.map((column) => [column, row[column] ?? null])),
    );
    const columnsObject = Object.fromEntries(
      model.columns.map((column) => [column, sample.map((row) => row[column] ?? null)]),
    );
    const bodies = {
      dataframe_split: { dataframe_split: { columns: model.columns, data: sample.map(cells) } },
      dataframe_records: { dataframe_records: records },
      'instances (records)': { instances: records },
      'instances (lists)': { instances: sample.map(cells) },
      'inputs (columns)': { inputs: columnsObject },
      'inputs (records) with params': { inputs: records, params: { unused: 1 } },
    };

    for (const [format, body] of Object.entries(bodies)) {
      // When
      const reply = await server.post('/invocations', body);

      // Then
      expect({ format, status: reply.status }).toEqual({ format, status: 200 });
      expect({ format, close: closeTo(predictions(reply), expected) }).toEqual({ format, close: true });
    }
  });

  it('reads text/csv with a header row, empty cells as missing values', async () => {
    // Given
    const sample = rows(6, 30);
    const quote = (value: string | number | null) =>
      value === null ? '' : typeof value === 'string' ? `"${value.replaceAll('"', '""')}"` : String(value);
    const csv = [model.columns.join(','), ...sample.map((row) => cells(row).map(quote).join(','))].join('\n');

    // When
    const reply = await server.post('/invocations', csv, 'text/csv');

    // Then
    expect(reply.status).toBe(200);
    expect(closeTo(predictions(reply), model.expected(sample))).toBe(true);
  });

  it('scores the model directory serving_input_example.json: five predictions', async () => {
    // Given
    const body = await readFile(join(model.modelDir, 'serving_input_example.json'), 'utf8');

    // When
    const reply = await server.post('/invocations', body);

    // Then
    expect(reply.status).toBe(200);
    expect(predictions(reply)).toHaveLength(5);
  });

  it('imputes a null in every column, one column at a time and all at once', async () => {
    // Given
    const base = rows(1, 40)[0] as RawRow;
    const sample: RawRow[] = model.columns.map((column) => ({ ...base, [column]: null }));
    sample.push(Object.fromEntries(model.columns.map((column) => [column, null])));

    // When
    const reply = await server.post('/invocations', {
      dataframe_split: { columns: model.columns, data: sample.map(cells) },
    });

    // Then
    expect(reply.status).toBe(200);
    expect(closeTo(predictions(reply), model.expected(sample))).toBe(true);
  });

  it("accepts Python's NaN tokens (json.dumps of a DataFrame with missing values) as missing values", async () => {
    // Given
    const sample = rows(3, 50);
    const withNulls = sample.map((row) => ({ ...row, [model.columns[2] as string]: null }));
    const text = JSON.stringify({ dataframe_split: { columns: model.columns, data: withNulls.map(cells) } });
    const python = text.replace(/(?<=[[,])null(?=[,\]])/g, 'NaN');

    // When
    const reply = await server.post('/invocations', python);

    // Then
    expect(python).toContain('NaN');
    expect(reply.status).toBe(200);
    expect(closeTo(predictions(reply), model.expected(withNulls))).toBe(true);
  });

  it('scores a 100,000-cell request in one answer', async () => {
    // Given
    const count = Math.ceil(100_000 / model.columns.length);
    const sample = Array.from(
      { length: count },
      (_value, index) => model.validationRows[index % model.validationRows.length] as RawRow,
    );

    // When
    const reply = await server.post('/invocations', {
      dataframe_split: { columns: model.columns, data: sample.map(cells) },
    });

    // Then
    expect(count * model.columns.length).toBeGreaterThanOrEqual(100_000);
    expect(reply.status).toBe(200);
    expect(closeTo(predictions(reply), model.expected(sample))).toBe(true);
  });

  it('answers zero rows with no predictions', async () => {
    // When
    const reply = await server.post('/invocations', { dataframe_split: { columns: model.columns, data: [] } });

    // Then
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('{"predictions":[]}');
  });

  it.each([
    ['malformed JSON', '{"dataframe_split": ', 'application/json', 400, 'BAD_REQUEST'],
    ['an empty body', '', 'application/json', 400, 'BAD_REQUEST'],
    ['a top-level list', '[1, 2]', 'application/json', 400, 'BAD_REQUEST'],
    ['two formats', '{"instances": [], "inputs": []}', 'application/json', 400, 'BAD_REQUEST'],
    ['text/plain', '{}', 'text/plain', 415, 'BAD_REQUEST'],
    ['no content type', '{}', null, 415, 'BAD_REQUEST'],
    ['another charset', '{}', 'application/json; charset=latin-1', 415, 'BAD_REQUEST'],
  ])('refuses %s with MLflow error body', async (_case, body, contentType, status, errorCode) => {
    // When
    const reply = await server.post('/invocations', body, contentType);

    // Then
    expect(reply.status).toBe(status);
    expect(reply.json()).toEqual({ error_code: errorCode, message: expect.any(String) });
  });

  it('names every missing column, and the column and row of a value that does not fit', async () => {
    // Given
    const [first, second, ...rest] = model.columns as [string, string, ...string[]];
    const sample = rows(2, 60);
    const numeric = model.pipeline.preprocessor.inputColumns.find((column) => column.type !== 'string')?.name as string;
    const bad = sample.map((row, index) => (index === 1 ? { ...row, [numeric]: 'lots' } : row));

    // When
    const missing = await server.post('/invocations', {
      dataframe_split: { columns: rest, data: sample.map((row) => rest.map((column) => row[column] ?? null)) },
    });
    const wrong = await server.post('/invocations', {
      dataframe_split: { columns: model.columns, data: bad.map(cells) },
    });

    // Then
    expect(missing.status).toBe(400);
    expect(missing.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: `Model is missing inputs ['${first}', '${second}'].`,
    });
    expect(wrong.status).toBe(400);
    expect((wrong.json() as { message: string }).message).toContain(`column '${numeric}' (double), row 1: text "lots"`);
  });
});

describe('Open Inference Protocol (V2)', () => {
  it('infers the same predictions as /invocations, with the id echoed', async () => {
    // Given
    const sample = rows(9, 70);
    const inputs = model.pipeline.preprocessor.inputColumns.map((column) => ({
      name: column.name,
      shape: [sample.length],
      datatype: column.type === 'string' ? 'BYTES' : 'FP64',
      data: sample.map((row) => row[column.name] ?? null),
    }));

    // When
    const reply = await server.post('/v2/models/housing-price/infer', { id: 'req-7', inputs });

    // Then
    expect(reply.status).toBe(200);
    const body = reply.json() as {
      id: string;
      model_name: string;
      outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
    };
    expect(body.id).toBe('req-7');
    expect(body.model_name).toBe('housing-price');
    expect(body.outputs[0]).toMatchObject({ name: 'variable', shape: [9, 1], datatype: 'FP32' });
    expect(closeTo(body.outputs[0]?.data ?? [], model.expected(sample))).toBe(true);
  });

  it('describes the model: one [-1] input per signature column, FP64 or BYTES, platform onnx_onnxv1', async () => {
    // When
    const reply = await server.get('/v2/models/housing-price');

    // Then
    const body = reply.json() as { platform: string; inputs: { name: string; datatype: string; shape: number[] }[] };
    expect(body.platform).toBe('onnx_onnxv1');
    expect(body.inputs.map((input) => input.name)).toEqual(model.columns);
    expect(new Set(body.inputs.map((input) => input.datatype))).toEqual(new Set(['FP64', 'BYTES']));
    expect(body.inputs.every((input) => input.shape.length === 1 && input.shape[0] === -1)).toBe(true);
  });

  it("reports the server's version from its package.json in the server metadata and the OpenAPI document", async () => {
    // Given
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };

    // When
    const metadata = (await server.get('/v2')).json() as { name: string; version: string };
    const openApi = (await server.get('/openapi.json')).json() as { info: { version: string } };

    // Then
    expect(metadata).toMatchObject({ name: 'model-server', version });
    expect(openApi.info.version).toBe(version);
  });

  it('answers 404 for another model name', async () => {
    // When
    const reply = await server.post('/v2/models/other/infer', { inputs: [] });

    // Then
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual({ error: expect.stringContaining("Model 'other' is not served here") });
  });
});

describe('batching and observability', () => {
  it('answers 40 concurrent one-row requests each with its own prediction', async () => {
    // Given
    const sample = rows(40, 100);

    // When
    const replies = await Promise.all(
      sample.map((row) =>
        server.post('/invocations', { dataframe_split: { columns: model.columns, data: [cells(row)] } }),
      ),
    );

    // Then
    expect(replies.map((reply) => reply.status)).toEqual(sample.map(() => 200));
    expect(closeTo(replies.flatMap(predictions), model.expected(sample))).toBe(true);
  });

  it('exports metrics labelled with the model name and version', async () => {
    // When
    const reply = await server.get('/metrics');

    // Then
    expect(reply.text).toMatch(
      /model_rows_predicted_total\{protocol="mlflow",service="model-server",model="housing-price",model_version="[0-9a-f]{32}"\} \d+/,
    );
    expect(reply.text).toMatch(/model_load_seconds\{.*model="housing-price".*\} [0-9.e-]+/);
    expect(reply.text).toContain('model_run_requests_bucket');
  });

  it('writes inputs and outputs as JSON lines keyed by request id when the payload log is on', async () => {
    // Given
    const payloadLogFile = join(tmpdir(), `payloads-${process.pid}-${Date.now()}.jsonl`);
    const logged = await startServer({
      modelUri: model.modelDir,
      payloadLogEnabled: true,
      payloadLogFile,
      batchingEnabled: false,
    });
    const sample = rows(2, 150);

    // When
    const reply = await fetch(`${logged.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'drift-check-1' },
      body: JSON.stringify({ dataframe_split: { columns: model.columns, data: sample.map(cells) } }),
    });
    await logged.close();

    // Then
    expect(reply.status).toBe(200);
    const lines = (await readFile(payloadLogFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ requestId: 'drift-check-1', protocol: 'mlflow', model: 'housing-price', rows: 2 });
    expect(Object.keys(lines[0].inputs)).toEqual(model.columns);
    expect(closeTo(lines[0].outputs.variable, model.expected(sample))).toBe(true);
    await rm(payloadLogFile, { force: true });
  });
});
