import type { SplitFrame } from '@mlms/mlflow-model';
import type { ColumnBatch, ColumnValues } from '../dto/batch.js';
import type { ModelInput } from '../dto/model.js';

/** The request is not in a format the protocol defines (MLflow `BAD_REQUEST`). */
export class RequestFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestFormatError';
  }
}

/** The request is well-formed but does not fit the model's signature (MLflow `INVALID_PARAMETER_VALUE`). */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

const MAX_REPORTED_PROBLEMS = 5;
const MAX_SHOWN_VALUE_LENGTH = 40;

/**
 * Collects cell problems across a whole request, so one answer names several bad cells (a few, never the whole
 * input: a 100,000-cell request with one wrong column must not produce a 100,000-line message).
 */
class CellProblems {
  private readonly shown: string[] = [];
  private total = 0;

  add(input: ModelInput, row: number, cell: unknown, expected: string): void {
    this.total++;
    if (this.shown.length < MAX_REPORTED_PROBLEMS) {
      this.shown.push(`column '${input.name}' (${input.columnType}), row ${row}: ${describe(cell)}; ${expected}`);
    }
  }

  throwIfAny(): void {
    if (this.total === 0) return;
    const more = this.total > this.shown.length ? `; and ${this.total - this.shown.length} more` : '';
    throw new SchemaError(`Incompatible input types: ${this.shown.join('; ')}${more}.`);
  }
}

function describe(cell: unknown): string {
  if (cell === null) return 'null';
  if (typeof cell === 'string') {
    const shown = cell.length > MAX_SHOWN_VALUE_LENGTH ? `${cell.slice(0, MAX_SHOWN_VALUE_LENGTH)}…` : cell;
    return `text ${JSON.stringify(shown)}`;
  }
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return Array.isArray(cell) ? 'a list' : 'an object';
}

function allocate(input: ModelInput, rows: number): ColumnValues {
  switch (input.element) {
    case 'float64':
      return new Float64Array(rows);
    case 'float32':
      return new Float32Array(rows);
    case 'int64':
      return new BigInt64Array(rows);
    case 'int32':
      return new Int32Array(rows);
    case 'bool':
      return new Uint8Array(rows);
    case 'string':
      return new Array<string>(rows);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Writes one JSON cell into its column with MLflow's schema enforcement rules: integers are accepted into
 * `double`/`float` columns; `null` is NaN in a floating-point column and `""` in a text column (both imputed by the
 * model); a `long`/`integer` column takes only whole numbers and no null (pandas has no integer NaN); text never
 * goes into a numeric column and numbers never into a text column.
 */
function writeCell(input: ModelInput, values: ColumnValues, row: number, cell: unknown, problems: CellProblems): void {
  switch (input.columnType) {
    case 'double':
    case 'float':
      if (typeof cell === 'number') (values as Float64Array)[row] = cell;
      else if (cell === null || cell === undefined) (values as Float64Array)[row] = Number.NaN;
      else problems.add(input, row, cell, 'expected a number or null');
      return;
    case 'long':
    case 'integer': {
      const whole = typeof cell === 'number' && Number.isInteger(cell);
      // The narrower of the signature type and the graph's element: a `long` fed as int32 must not wrap around.
      const bits32 = input.columnType === 'integer' || input.element === 'int32';
      const inRange = whole && (bits32 ? cell >= INT32_MIN && cell <= INT32_MAX : cell >= -(2 ** 63) && cell < 2 ** 63);
      if (!inRange) {
        problems.add(
          input,
          row,
          cell,
          cell === null || cell === undefined
            ? `the column is ${input.columnType}, which cannot hold a missing value`
            : `expected a whole number${bits32 ? ' within 32 bits' : ''}`,
        );
        return;
      }
      storeWholeNumber(input, values, row, cell as number);
      return;
    }
    case 'boolean':
      if (typeof cell === 'boolean') storeWholeNumber(input, values, row, cell ? 1 : 0);
      else problems.add(input, row, cell, 'expected true or false');
      return;
    case 'string':
      if (typeof cell === 'string') (values as string[])[row] = cell;
      else if (cell === null || cell === undefined) (values as string[])[row] = '';
      else problems.add(input, row, cell, 'expected text or null');
      return;
    default:
      problems.add(input, row, cell, `the ${input.columnType} type is not supported`);
  }
}

function storeWholeNumber(input: ModelInput, values: ColumnValues, row: number, value: number): void {
  if (input.element === 'int64') (values as BigInt64Array)[row] = BigInt(value);
  else (values as Float64Array | Float32Array | Int32Array | Uint8Array)[row] = value;
}

function emptyBatch(inputs: readonly ModelInput[]): ColumnBatch {
  return { rows: 0, columns: inputs.map((input) => allocate(input, 0)) };
}

/** A missing value for an absent optional column; `undefined` when the column type has none. */
function fillAbsent(input: ModelInput, values: ColumnValues, rows: number, problems: CellProblems): void {
  for (let row = 0; row < rows; row++) writeCell(input, values, row, null, problems);
}

function missingInputs(inputs: readonly ModelInput[], present: (name: string) => boolean): void {
  const missing = inputs.filter((input) => input.required && !present(input.name)).map((input) => input.name);
  if (missing.length > 0) {
    throw new SchemaError(`Model is missing inputs [${missing.map((name) => `'${name}'`).join(', ')}].`);
  }
}

/**
 * A pandas `split` frame (`{columns, data}`, `index` ignored) into columns: the body of `dataframe_split`, the
 * shape of MLflow's `input_example.json`. Columns are matched by name; extra columns are ignored.
 */
export function decodeSplitFrame(frame: unknown, inputs: readonly ModelInput[]): ColumnBatch {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    throw new RequestFormatError("'dataframe_split' must be an object with 'columns' and 'data'.");
  }
  const { columns, data } = frame as { columns?: unknown; data?: unknown };
  if (!Array.isArray(data)) throw new RequestFormatError("'dataframe_split.data' must be a list of rows.");
  const rows = data.length;
  let names: string[];
  if (columns === undefined) {
    // pandas names the columns 0..n-1 when there is no `columns`, which then match no signature input.
    names = [];
  } else if (!Array.isArray(columns) || !columns.every((name) => typeof name === 'string')) {
    throw new RequestFormatError("'dataframe_split.columns' must be a list of column names.");
  } else {
    names = columns as string[];
  }
  for (let row = 0; row < rows; row++) {
    const cells = data[row];
    if (!Array.isArray(cells) || cells.length !== names.length) {
      throw new RequestFormatError(
        `'dataframe_split.data' row ${row} must be a list of ${names.length} values, one per column.`,
      );
    }
  }
  const positions = columnPositions(names, inputs);

  const problems = new CellProblems();
  const batchColumns = inputs.map((input, inputIndex) => {
    const values = allocate(input, rows);
    const index = positions[inputIndex];
    if (index === undefined) fillAbsent(input, values, rows, problems);
    else for (let row = 0; row < rows; row++) writeCell(input, values, row, (data[row] as unknown[])[index], problems);
    return values;
  });
  problems.throwIfAny();
  return { rows, columns: batchColumns };
}

/** The last column list seen per model, with where each input sits in it: clients send the same columns each time. */
const lastColumns = new WeakMap<
  readonly ModelInput[],
  { names: readonly string[]; positions: (number | undefined)[] }
>();

/**
 * Where each input is among the request's columns (`undefined` when absent), after checking that no column is named
 * twice and no required input is missing. The answer for the last column list is reused when the next request
 * names the same columns, which saves building a map of 70-odd names per request.
 */
function columnPositions(names: readonly string[], inputs: readonly ModelInput[]): (number | undefined)[] {
  const last = lastColumns.get(inputs);
  if (last && sameNames(last.names, names)) return last.positions;
  const position = new Map<string, number>();
  names.forEach((name, index) => {
    if (position.has(name)) throw new RequestFormatError(`'dataframe_split.columns' lists '${name}' twice.`);
    position.set(name, index);
  });
  missingInputs(inputs, (name) => position.has(name));
  const positions = inputs.map((input) => position.get(input.name));
  lastColumns.set(inputs, { names: [...names], positions });
  return positions;
}

function sameNames(known: readonly string[], names: readonly string[]): boolean {
  if (known.length !== names.length) return false;
  for (let index = 0; index < names.length; index++) if (known[index] !== names[index]) return false;
  return true;
}

/** The model's input example through the same rules as a request (see {@link decodeSplitFrame}). */
export function decodeExampleFrame(frame: SplitFrame, inputs: readonly ModelInput[]): ColumnBatch {
  return decodeSplitFrame(frame, inputs);
}

/** A list of row objects (`dataframe_records`, or `instances`/`inputs` holding records). */
export function decodeRecords(records: readonly unknown[], inputs: readonly ModelInput[], field: string): ColumnBatch {
  const rows = records.length;
  // No rows is zero rows in every list format, not a frame that lacks every column.
  if (rows === 0) return emptyBatch(inputs);
  for (let row = 0; row < rows; row++) {
    const record = records[row];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new RequestFormatError(`'${field}' row ${row} must be an object of column values.`);
    }
  }
  const typed = records as readonly Record<string, unknown>[];
  // A column is present when any row has it (pandas makes the column, and NaN where a row lacks the key).
  missingInputs(inputs, (name) => typed.some((record) => Object.hasOwn(record, name)));
  const problems = new CellProblems();
  const columns = inputs.map((input) => {
    const values = allocate(input, rows);
    for (let row = 0; row < rows; row++)
      writeCell(input, values, row, ownValue(typed[row] as Record<string, unknown>, input.name), problems);
    return values;
  });
  problems.throwIfAny();
  return { rows, columns };
}

/** A key's own value, never one inherited from `Object.prototype` (a column named `constructor` or `toString`). */
function ownValue(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** An object of columns (`inputs: {"a": [1, 2], "b": ["x", "y"]}`), or of scalars for one row. */
export function decodeColumnObject(
  object: Record<string, unknown>,
  inputs: readonly ModelInput[],
  field: string,
): ColumnBatch {
  missingInputs(inputs, (name) => Object.hasOwn(object, name));
  const present = inputs.map((input) => ownValue(object, input.name));
  const lists = present.filter((value) => Array.isArray(value)) as unknown[][];
  const given = present.filter((value) => value !== undefined).length;
  if (lists.length > 0 && lists.length !== given) {
    throw new RequestFormatError(`'${field}' must map every column to a list of values, or every column to one value.`);
  }
  const rows = lists.length > 0 ? (lists[0] as unknown[]).length : given > 0 ? 1 : 0;
  if (lists.some((list) => list.length !== rows)) {
    throw new RequestFormatError(`'${field}' columns must all have the same number of values.`);
  }
  const problems = new CellProblems();
  const columns = inputs.map((input, index) => {
    const values = allocate(input, rows);
    const column = present[index];
    for (let row = 0; row < rows; row++) {
      const cell = Array.isArray(column) ? column[row] : column;
      writeCell(input, values, row, cell, problems);
    }
    return values;
  });
  problems.throwIfAny();
  return { rows, columns };
}

/** Rows as lists of values in signature order (`instances: [[...], ...]`). */
export function decodePositionalRows(
  rowsIn: readonly unknown[],
  inputs: readonly ModelInput[],
  field: string,
): ColumnBatch {
  const rows = rowsIn.length;
  for (let row = 0; row < rows; row++) {
    const cells = rowsIn[row];
    if (!Array.isArray(cells) || cells.length !== inputs.length) {
      throw new RequestFormatError(
        `'${field}' row ${row} must be an object of column values or a list of ${inputs.length} values in ` +
          'signature order.',
      );
    }
  }
  const problems = new CellProblems();
  const columns = inputs.map((input, index) => {
    const values = allocate(input, rows);
    for (let row = 0; row < rows; row++) writeCell(input, values, row, (rowsIn[row] as unknown[])[index], problems);
    return values;
  });
  problems.throwIfAny();
  return { rows, columns };
}

/** A list of rows: records, or positional lists; an empty list is zero rows. */
export function decodeRowList(rowsIn: readonly unknown[], inputs: readonly ModelInput[], field: string): ColumnBatch {
  if (rowsIn.length === 0) return emptyBatch(inputs);
  return Array.isArray(rowsIn[0]) ? decodePositionalRows(rowsIn, inputs, field) : decodeRecords(rowsIn, inputs, field);
}

/**
 * Text cells into typed cells by column type, for CSV: `double`/`float`/`long`/`integer` cells are parsed as numbers
 * (an empty cell or a pandas NA marker is null), `boolean` cells as `True`/`False`, text cells stay text.
 */
export function parseTextCell(input: ModelInput, text: string): unknown {
  if (PANDAS_NA_VALUES.has(text)) return null;
  switch (input.columnType) {
    case 'double':
    case 'float':
    case 'long':
    case 'integer': {
      const trimmed = text.trim();
      if (NUMBER_TEXT.test(trimmed)) return Number(trimmed);
      if (INFINITY_TEXT.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
      return text;
    }
    case 'boolean':
      return BOOLEAN_TEXT[text.trim().toLowerCase()] ?? text;
    default:
      return text;
  }
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY_TEXT = /^[+-]?inf(inity)?$/i;
const BOOLEAN_TEXT: Record<string, boolean> = { true: true, false: false };

/** The cells `pandas.read_csv` reads as missing by default (its `na_values`), which MLflow's CSV input uses. */
export const PANDAS_NA_VALUES: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);
