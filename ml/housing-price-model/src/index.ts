export type { CsvRecord } from '@mlms/mlflow-model';
export { CsvSyntaxError, parseCsv } from '@mlms/mlflow-model';
export type { Dataset, LoadDatasetOptions, TrainValidationSplit } from './data/dataset.js';
export { DatasetError, DEFAULT_TARGET, loadDataset, parseDataset, splitTrainValidation } from './data/dataset.js';
export type { DefaultModelOptions } from './default-model.js';
export {
  DEFAULT_MODEL_SEED,
  DEFAULT_MODEL_TREES,
  ensureDefaultModel,
  isModelDirectory,
  trainDefaultModel,
} from './default-model.js';
export { predictFeatures, predictRows, predictTree } from './evaluate.js';
export type { WriteMlflowModelOptions } from './export/mlflow-model.js';
export { signatureInputs, signatureOutputs, toSplitFrame, writeMlflowModel } from './export/mlflow-model.js';
export { buildOnnxModel, ONNX_OUTPUT_NAME, OnnxExportError, onnxInputElementType } from './export/onnx.js';
export type { OnnxModelSource, OnnxScorer, OnnxScorerOptions } from './export/onnx-runtime.js';
export { buildFeeds, loadOnnxScorer, OnnxInputError, scoreWithOnnx } from './export/onnx-runtime.js';
export type { ForestOptions, ForestTrainingSet } from './forest/forest.js';
export { DEFAULT_SEED, DEFAULT_TREES, fitForest } from './forest/forest.js';
export { mae, r2, rmse } from './metrics.js';
export type * from './model.js';
export { DEFAULT_DATA_PATH, DEFAULT_MODEL_DIR, DEFAULT_RUNS_DIR, PACKAGE_ROOT } from './package-paths.js';
export { fitPreprocessor, InputRowError, isMissingValue, transformRows } from './pipeline/preprocessor.js';
export type { TrainOptions, TrainResult } from './pipeline/train.js';
export { trainPipeline } from './pipeline/train.js';
export type { RunListing, RunSummary } from './runs/list-runs.js';
export { formatRunListing, listRuns } from './runs/list-runs.js';
export type { TrainRunOptions, TrainRunOutcome } from './runs/train-run.js';
export { trainAndRecord } from './runs/train-run.js';
export type { RunParams, WriteRunOptions } from './runs/write-run.js';
export { OnnxParityError, writeRun } from './runs/write-run.js';
