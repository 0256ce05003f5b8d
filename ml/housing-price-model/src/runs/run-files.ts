import { z } from 'zod';

/** File names inside a run directory. */
export const RUN_FILES = {
  run: 'run.json',
  params: 'params.json',
  metrics: 'metrics.json',
  dataProfile: 'data_profile.json',
  actualVsPredicted: 'actual_vs_predicted.svg',
  residuals: 'residuals.svg',
  report: 'report.html',
  modelDir: 'model',
} as const;

/** Largest relative difference between ONNX Runtime and the TypeScript evaluator a run may have. */
export const ONNX_MAX_RELATIVE_DIFF = 1e-3;

/**
 * How the forest is grown. These settings are fixed in the training core (`fitForest`, `TreeBuilder`), not
 * options, so they are recorded here for the run's params.
 */
export const FOREST_SETTINGS = {
  bootstrap: true,
  max_features: '1.0 (every feature at every split)',
  split_rule: 'squared error (largest variance decrease), grown until pure; min_samples_split 2, min_samples_leaf 1',
  validation_rule: 'row i is a validation row when i % 5 == 0',
} as const;

export const runInfoSchema = z.object({
  run_id: z.string(),
  run_name: z.string(),
  created_utc: z.string(),
  producer: z.string(),
  mlflow: z.object({ tracking_uri: z.string(), experiment_id: z.string(), run_id: z.string() }).nullable(),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

export const runParamsSchema = z.object({
  n_trees: z.number().int(),
  seed: z.number().int(),
  threads: z.number().int(),
  bootstrap: z.boolean(),
  max_features: z.string(),
  split_rule: z.string(),
  validation_rule: z.string(),
  target: z.string(),
  data_path: z.string(),
  data_sha256: z.string(),
  rows: z.number().int(),
  train_rows: z.number().int(),
  validation_rows: z.number().int(),
  input_columns: z.number().int(),
  features: z.number().int(),
});
export type RunParamsFile = z.infer<typeof runParamsSchema>;

export const runMetricsSchema = z.object({
  rmse: z.number(),
  mae: z.number(),
  r2: z.number(),
  fit_seconds: z.number(),
  export_seconds: z.number(),
  model_size_bytes: z.number().int(),
  onnx_max_relative_diff: z.number(),
});
export type RunMetricsFile = z.infer<typeof runMetricsSchema>;
