import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ColumnBatch, OutputTensor } from '../../../src/dto/batch.js';
import type { ModelOutput } from '../../../src/dto/model.js';
import { createRunBatcher } from '../../../src/service/batcher.js';
import { createModelMetrics, type ModelMetrics } from '../../../src/service/model-metrics.js';
import { PayloadLog } from '../../../src/service/payload-log.js';
import { PredictionTimeoutError, ScoringService } from '../../../src/service/scoring-service.js';
import { AREA_ROOMS_ZONE } from '../../support/inputs.js';

const INPUTS = AREA_ROOMS_ZONE;
const OUTPUTS: ModelOutput[] = [
  { name: 'variable', datatype: 'FP32' },
  { name: 'label', datatype: 'INT64' },
];
const IDENTITY = { name: 'housing', version: '3' };

function batchOf(rows: number): ColumnBatch {
  return {
    rows,
    columns: [
      Float64Array.from({ length: rows }, (_, row) => (row === 0 ? Number.NaN : row * 1.5)),
      BigInt64Array.from({ length: rows }, (_, row) => BigInt(row)),
      Array.from({ length: rows }, (_, row) => `z${row}`),
    ],
  };
}

const answerFor = async (batch: ColumnBatch): Promise<OutputTensor[]> => [
  {
    name: 'variable',
    datatype: 'FP32',
    shape: [batch.rows],
    data: Float32Array.from({ length: batch.rows }, (_, row) => (row === 0 ? Number.NaN : row)),
  },
  { name: 'label', datatype: 'INT64', shape: [batch.rows], data: BigInt64Array.from({ length: batch.rows }, () => 9n) },
];

let metrics: ModelMetrics;
beforeEach(() => {
  metrics = createModelMetrics(new Registry());
});
afterEach(() => {
  vi.useRealTimers();
});

function service(
  runner: (batch: ColumnBatch) => Promise<OutputTensor[]>,
  options: { requestTimeoutMs?: number; payloadLog?: PayloadLog } = {},
) {
  return new ScoringService({
    identity: IDENTITY,
    inputs: INPUTS,
    outputs: OUTPUTS,
    batcher: createRunBatcher(runner, { enabled: true, maxRows: 100 }),
    metrics,
    requestTimeoutMs: options.requestTimeoutMs ?? 1000,
    payloadLog: options.payloadLog,
  });
}

async function counterValue(protocol: string): Promise<number | undefined> {
  return (await metrics.rowsPredicted.get()).values.find((value) => value.labels.protocol === protocol)?.value;
}

async function histogramCount(protocol: string): Promise<number | undefined> {
  return (await metrics.requestRows.get()).values.find(
    (value) => value.metricName === 'model_request_rows_count' && value.labels.protocol === protocol,
  )?.value;
}

describe('ScoringService', () => {
  it('scores the batch through the batcher and answers with the model identity', async () => {
    // Given
    const runner = vi.fn(answerFor);
    const scoring = service(runner);

    // When
    const result = await scoring.predict(batchOf(2), { requestId: 'r1', protocol: 'mlflow' });

    // Then
    expect(runner).toHaveBeenCalledTimes(1);
    expect(result.model).toEqual(IDENTITY);
    expect(result.outputs.map((output) => output.name)).toEqual(['variable', 'label']);
    expect(scoring.identity).toEqual(IDENTITY);
    expect(scoring.inputs).toBe(INPUTS);
    expect(scoring.outputs).toBe(OUTPUTS);
  });

  it('answers zero rows with empty outputs without calling the model', async () => {
    // Given
    const runner = vi.fn(answerFor);
    const scoring = service(runner);

    // When
    const result = await scoring.predict(batchOf(0), { requestId: 'r1', protocol: 'v2' });

    // Then
    expect(runner).not.toHaveBeenCalled();
    expect(result.outputs).toEqual([
      { name: 'variable', datatype: 'FP32', shape: [0], data: [] },
      { name: 'label', datatype: 'INT64', shape: [0], data: [] },
    ]);
  });

  it('counts rows and requests per protocol', async () => {
    // Given
    const scoring = service(answerFor);

    // When
    await scoring.predict(batchOf(3), { requestId: 'a', protocol: 'mlflow' });
    await scoring.predict(batchOf(2), { requestId: 'b', protocol: 'mlflow' });
    await scoring.predict(batchOf(4), { requestId: 'c', protocol: 'v2' });
    await scoring.predict(batchOf(0), { requestId: 'd', protocol: 'v2' });

    // Then
    expect(await counterValue('mlflow')).toBe(5);
    expect(await counterValue('v2')).toBe(4);
    expect(await histogramCount('mlflow')).toBe(2);
    expect(await histogramCount('v2')).toBe(2);
  });

  it('does not count rows as predicted when the model fails', async () => {
    // Given
    const scoring = service(async () => {
      throw new Error('session failed');
    });

    // When
    const outcome = scoring.predict(batchOf(2), { requestId: 'a', protocol: 'mlflow' });

    // Then
    await expect(outcome).rejects.toThrow('session failed');
    expect(await counterValue('mlflow')).toBeUndefined();
    expect(await histogramCount('mlflow')).toBe(1);
  });

  it('gives up with PredictionTimeoutError when the model does not answer in time', async () => {
    // Given
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const scoring = service(() => new Promise<never>(() => {}), { requestTimeoutMs: 250 });
    const outcome = scoring.predict(batchOf(1), { requestId: 'slow', protocol: 'v2' });
    const settled = outcome.then(
      () => 'resolved',
      (error: unknown) => error,
    );

    // When
    await vi.advanceTimersByTimeAsync(249);
    const early = await Promise.race([settled, Promise.resolve('pending')]);
    await vi.advanceTimersByTimeAsync(1);

    // Then
    expect(early).toBe('pending');
    const error = await settled;
    expect(error).toBeInstanceOf(PredictionTimeoutError);
    expect((error as PredictionTimeoutError).timeoutMs).toBe(250);
    expect((error as Error).message).toBe('The prediction did not finish within 250 ms.');
  });

  it('clears its timer once the model answers', async () => {
    // Given
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const scoring = service(answerFor, { requestTimeoutMs: 60_000 });

    // When
    await scoring.predict(batchOf(1), { requestId: 'fast', protocol: 'v2' });

    // Then
    expect(vi.getTimerCount()).toBe(0);
  });
});

function failOnError(error: Error): void {
  throw error;
}

describe('ScoringService with a payload log', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'model-server-payloads-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes one JSON line per prediction with inputs by column and outputs by name, NaN as null', async () => {
    // Given
    const file = join(directory, 'payloads.jsonl');
    const payloadLog = new PayloadLog(file, { ...IDENTITY, inputs: INPUTS }, failOnError);
    const scoring = service(answerFor, { payloadLog });

    // When
    await scoring.predict(batchOf(2), { requestId: 'req-1', protocol: 'mlflow' });
    await scoring.predict(batchOf(0), { requestId: 'req-2', protocol: 'v2' });
    await payloadLog.close();

    // Then
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const [first, second] = lines.slice(0, 2).map((line) => JSON.parse(line));
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestId: 'req-1',
      protocol: 'mlflow',
      model: 'housing',
      version: '3',
      rows: 2,
      inputs: { area: [null, 1.5], rooms: [0, 1], zone: ['z0', 'z1'] },
      outputs: { variable: [null, 1], label: [9, 9] },
    });
    expect(second).toMatchObject({
      requestId: 'req-2',
      protocol: 'v2',
      rows: 0,
      inputs: { area: [], rooms: [], zone: [] },
      outputs: { variable: [], label: [] },
    });
  });

  it('appends to an existing file', async () => {
    // Given
    const file = join(directory, 'payloads.jsonl');
    for (const requestId of ['one', 'two']) {
      const payloadLog = new PayloadLog(file, { ...IDENTITY, inputs: INPUTS }, failOnError);
      await service(answerFor, { payloadLog }).predict(batchOf(1), { requestId, protocol: 'mlflow' });
      await payloadLog.close();
    }

    // When
    const lines = (await readFile(file, 'utf8')).trim().split('\n');

    // Then
    expect(lines.map((line) => JSON.parse(line).requestId)).toEqual(['one', 'two']);
  });

  it('refuses a file that cannot be opened for appending, at once', () => {
    // Given
    const file = join(directory, 'missing-folder', 'payloads.jsonl');

    // When / Then
    expect(() => new PayloadLog(file, { ...IDENTITY, inputs: INPUTS }, failOnError)).toThrow(/ENOENT/);
  });

  it('reports a failed write once and stops logging, while predictions go on', async () => {
    // Given
    const file = join(directory, 'payloads.jsonl');
    const errors: Error[] = [];
    const payloadLog = new PayloadLog(file, { ...IDENTITY, inputs: INPUTS }, (error) => errors.push(error));
    const scoring = service(answerFor, { payloadLog });
    (payloadLog as unknown as { stream: NodeJS.WritableStream }).stream.emit(
      'error',
      new Error('ENOSPC: no space left'),
    );

    // When
    const result = await scoring.predict(batchOf(1), { requestId: 'after-failure', protocol: 'mlflow' });
    (payloadLog as unknown as { stream: NodeJS.WritableStream }).stream.emit('error', new Error('ENOSPC again'));
    await payloadLog.close();

    // Then
    expect(result.outputs).toHaveLength(2);
    expect(errors.map((error) => error.message)).toEqual(['ENOSPC: no space left']);
    expect(await readFile(file, 'utf8')).toBe('');
  });
});
