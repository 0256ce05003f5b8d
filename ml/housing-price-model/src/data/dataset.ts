import { readFile } from 'node:fs/promises';
import { CsvSyntaxError, parseCsv } from '@mlms/mlflow-model';
import type { RawColumn, RawColumnType, RawRow } from '../model.js';

/** The target column of the bundled Ames data. */
export const DEFAULT_TARGET = 'Sale_Price';

/**
 * Text that means "no value": empty text, the `NA` / `NaN` markers R and pandas write, and `nan`, which is what
 * Python's ONNX Runtime makes of a pandas NaN in a text column (pandas reads all four as NaN too). `None` is
 * deliberately not a marker: it is a real level of several Ames columns (`Mas_Vnr_Type`, `Misc_Feature`). The CSV
 * loader compares cells after trimming surrounding whitespace ({@link isMissingText}); the ONNX graph and the text
 * columns of the reference preprocessor compare exactly.
 */
export const MISSING_MARKERS: readonly string[] = ['', 'NA', 'NaN', 'nan'];
const MISSING_MARKER_SET: ReadonlySet<string> = new Set(MISSING_MARKERS);

/**
 * Share of a column's filled cells that must parse as numbers for the column to be typed numeric. Below it the
 * column is categorical (text); at or above it every filled cell must be a number, so a stray text value in an
 * otherwise numeric column is reported instead of silently turning the column into 2,000 categories.
 */
export const NUMERIC_COLUMN_MIN_SHARE = 0.9;

/** Plain decimal numbers only: no hex, no `Infinity`, no thousands separators. */
const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV file with every column typed and every data row read into a {@link RawRow}. */
export interface Dataset {
  path: string;
  target: string;
  /** Every column, target included, in CSV order. */
  columns: RawColumn[];
  rows: RawRow[];
}

/** The data file cannot be used; the message names the file, and where relevant the line, column and value. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface LoadDatasetOptions {
  /** Name of the column to predict; default {@link DEFAULT_TARGET}. */
  target?: string;
}

/**
 * Reads and types a CSV file (see {@link parseDataset} for the typing rule).
 *
 * @throws DatasetError when the file is missing, unreadable, empty or malformed, lacks the target column, or holds
 * a non-numeric value in a numeric column.
 */
export async function loadDataset(path: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`data file ${path} does not exist`);
    if (code === 'EISDIR') throw new DatasetError(`data path ${path} is a directory, expected a CSV file`);
    throw new DatasetError(`cannot read data file ${path}: ${(error as Error).message}`);
  }
  return parseDataset(text, { path, target: options.target ?? DEFAULT_TARGET });
}

/**
 * Types and reads CSV text whose first record is the header.
 *
 * Typing rule: a cell is missing when, trimmed, it is empty, `NA`, `NaN` or `nan`. A column is numeric when at least
 * {@link NUMERIC_COLUMN_MIN_SHARE} (90 %) of its filled cells are plain decimal numbers; it is then `long` when every
 * value is a safe integer and `double` otherwise, and every filled cell must be a number (a stray text value is a
 * {@link DatasetError} naming line, column and value). A column with no filled cell is `double` (all missing);
 * anything else is `string`, with cell text kept verbatim (no trimming, as pandas reads quoted text). The target
 * must be numeric and filled on every row.
 *
 * @param source.path Used in error messages and stored on the dataset.
 */
export function parseDataset(text: string, source: { path: string; target: string }): Dataset {
  const { path, target } = source;
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new DatasetError(`${path}: malformed CSV at ${error.message}`);
    throw error;
  }
  const [header, ...dataRecords] = records;
  if (header === undefined) throw new DatasetError(`data file ${path} is empty (expected a header line and data rows)`);
  if (dataRecords.length === 0) {
    throw new DatasetError(`data file ${path} has a header but no data rows`);
  }

  const names = header.fields;
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name.trim() === '') {
      throw new DatasetError(`${path} line ${header.line}: column ${index + 1} of the header has no name`);
    }
    if (seen.has(name)) throw new DatasetError(`${path} line ${header.line}: column name '${name}' appears twice`);
    seen.add(name);
  });
  if (!seen.has(target)) {
    throw new DatasetError(
      `${path}: target column '${target}' not found; the header has ${names.length} columns: ${names.join(', ')}`,
    );
  }

  for (const record of dataRecords) {
    if (record.fields.length !== names.length) {
      throw new DatasetError(
        `${path} line ${record.line}: ${record.fields.length} fields, but the header has ${names.length} columns`,
      );
    }
  }

  const profiles = names.map((name, index) => profileColumn(name, dataRecords, index));
  const columns: RawColumn[] = profiles.map(({ name, type }) => ({ name, type }));
  const rows = dataRecords.map((record, rowIndex) => {
    const row: RawRow = {};
    profiles.forEach((profile, index) => {
      row[profile.name] = readCell(record.fields[index] ?? '', profile, { path, line: record.line, rowIndex });
    });
    return row;
  });

  const targetColumn = columns.find((column) => column.name === target);
  if (targetColumn?.type === 'string') {
    const index = names.indexOf(target);
    const offender = dataRecords.find((record) => !isNumberText(record.fields[index] ?? ''));
    throw new DatasetError(
      `${path}: target column '${target}' must be numeric, but it is mostly text` +
        (offender ? ` (line ${offender.line} holds '${offender.fields[index]}')` : ''),
    );
  }
  rows.forEach((row, rowIndex) => {
    if (row[target] === null) {
      const line = dataRecords[rowIndex]?.line ?? 0;
      throw new DatasetError(
        `${path} line ${line} (data row ${rowIndex + 1}): target '${target}' is empty; every row needs a price`,
      );
    }
  });

  return { path, target, columns, rows };
}

/** Whether a cell (trimmed) is one of the missing markers. */
export function isMissingText(cell: string): boolean {
  return MISSING_MARKER_SET.has(cell.trim());
}

/** Whether text is exactly one of the missing markers (no trimming), as the ONNX graph's text columns test it. */
export function isMissingMarker(text: string): boolean {
  return MISSING_MARKER_SET.has(text);
}

/** Whether a cell (trimmed) is a plain decimal number. */
export function isNumberText(cell: string): boolean {
  return NUMBER_PATTERN.test(cell.trim());
}

interface ColumnProfile extends RawColumn {
  filledCells: number;
  numericCells: number;
}

function profileColumn(name: string, records: { fields: string[] }[], index: number): ColumnProfile {
  let filled = 0;
  let numeric = 0;
  let allIntegers = true;
  for (const record of records) {
    const cell = record.fields[index] ?? '';
    if (isMissingText(cell)) continue;
    filled++;
    if (!isNumberText(cell)) continue;
    numeric++;
    if (allIntegers && !Number.isSafeInteger(Number(cell))) allIntegers = false;
  }
  let type: RawColumnType;
  if (filled === 0) type = 'double';
  else if (numeric < NUMERIC_COLUMN_MIN_SHARE * filled) type = 'string';
  else type = allIntegers ? 'long' : 'double';
  return { name, type, filledCells: filled, numericCells: numeric };
}

function readCell(
  cell: string,
  column: ColumnProfile,
  where: { path: string; line: number; rowIndex: number },
): number | string | null {
  if (isMissingText(cell)) return null;
  if (column.type === 'string') return cell;
  if (!isNumberText(cell)) {
    throw new DatasetError(
      `${where.path} line ${where.line} (data row ${where.rowIndex + 1}), column '${column.name}': ` +
        `'${cell}' is not a number; the column is numeric (${column.numericCells} of its ${column.filledCells} ` +
        `filled cells are numbers), so each cell must be a number, empty or NA`,
    );
  }
  return Number(cell);
}

/** The fixed train/validation split of the project, with the 0-based row indices of each part. */
export interface TrainValidationSplit<Row> {
  train: Row[];
  validation: Row[];
  trainIndices: number[];
  validationIndices: number[];
}

/**
 * Splits rows with the project's fixed rule: 0-based row `i` is a validation row when `i % 5 == 0`, otherwise a
 * training row (2,344 / 586 rows on the Ames data). Deterministic, so every reported figure uses the same split.
 */
export function splitTrainValidation<Row>(rows: readonly Row[]): TrainValidationSplit<Row> {
  const split: TrainValidationSplit<Row> = { train: [], validation: [], trainIndices: [], validationIndices: [] };
  rows.forEach((row, index) => {
    if (index % 5 === 0) {
      split.validation.push(row);
      split.validationIndices.push(index);
    } else {
      split.train.push(row);
      split.trainIndices.push(index);
    }
  });
  return split;
}
