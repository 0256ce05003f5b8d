import { performance } from 'node:perf_hooks';
import type { Dataset } from '../data/dataset.js';
import { splitTrainValidation } from '../data/dataset.js';
import { predictRows } from '../evaluate.js';
import { fitForest } from '../forest/forest.js';
import { mae, r2, rmse } from '../metrics.js';
import type { FittedPipeline, RawRow } from '../model.js';
import { fitPreprocessor, transformRows } from './preprocessor.js';

export interface TrainOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  /** Unsigned 32-bit seed (default 42). */
  seed?: number;
  /** Worker threads for the forest (default `os.availableParallelism()`); 1 builds in-process. */
  threads?: number;
  /** Called after each finished tree. */
  onProgress?: (treesDone: number, nTrees: number) => void;
}

export interface TrainResult {
  pipeline: FittedPipeline;
  /** Wall-clock seconds of the forest fit (worker start-up included; preprocessing and scoring excluded). */
  fitSeconds: number;
  trainRows: number;
  validationRows: number;
  /** Scores on the validation rows of the fixed split. */
  metrics: { rmse: number; mae: number; r2: number };
  validation: { rows: RawRow[]; actual: number[]; predicted: number[] };
}

/**
 * Trains the whole pipeline on the project's fixed split (row `i` validates when `i % 5 == 0`): fits the
 * preprocessor and the forest on the training rows, then scores the validation rows with the reference evaluator.
 *
 * @throws RangeError on invalid options, or when the split leaves no training or no validation rows.
 */
export async function trainPipeline(dataset: Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  const split = splitTrainValidation(dataset.rows);
  if (split.train.length === 0 || split.validation.length === 0) {
    throw new RangeError(
      `${dataset.path}: ${dataset.rows.length} data rows leave ${split.train.length} training and ` +
        `${split.validation.length} validation rows; at least 2 rows are needed (row i validates when i % 5 == 0)`,
    );
  }
  const preprocessor = fitPreprocessor(dataset, split.train);
  const features = transformRows(preprocessor, split.train);
  const targets = split.train.map((row) => row[dataset.target] as number);

  const started = performance.now();
  const forest = await fitForest(
    { features, nRows: split.train.length, nFeatures: preprocessor.featureNames.length, targets },
    options,
  );
  const fitSeconds = (performance.now() - started) / 1000;

  const pipeline: FittedPipeline = { preprocessor, forest };
  const actual = split.validation.map((row) => row[dataset.target] as number);
  const predicted = Array.from(predictRows(pipeline, split.validation));
  return {
    pipeline,
    fitSeconds,
    trainRows: split.train.length,
    validationRows: split.validation.length,
    metrics: { rmse: rmse(actual, predicted), mae: mae(actual, predicted), r2: r2(actual, predicted) },
    validation: { rows: split.validation, actual, predicted },
  };
}
