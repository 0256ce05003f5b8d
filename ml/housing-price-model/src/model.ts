/**
 * The in-memory shape of a fitted pipeline. The trainer produces it, the TypeScript evaluator and the ONNX
 * exporter consume it, so this file is the contract between those three parts.
 */

/** How a raw column is typed in the data and in the MLflow signature. */
export type RawColumnType = 'long' | 'double' | 'string';

export interface RawColumn {
  name: string;
  type: RawColumnType;
}

export interface NumericColumnStep {
  name: string;
  /** Training median: replaces a missing value (null, empty cell, NaN) at prediction time. */
  median: number;
}

export interface CategoricalColumnStep {
  name: string;
  /** Most frequent training level: replaces a missing value at prediction time. */
  mostFrequent: string;
  /** One-hot vocabulary in feature order; a level outside it encodes as all zeros. */
  levels: string[];
}

/**
 * Feature engineering fitted on the training rows. Feature order is fixed: every numeric column in
 * `numeric` order, then for each categorical column (in `categorical` order) one feature per level.
 */
export interface FittedPreprocessor {
  target: string;
  /** Every raw input column (target excluded), in the order of the training CSV. */
  inputColumns: RawColumn[];
  /** Columns more than 30 % empty on the training rows: accepted as inputs, ignored by the model. */
  droppedColumns: string[];
  numeric: NumericColumnStep[];
  categorical: CategoricalColumnStep[];
  featureNames: string[];
}

/**
 * One regression tree in flat arrays (scikit-learn's layout). Node 0 is the root. A leaf has
 * `feature[i] === -1`; an inner node sends a row left when `x[feature] <= threshold` (float32 comparison,
 * as ONNX's TreeEnsembleRegressor does: thresholds are float32-representable and chosen so the float32
 * partition equals the one found in training), otherwise right.
 */
export interface RegressionTree {
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** Mean target of the training samples in the node (the prediction at a leaf). */
  value: Float64Array;
}

export interface RandomForestModel {
  trees: RegressionTree[];
  nFeatures: number;
}

export interface FittedPipeline {
  preprocessor: FittedPreprocessor;
  forest: RandomForestModel;
}

/** A raw input row as a client sends it: numbers, strings, or null/undefined for missing. */
export type RawRow = Record<string, number | string | null | undefined>;
