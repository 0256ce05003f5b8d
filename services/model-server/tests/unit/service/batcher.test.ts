import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ColumnBatch, OutputTensor } from '../../../src/dto/batch.js';
import { type BatcherOptions, createRunBatcher, mergeBatches, sliceOutputs } from '../../../src/service/batcher.js';

interface Run {
  batch: ColumnBatch;
  resolve: (outputs: OutputTensor[]) => void;
  reject: (error: unknown) => void;
}

/** A model whose every run waits until the test settles it: `runs[i]` is the i-th session call. */
function controllableRunner() {
  const runs: Run[] = [];
  const runner = vi.fn(
    (batch: ColumnBatch) => new Promise<OutputTensor[]>((resolve, reject) => runs.push({ batch, resolve, reject })),
  );
  return { runs, runner };
}

/** One-column batch of the given values. */
function batchOf(...values: number[]): ColumnBatch {
  return { rows: values.length, columns: [Float64Array.from(values)] };
}

/** What a model would answer for a batch: each value doubled ([N]) and the value with its negation ([N, 2]). */
function outputsFor(batch: ColumnBatch): OutputTensor[] {
  const values = Array.from(batch.columns[0] as Float64Array);
  return [
    { name: 'double', datatype: 'FP64', shape: [batch.rows], data: Float64Array.from(values, (v) => v * 2) },
    { name: 'pair', datatype: 'FP64', shape: [batch.rows, 2], data: Float64Array.from(values.flatMap((v) => [v, -v])) },
  ];
}

function answer(run: Run | undefined): void {
  if (!run) throw new Error('no such run');
  run.resolve(outputsFor(run.batch));
}

/** Ends this event-loop turn: the check phase where an idle batcher starts its first run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lets the batcher's promise chain move on after a run settles (no timers involved). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await Promise.resolve();
}

function firstColumn(batch: ColumnBatch | undefined): number[] {
  return Array.from((batch as ColumnBatch).columns[0] as Float64Array);
}

function batcher(runner: (batch: ColumnBatch) => Promise<OutputTensor[]>, options: Partial<BatcherOptions> = {}) {
  return createRunBatcher(runner, { enabled: true, maxRows: 100, ...options });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createRunBatcher (the kit micro-batcher over columnar batches)', () => {
  it('runs a request that finds the model idle in the same event-loop turn, with no timer', async () => {
    // Given
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);

    // When
    const scored = micro.submit(batchOf(1, 2));
    await nextTurn();

    // Then
    expect(runner).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    answer(runs[0]);
    const outputs = await scored;
    expect(Array.from(outputs[0]?.data as Float64Array)).toEqual([2, 4]);
  });

  it('puts requests that arrive in the same turn as the first into its run', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);

    // When
    const first = micro.submit(batchOf(1));
    const second = micro.submit(batchOf(2, 3));
    await nextTurn();

    // Then
    expect(runner).toHaveBeenCalledTimes(1);
    expect(firstColumn(runs[0]?.batch)).toEqual([1, 2, 3]);
    answer(runs[0]);
    expect((await first)[0]?.data).toEqual(Float64Array.of(2));
    expect((await second)[0]?.data).toEqual(Float64Array.of(4, 6));
  });

  it('merges requests that arrive during a run into one next run, in arrival order, each getting its own rows', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);
    const first = micro.submit(batchOf(1));
    await nextTurn();
    const second = micro.submit(batchOf(10, 20));
    const third = micro.submit(batchOf(30));
    const fourth = micro.submit(batchOf(40, 50, 60));
    expect(runner).toHaveBeenCalledTimes(1);

    // When
    answer(runs[0]);
    await settle();

    // Then
    expect(runner).toHaveBeenCalledTimes(2);
    expect(firstColumn(runs[1]?.batch)).toEqual([10, 20, 30, 40, 50, 60]);
    answer(runs[1]);
    const [one, two, three, four] = await Promise.all([first, second, third, fourth]);
    expect(Array.from(one?.[0]?.data as Float64Array)).toEqual([2]);
    expect(two?.[0]).toEqual({ name: 'double', datatype: 'FP64', shape: [2], data: Float64Array.of(20, 40) });
    expect(two?.[1]).toEqual({
      name: 'pair',
      datatype: 'FP64',
      shape: [2, 2],
      data: Float64Array.of(10, -10, 20, -20),
    });
    expect(three?.[1]?.data).toEqual(Float64Array.of(30, -30));
    expect(four?.[0]?.data).toEqual(Float64Array.of(80, 100, 120));
    expect(four?.[1]?.shape).toEqual([3, 2]);
    expect(runner).toHaveBeenCalledTimes(2);
  });

  it('runs a request alone again once the queue has drained', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);
    const first = micro.submit(batchOf(1));
    await nextTurn();
    answer(runs[0]);
    await first;
    await settle();

    // When
    const second = micro.submit(batchOf(2));
    await nextTurn();

    // Then
    expect(runner).toHaveBeenCalledTimes(2);
    answer(runs[1]);
    expect((await second)[0]?.data).toEqual(Float64Array.of(4));
  });

  it('splits queued requests into runs of at most maxRows rows, a larger request running alone', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner, { maxRows: 3 });
    const lone = micro.submit(batchOf(0));
    await nextTurn();
    const scored = [
      lone,
      micro.submit(batchOf(1, 1)),
      micro.submit(batchOf(2, 2)),
      micro.submit(batchOf(3)),
      micro.submit(batchOf(4, 4, 4, 4)),
      micro.submit(batchOf(5)),
    ];

    // When
    for (let run = 0; run < 10 && runs[run]; run++) {
      answer(runs[run]);
      await settle();
    }
    const outputs = await Promise.all(scored);

    // Then
    expect(runs.map((run) => firstColumn(run.batch))).toEqual([[0], [1, 1], [2, 2, 3], [4, 4, 4, 4], [5]]);
    expect(outputs.map((output) => Array.from(output[0]?.data as Float64Array))).toEqual([
      [0],
      [2, 2],
      [4, 4],
      [6],
      [8, 8, 8, 8],
      [10],
    ]);
  });

  it('retries a failed merged run request by request, so only the bad request fails', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);
    const first = micro.submit(batchOf(1));
    await nextTurn();
    const good = micro.submit(batchOf(2, 3));
    const bad = micro.submit(batchOf(-1));
    const alsoGood = micro.submit(batchOf(4));
    answer(runs[0]);
    await settle();

    // When
    runs[1]?.reject(new Error('merged run failed'));
    await settle();
    answer(runs[2]);
    await settle();
    runs[3]?.reject(new Error('bad row'));
    await settle();
    answer(runs[4]);

    // Then
    await expect(first).resolves.toBeDefined();
    expect((await good)[0]?.data).toEqual(Float64Array.of(4, 6));
    await expect(bad).rejects.toThrow('bad row');
    expect((await alsoGood)[0]?.data).toEqual(Float64Array.of(8));
    expect(runs.map((run) => firstColumn(run.batch))).toEqual([[1], [2, 3, -1, 4], [2, 3], [-1], [4]]);
  });

  it('passes a lone request failure to that request only and goes on with the queue', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const micro = batcher(runner);
    const first = micro.submit(batchOf(1));
    await nextTurn();
    const second = micro.submit(batchOf(2));

    // When
    runs[0]?.reject(new Error('boom'));
    await settle();
    answer(runs[1]);

    // Then
    await expect(first).rejects.toThrow('boom');
    expect((await second)[0]?.data).toEqual(Float64Array.of(4));
  });

  it('runs every request on its own when batching is disabled', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const onRun = vi.fn();
    const micro = batcher(runner, { enabled: false, onRun });

    // When
    const first = micro.submit(batchOf(1));
    const second = micro.submit(batchOf(2, 3));

    // Then
    expect(runner).toHaveBeenCalledTimes(2);
    expect(onRun.mock.calls).toEqual([
      [1, 1],
      [2, 1],
    ]);
    answer(runs[1]);
    answer(runs[0]);
    expect((await first)[0]?.data).toEqual(Float64Array.of(2));
    expect((await second)[0]?.data).toEqual(Float64Array.of(4, 6));
  });

  it('reports the rows and requests of every run, retries included', async () => {
    // Given
    const { runs, runner } = controllableRunner();
    const onRun = vi.fn();
    const micro = batcher(runner, { onRun });
    micro.submit(batchOf(1));
    await nextTurn();
    micro.submit(batchOf(2, 3));
    const failing = micro.submit(batchOf(4, 5, 6));

    // When
    answer(runs[0]);
    await settle();
    runs[1]?.reject(new Error('no'));
    await settle();
    answer(runs[2]);
    await settle();
    answer(runs[3]);
    await failing;

    // Then
    expect(onRun.mock.calls).toEqual([
      [1, 1],
      [5, 2],
      [2, 1],
      [3, 1],
    ]);
  });
});

describe('mergeBatches', () => {
  it('concatenates every column type in batch order, keeping each typed array type', () => {
    // Given
    const first: ColumnBatch = {
      rows: 2,
      columns: [
        Float64Array.of(1.5, 2),
        Float32Array.of(0.5, 1),
        BigInt64Array.of(1n, 2n),
        Int32Array.of(-1, 2),
        Uint8Array.of(1, 0),
        ['a', 'b'],
      ],
    };
    const second: ColumnBatch = {
      rows: 1,
      columns: [
        Float64Array.of(Number.NaN),
        Float32Array.of(3),
        BigInt64Array.of(2n ** 60n),
        Int32Array.of(7),
        Uint8Array.of(1),
        [''],
      ],
    };

    // When
    const merged = mergeBatches([first, second]);

    // Then
    expect(merged).toEqual({
      rows: 3,
      columns: [
        Float64Array.of(1.5, 2, Number.NaN),
        Float32Array.of(0.5, 1, 3),
        BigInt64Array.of(1n, 2n, 2n ** 60n),
        Int32Array.of(-1, 2, 7),
        Uint8Array.of(1, 0, 1),
        ['a', 'b', ''],
      ],
    });
    expect(merged.columns.map((values) => values.constructor)).toEqual([
      Float64Array,
      Float32Array,
      BigInt64Array,
      Int32Array,
      Uint8Array,
      Array,
    ]);
  });

  it('returns the rows of a single batch', () => {
    // When / Then
    expect(mergeBatches([batchOf(1, 2)])).toEqual(batchOf(1, 2));
  });

  it('refuses an empty list of batches', () => {
    // When / Then
    expect(() => mergeBatches([])).toThrow(RangeError);
  });
});

describe('sliceOutputs', () => {
  const outputs: OutputTensor[] = [
    { name: 'flat', datatype: 'FP32', shape: [4], data: Float32Array.of(0, 1, 2, 3) },
    { name: 'wide', datatype: 'FP64', shape: [4, 2], data: Float64Array.of(0, 0, 1, 10, 2, 20, 3, 30) },
    { name: 'column', datatype: 'INT64', shape: [4, 1], data: BigInt64Array.of(0n, 1n, 2n, 3n) },
    { name: 'label', datatype: 'BYTES', shape: [4], data: ['a', 'b', 'c', 'd'] },
  ];

  it('cuts the rows of one request out of every output, [N] and [N, k] alike', () => {
    // When
    const sliced = sliceOutputs(outputs, 1, 2);

    // Then
    expect(sliced).toEqual([
      { name: 'flat', datatype: 'FP32', shape: [2], data: Float32Array.of(1, 2) },
      { name: 'wide', datatype: 'FP64', shape: [2, 2], data: Float64Array.of(1, 10, 2, 20) },
      { name: 'column', datatype: 'INT64', shape: [2, 1], data: BigInt64Array.of(1n, 2n) },
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['b', 'c'] },
    ]);
  });

  it('leaves the merged outputs untouched', () => {
    // When
    const sliced = sliceOutputs(outputs, 0, 1);
    (sliced[0]?.data as Float32Array)[0] = 99;

    // Then
    expect(outputs[0]?.data).toEqual(Float32Array.of(0, 1, 2, 3));
  });
});
