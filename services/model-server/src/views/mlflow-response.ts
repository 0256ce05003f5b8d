import type { OutputTensor } from '../dto/batch.js';

/**
 * The `/invocations` answer, `{"predictions": ...}`, built as text (no intermediate objects for a 10,000-row
 * answer): a flat list with one value per row for a single-output model (what scikit-learn models served by MLflow
 * return, and what the seeds' orchestrator reads), or one record per row keyed by output name for several outputs.
 * NaN is written as `null` (standard JSON has no NaN).
 */
export function predictionsJson(outputs: readonly OutputTensor[]): string {
  if (outputs.length === 1) {
    const [only] = outputs as [OutputTensor];
    return `{"predictions":[${rowValues(only).join(',')}]}`;
  }
  const columns = outputs.map((output) => ({ key: JSON.stringify(output.name), values: rowValues(output) }));
  const rows = outputs[0]?.shape[0] ?? 0;
  const records: string[] = new Array(rows);
  for (let row = 0; row < rows; row++) {
    records[row] = `{${columns.map((column) => `${column.key}:${column.values[row]}`).join(',')}}`;
  }
  return `{"predictions":[${records.join(',')}]}`;
}

/** One JSON value per row: a scalar when each row has one element, else the row's list. */
function rowValues(output: OutputTensor): string[] {
  const rows = output.shape[0] ?? 0;
  const perRow = output.shape.slice(1).reduce((product, size) => product * size, 1);
  const values: string[] = new Array(rows);
  for (let row = 0; row < rows; row++) {
    if (perRow === 1) values[row] = jsonScalar(output.data[row]);
    else {
      const cells: string[] = [];
      for (let cell = row * perRow; cell < (row + 1) * perRow; cell++) cells.push(jsonScalar(output.data[cell]));
      values[row] = `[${cells.join(',')}]`;
    }
  }
  return values;
}

export function jsonScalar(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return JSON.stringify(value ?? null);
  }
}
