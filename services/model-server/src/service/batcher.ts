import type { ColumnBatch, ColumnValues, OutputTensor } from '../dto/batch.js';

export type BatchRunner = (batch: ColumnBatch) => Promise<OutputTensor[]>;

export interface BatcherOptions {
  /** Off: every request is its own run. */
  enabled: boolean;
  /** Most rows merged into one run (a single larger request still runs alone). */
  maxRows: number;
  /** Called with the row count of every run, for the metrics. */
  onRun?: (rows: number, requests: number) => void;
}

interface Pending {
  batch: ColumnBatch;
  resolve: (outputs: OutputTensor[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Scores concurrent requests together without adding latency. A request that finds the model idle runs in the
 * same event-loop turn (with any others that arrived in that turn); requests that arrive while a run is in flight
 * queue, and the next run scores all of them (up to
 * `maxRows`) in one session call, then splits the outputs back by request. No timer ever holds a request: the
 * batch is whatever queued behind the previous run. If a merged run fails, each of its requests is run again on
 * its own, so one bad request fails only itself.
 */
export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly runBatch: BatchRunner,
    private readonly options: BatcherOptions,
  ) {}

  score(batch: ColumnBatch): Promise<OutputTensor[]> {
    if (!this.options.enabled) return this.runCounted(batch, 1);
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.running) {
        // The first run starts in the check phase of this event-loop turn (setImmediate, not a timer), so the
        // requests whose bodies arrived in the same I/O phase go into it too; ONNX Runtime would not start before
        // the next turn anyway, so the first request waits no longer than it would alone.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        if (group.length === 1) {
          const [only] = group as [Pending];
          await this.runCounted(only.batch, 1).then(only.resolve, only.reject);
        } else {
          await this.runMerged(group);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The queued requests that fit in one run, in arrival order (always at least one). */
  private takeGroup(): Pending[] {
    let rows = 0;
    let count = 0;
    for (const pending of this.queue) {
      if (count > 0 && rows + pending.batch.rows > this.options.maxRows) break;
      rows += pending.batch.rows;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async runMerged(group: Pending[]): Promise<void> {
    let outputs: OutputTensor[];
    try {
      outputs = await this.runCounted(mergeBatches(group.map((pending) => pending.batch)), group.length);
    } catch {
      for (const pending of group) await this.runCounted(pending.batch, 1).then(pending.resolve, pending.reject);
      return;
    }
    let offset = 0;
    for (const pending of group) {
      pending.resolve(sliceOutputs(outputs, offset, pending.batch.rows));
      offset += pending.batch.rows;
    }
  }

  private async runCounted(batch: ColumnBatch, requests: number): Promise<OutputTensor[]> {
    this.options.onRun?.(batch.rows, requests);
    // Awaited inside an async function, so a runner that throws synchronously still rejects only this run.
    return await this.runBatch(batch);
  }
}

/** The rows of several batches of the same model, one after another. */
export function mergeBatches(batches: readonly ColumnBatch[]): ColumnBatch {
  const first = batches[0];
  if (!first) throw new RangeError('mergeBatches: no batches');
  let rows = 0;
  for (const batch of batches) rows += batch.rows;
  // Plain loops: this runs for every column of every merged run, whose requests are mostly one row each, and for
  // one value `flatMap` and `TypedArray.prototype.set` cost several times more than copying it.
  const columns = first.columns.map((sample, index) => {
    if (Array.isArray(sample)) {
      const merged: string[] = [];
      for (const batch of batches) for (const value of batch.columns[index] as string[]) merged.push(value);
      return merged;
    }
    const merged = new (sample.constructor as new (length: number) => Exclude<ColumnValues, string[]>)(rows);
    let offset = 0;
    for (const batch of batches) {
      const values = batch.columns[index] as Exclude<ColumnValues, string[]>;
      if (values.length === 1) (merged as Float64Array)[offset] = values[0] as number;
      else (merged as Float64Array).set(values as Float64Array, offset);
      offset += values.length;
    }
    return merged;
  });
  return { rows, columns };
}

/** The outputs of rows `[start, start + rows)` of a merged run (outputs are row-major, rows first). */
export function sliceOutputs(outputs: readonly OutputTensor[], start: number, rows: number): OutputTensor[] {
  return outputs.map((output) => {
    const perRow = output.shape.slice(1).reduce((product, size) => product * size, 1);
    const data = output.data.slice(start * perRow, (start + rows) * perRow) as OutputTensor['data'];
    return { ...output, shape: [rows, ...output.shape.slice(1)], data };
  });
}
