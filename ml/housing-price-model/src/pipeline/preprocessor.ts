import type { Dataset } from '../data/dataset.js';
import { isMissingMarker, isMissingText, isNumberText } from '../data/dataset.js';
import type { CategoricalColumnStep, FittedPreprocessor, NumericColumnStep, RawColumn, RawRow } from '../model.js';

/** Columns more than this share empty on the training rows are dropped (strictly more than 30 %). */
export const MAX_MISSING_SHARE = 0.3;

/** A prediction row holds a value the preprocessor cannot encode (a text value in a numeric column). */
export class InputRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputRowError';
  }
}

/**
 * Whether a raw value counts as missing: null, undefined, NaN, or text that is, trimmed, empty or a missing marker
 * (`NA`, `NaN`, `nan`), the rule of the CSV loader. Numeric columns use it; text columns use the exact rule of
 * {@link isMissingLevel}.
 */
export function isMissingValue(value: RawRow[string]): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  return isMissingText(value);
}

/**
 * Whether a value of a text column is missing: null, undefined, NaN, or text that is exactly `""`, `NA`, `NaN` or
 * `nan` (no trimming). This is the test the ONNX graph's `LabelEncoder` makes (ONNX has no string trimming at
 * opset 17), so the reference preprocessor and the graph agree on every string; `" NA"` is an (unknown) level in
 * both, and `None` is an ordinary level. On rows read by the CSV loader, which already turned trimmed markers into
 * null, it agrees with {@link isMissingValue}.
 */
export function isMissingLevel(value: RawRow[string]): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  return isMissingMarker(value);
}

/**
 * Fits the feature engineering on the training rows, mirroring scikit-learn's
 * `SimpleImputer(strategy='median')` for numeric columns and `SimpleImputer(strategy='most_frequent')` +
 * `OneHotEncoder(handle_unknown='ignore')` for text columns, after dropping columns more than 30 % empty.
 *
 * Levels are sorted by UTF-16 code unit (as NumPy sorts them for `np.unique`); a tie for most frequent level goes to
 * the first level in that order (as scikit-learn's mode does).
 *
 * @throws RangeError when there are no training rows.
 */
export function fitPreprocessor(dataset: Dataset, trainRows: RawRow[]): FittedPreprocessor {
  if (trainRows.length === 0) throw new RangeError('fitPreprocessor: trainRows is empty; at least one row is needed');
  const inputColumns: RawColumn[] = dataset.columns
    .filter((column) => column.name !== dataset.target)
    .map((column) => ({ ...column }));
  const droppedColumns: string[] = [];
  const numeric: NumericColumnStep[] = [];
  const categorical: CategoricalColumnStep[] = [];

  for (const column of inputColumns) {
    const isMissing = column.type === 'string' ? isMissingLevel : isMissingValue;
    const values = trainRows.map((row) => row[column.name]).filter((value) => !isMissing(value));
    // missing / total (not 1 - present / total, which turns exactly 30 % into 0.30000000000000004).
    const missingShare = (trainRows.length - values.length) / trainRows.length;
    if (missingShare > MAX_MISSING_SHARE) {
      droppedColumns.push(column.name);
      continue;
    }
    if (column.type === 'string') {
      const levels = values.map((value) => String(value));
      categorical.push(fitCategorical(column.name, levels));
    } else {
      const numbers = values.map((value, index) => toNumber(value, column.name, index));
      numeric.push({ name: column.name, median: median(numbers) });
    }
  }

  const featureNames = [
    ...numeric.map((step) => step.name),
    ...categorical.flatMap((step) => step.levels.map((level) => `${step.name}_${level}`)),
  ];
  return { target: dataset.target, inputColumns, droppedColumns, numeric, categorical, featureNames };
}

/**
 * Encodes rows into the model's feature matrix: row-major float32, `rows.length × featureNames.length`.
 * Missing values ({@link isMissingValue} in numeric columns, {@link isMissingLevel} in text columns) are imputed; a
 * text level unseen in training encodes as all zeros (never an error); dropped and unknown columns are ignored.
 * Numeric columns accept numbers or numeric text.
 *
 * @throws InputRowError when a numeric column holds text that is not a number.
 */
export function transformRows(pre: FittedPreprocessor, rows: RawRow[]): Float32Array {
  const width = pre.featureNames.length;
  const features = new Float32Array(rows.length * width);
  const levelIndex = categoricalLevelIndex(pre);
  const numericCount = pre.numeric.length;

  rows.forEach((row, rowIndex) => {
    const offset = rowIndex * width;
    pre.numeric.forEach((step, column) => {
      const value = row[step.name];
      features[offset + column] = isMissingValue(value) ? step.median : toNumber(value, step.name, rowIndex);
    });
    let base = offset + numericCount;
    pre.categorical.forEach((step, column) => {
      const value = row[step.name];
      const level = isMissingLevel(value) ? step.mostFrequent : String(value);
      const position = levelIndex[column]?.get(level);
      if (position !== undefined) features[base + position] = 1;
      base += step.levels.length;
    });
  });
  return features;
}

function categoricalLevelIndex(pre: FittedPreprocessor): Map<string, number>[] {
  return pre.categorical.map((step) => new Map(step.levels.map((level, index) => [level, index])));
}

function toNumber(value: RawRow[string], column: string, rowIndex: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isNumberText(value)) return Number(value);
  throw new InputRowError(
    `row ${rowIndex}, column '${column}': ${JSON.stringify(value)} is not a number; ` +
      'the column is numeric, so send a number, numeric text, or null for missing',
  );
}

function fitCategorical(name: string, values: string[]): CategoricalColumnStep {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const levels = [...counts.keys()].sort(compareCodeUnits);
  let mostFrequent = '';
  let bestCount = 0;
  // Levels are visited in sorted order and only a strictly higher count wins, so ties go to the smallest level.
  for (const level of levels) {
    const count = counts.get(level) ?? 0;
    if (count > bestCount) {
      bestCount = count;
      mostFrequent = level;
    }
  }
  return { name, mostFrequent, levels };
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** The median of a non-empty list, averaging the two middle values for an even count (as NumPy does). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list is undefined');
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}
