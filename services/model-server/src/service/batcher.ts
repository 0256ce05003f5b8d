import { MicroBatcher } from '@mlms/service-kit';
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

/**
 * Scores concurrent requests together without adding latency (the kit's micro-batcher over columnar batches): the
 * requests that queue while a session run is in flight are scored by the next run in one session call, their rows
 * one after another, and the outputs are split back by request. If a merged run fails, each of its requests is run
 * again on its own, so one bad request fails only itself.
 */
export function createRunBatcher(
  runBatch: BatchRunner,
  options: BatcherOptions,
): MicroBatcher<ColumnBatch, OutputTensor[]> {
  return new MicroBatcher<ColumnBatch, OutputTensor[]>(
    async (batches) => {
      if (batches.length === 1) return [await runBatch(batches[0] as ColumnBatch)];
      const outputs = await runBatch(mergeBatches(batches));
      let offset = 0;
      return batches.map((batch) => {
        const own = sliceOutputs(outputs, offset, batch.rows);
        offset += batch.rows;
        return own;
      });
    },
    { enabled: options.enabled, maxSize: options.maxRows, sizeOf: (batch) => batch.rows, onCall: options.onRun },
  );
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
