import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { ColumnBatch, OutputTensor } from '../dto/batch.js';
import type { ModelInput } from '../dto/model.js';

/** One prediction's inputs and outputs, as one JSON line, keyed by request id (for drift analysis). */
export interface PayloadRecord {
  requestId: string;
  protocol: string;
  batch: ColumnBatch;
  outputs: readonly OutputTensor[];
}

/**
 * Appends every prediction's inputs (by column) and outputs (by output name) to a JSON-lines file. Writes are
 * buffered by the stream, so scoring never waits on the disk; `close` flushes what is pending. The file is opened
 * when the log is created, so a path that cannot be written fails at start-up; a write that fails later (a full
 * disk) is reported once through `onError` and turns the log off, never a prediction.
 *
 * @throws Error (from `open`) when the file cannot be opened for appending.
 */
export class PayloadLog {
  private readonly stream: WriteStream;
  private failed = false;

  constructor(
    path: string,
    private readonly model: { name: string; version: string; inputs: readonly ModelInput[] },
    onError: (error: Error) => void,
  ) {
    this.stream = createWriteStream(path, { fd: openSync(path, 'a') });
    this.stream.on('error', (error) => {
      if (this.failed) return;
      this.failed = true;
      onError(error);
    });
  }

  write(record: PayloadRecord): void {
    if (this.failed) return;
    const inputs: Record<string, unknown[]> = {};
    this.model.inputs.forEach((input, index) => {
      inputs[input.name] = Array.from(record.batch.columns[index] as ArrayLike<unknown>, jsonValue);
    });
    const outputs: Record<string, unknown[]> = {};
    for (const output of record.outputs)
      outputs[output.name] = Array.from(output.data as ArrayLike<unknown>, jsonValue);
    this.stream.write(
      `${JSON.stringify({
        time: new Date().toISOString(),
        requestId: record.requestId,
        protocol: record.protocol,
        model: this.model.name,
        version: this.model.version,
        rows: record.batch.rows,
        inputs,
        outputs,
      })}\n`,
    );
  }

  close(): Promise<void> {
    if (this.failed) return Promise.resolve();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** NaN is written as null (JSON has no NaN) and int64 values as numbers. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
