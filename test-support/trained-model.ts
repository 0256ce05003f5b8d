import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Dataset,
  DEFAULT_DATA_PATH,
  type FittedPipeline,
  loadDataset,
  predictRows,
  type RawRow,
  splitTrainValidation,
  trainPipeline,
  writeRun,
} from '@mlms/housing-price-model';

export interface TrainedModel {
  /** The run's MLflow model directory. */
  modelDir: string;
  dataset: Dataset;
  pipeline: FittedPipeline;
  /** Rows the model was not trained on, as the dataset holds them (null for a missing value). */
  validationRows: RawRow[];
  /** Input column names in signature order. */
  columns: string[];
  /** What the TypeScript evaluator predicts for these rows (the reference every protocol must match). */
  expected(rows: RawRow[]): number[];
  remove(): Promise<void>;
}

/**
 * Trains a small forest (5 trees) on the real Ames data and exports it as the training CLI does: the model that
 * the model server and the orchestrator are tested with, over real sockets.
 */
export async function trainSmallModel(options: { dataPath?: string } = {}): Promise<TrainedModel> {
  const runsDir = await mkdtemp(join(tmpdir(), 'trained-model-'));
  const dataset = await loadDataset(options.dataPath ?? DEFAULT_DATA_PATH);
  const params = { nTrees: 5, seed: 11, threads: 1 };
  const result = await trainPipeline(dataset, params);
  const runDir = await writeRun({ result, dataset, params, runsDir });
  const { pipeline } = result;
  return {
    modelDir: join(runDir, 'model'),
    dataset,
    pipeline,
    validationRows: splitTrainValidation(dataset.rows).validation,
    columns: pipeline.preprocessor.inputColumns.map((column) => column.name),
    expected: (rows) => Array.from(predictRows(pipeline, rows)),
    remove: () => rm(runsDir, { recursive: true, force: true }),
  };
}

/** Whether two prediction lists agree: ONNX scores in float32, the evaluator in float64. */
export function closeTo(actual: readonly number[], expected: readonly number[], relative = 1e-5): boolean {
  return (
    actual.length === expected.length &&
    actual.every(
      (value, index) => Math.abs(value - (expected[index] as number)) <= relative * Math.abs(expected[index] as number),
    )
  );
}
