import type { Dataset } from '../data/dataset.js';
import type { FittedPreprocessor, RawRow } from '../model.js';
import { isMissingValue } from '../pipeline/preprocessor.js';

export interface ColumnProfile {
  name: string;
  type: 'long' | 'double' | 'string';
  /** What the pipeline does with the column. */
  role: 'numeric' | 'categorical' | 'dropped';
  missing_in_training: number;
  median?: number;
  most_frequent?: string;
  levels?: string[];
}

export interface DataProfile {
  data_path: string;
  target: string;
  rows: number;
  train_rows: number;
  feature_count: number;
  dropped_columns: string[];
  target_in_training: { min: number; median: number; mean: number; max: number };
  columns: ColumnProfile[];
}

/**
 * What the fitted preprocessor learned about each raw column (type, role, missing count on the training rows,
 * median or levels), plus the target's spread: the facts a reviewer needs to judge the data behind a run.
 */
export function buildDataProfile(dataset: Dataset, preprocessor: FittedPreprocessor, trainRows: RawRow[]): DataProfile {
  const numeric = new Map(preprocessor.numeric.map((step) => [step.name, step]));
  const categorical = new Map(preprocessor.categorical.map((step) => [step.name, step]));
  const dropped = new Set(preprocessor.droppedColumns);
  const columns = preprocessor.inputColumns.map((column): ColumnProfile => {
    const missing = trainRows.filter((row) => isMissingValue(row[column.name])).length;
    const base = { name: column.name, type: column.type, missing_in_training: missing };
    const numericStep = numeric.get(column.name);
    if (numericStep) return { ...base, role: 'numeric', median: numericStep.median };
    const categoricalStep = categorical.get(column.name);
    if (categoricalStep) {
      return {
        ...base,
        role: 'categorical',
        most_frequent: categoricalStep.mostFrequent,
        levels: categoricalStep.levels,
      };
    }
    if (!dropped.has(column.name)) {
      throw new Error(`column '${column.name}' is neither numeric, categorical nor dropped in the preprocessor`);
    }
    return { ...base, role: 'dropped' };
  });
  const prices = trainRows.map((row) => row[preprocessor.target] as number).sort((a, b) => a - b);
  const middle = prices.length >> 1;
  const medianPrice =
    prices.length % 2 === 1 ? (prices[middle] ?? 0) : ((prices[middle - 1] ?? 0) + (prices[middle] ?? 0)) / 2;
  return {
    data_path: dataset.path,
    target: preprocessor.target,
    rows: dataset.rows.length,
    train_rows: trainRows.length,
    feature_count: preprocessor.featureNames.length,
    dropped_columns: preprocessor.droppedColumns,
    target_in_training: {
      min: prices[0] ?? 0,
      median: medianPrice,
      mean: prices.reduce((sum, price) => sum + price, 0) / Math.max(prices.length, 1),
      max: prices.at(-1) ?? 0,
    },
    columns,
  };
}
