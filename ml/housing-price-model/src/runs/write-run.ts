import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MLMODEL_FILES } from '@mlms/mlflow-model';
import type { Dataset } from '../data/dataset.js';
import { splitTrainValidation } from '../data/dataset.js';
import { predictRows } from '../evaluate.js';
import { writeMlflowModel } from '../export/mlflow-model.js';
import { buildOnnxModel } from '../export/onnx.js';
import { scoreWithOnnx } from '../export/onnx-runtime.js';
import type { TrainResult } from '../pipeline/train.js';
import { actualVsPredictedSvg, residualsSvg } from '../report/plots.js';
import { renderReportHtml } from '../report/report-html.js';
import { buildDataProfile } from './data-profile.js';
import {
  FOREST_SETTINGS,
  ONNX_MAX_RELATIVE_DIFF,
  RUN_FILES,
  type RunInfo,
  type RunMetricsFile,
  type RunParamsFile,
} from './run-files.js';

/** The options the caller trained with. */
export interface RunParams {
  nTrees: number;
  seed: number;
  threads: number;
}

/** Where the run is also tracked, when an MLflow server took it. */
export interface TrackedRun {
  trackingUri: string;
  experimentId: string;
  /** The MLflow run id (32 hex characters); it also becomes the local run id and the MLmodel `run_id`. */
  runId: string;
}

export interface WriteRunOptions {
  result: TrainResult;
  dataset: Dataset;
  params: RunParams;
  runsDir: string;
  tracked?: TrackedRun;
  /** Defaults to now. */
  createdAt?: Date;
}

/** ONNX Runtime and the TypeScript evaluator disagree beyond {@link ONNX_MAX_RELATIVE_DIFF}. */
export class OnnxParityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxParityError';
  }
}

/**
 * Writes a run directory `<runsDir>/<UTC timestamp>-<short id>/`: the MLflow model (`model/`), params, metrics,
 * data profile, two SVG plots and report.html. Before the metrics are written, every validation row is scored
 * with ONNX Runtime from the written model.onnx and compared with the TypeScript evaluator; a run whose
 * difference exceeds 1e-3 (relative) fails with {@link OnnxParityError} and is left without metrics.json, which
 * marks it incomplete.
 *
 * @returns The run directory path.
 */
export async function writeRun(options: WriteRunOptions): Promise<string> {
  const { result, dataset, params } = options;
  const { preprocessor } = result.pipeline;
  const createdAt = options.createdAt ?? new Date();
  const runId = options.tracked?.runId ?? randomUUID().replaceAll('-', '');
  const runName = `${compactTimestamp(createdAt)}-${runId.slice(0, 8)}`;
  const runDir = join(options.runsDir, runName);
  await mkdir(runDir, { recursive: true });

  const info: RunInfo = {
    run_id: runId,
    run_name: runName,
    created_utc: createdAt.toISOString(),
    producer: '@mlms/housing-price-model train',
    mlflow: options.tracked
      ? {
          tracking_uri: options.tracked.trackingUri,
          experiment_id: options.tracked.experimentId,
          run_id: options.tracked.runId,
        }
      : null,
  };
  await writeJson(join(runDir, RUN_FILES.run), info);

  const dataSha256 = createHash('sha256')
    .update(await readFile(dataset.path))
    .digest('hex');
  const trainRows = splitTrainValidation(dataset.rows).train;
  const paramsFile: RunParamsFile = {
    n_trees: params.nTrees,
    seed: params.seed,
    threads: params.threads,
    ...FOREST_SETTINGS,
    target: dataset.target,
    data_path: dataset.path,
    data_sha256: dataSha256,
    rows: dataset.rows.length,
    train_rows: result.trainRows,
    validation_rows: result.validationRows,
    input_columns: preprocessor.inputColumns.length,
    features: preprocessor.featureNames.length,
  };
  await writeJson(join(runDir, RUN_FILES.params), paramsFile);

  const exportStarted = performance.now();
  const onnxModel = buildOnnxModel(result.pipeline, {
    metadata: { run_id: runId, data_sha256: dataSha256, seed: String(params.seed) },
  });
  const modelDir = join(runDir, RUN_FILES.modelDir);
  const model = await writeMlflowModel({
    directory: modelDir,
    onnxModel,
    inputColumns: preprocessor.inputColumns,
    exampleRows: result.validation.rows.slice(0, 5),
    runId,
    createdAt,
  });
  const parity = await checkOnnxParity(join(modelDir, MLMODEL_FILES.onnx), result);
  const exportSeconds = (performance.now() - exportStarted) / 1000;
  if (parity.maxRelativeDiff > ONNX_MAX_RELATIVE_DIFF) {
    throw new OnnxParityError(
      `ONNX export check failed: on validation row ${parity.worstRow} ONNX Runtime predicts ${parity.onnxValue} ` +
        `but the TypeScript evaluator ${parity.referenceValue} (relative difference ${parity.maxRelativeDiff.toExponential(3)}, ` +
        `allowed ${ONNX_MAX_RELATIVE_DIFF}); the run directory ${runDir} is incomplete (no metrics.json)`,
    );
  }

  const profile = buildDataProfile(dataset, preprocessor, trainRows);
  await writeJson(join(runDir, RUN_FILES.dataProfile), profile);
  const plotInput = { actual: result.validation.actual, predicted: result.validation.predicted };
  const actualVsPredicted = actualVsPredictedSvg(plotInput);
  const residuals = residualsSvg(plotInput);
  await writeFile(join(runDir, RUN_FILES.actualVsPredicted), actualVsPredicted);
  await writeFile(join(runDir, RUN_FILES.residuals), residuals);

  const metrics: RunMetricsFile = {
    rmse: result.metrics.rmse,
    mae: result.metrics.mae,
    r2: result.metrics.r2,
    fit_seconds: result.fitSeconds,
    export_seconds: exportSeconds,
    model_size_bytes: model.modelSizeBytes,
    onnx_max_relative_diff: parity.maxRelativeDiff,
  };
  await writeFile(
    join(runDir, RUN_FILES.report),
    renderReportHtml({
      info,
      params: paramsFile,
      metrics,
      profile,
      actualVsPredictedSvg: actualVsPredicted,
      residualsSvg: residuals,
    }),
  );
  // Written last: its presence is what marks the run complete.
  await writeJson(join(runDir, RUN_FILES.metrics), metrics);
  return runDir;
}

export interface OnnxParity {
  maxRelativeDiff: number;
  worstRow: number;
  onnxValue: number;
  referenceValue: number;
}

/**
 * Scores every validation row with ONNX Runtime and with the TypeScript evaluator (`predictRows`) and returns
 * the largest relative difference, `|onnx − reference| / max(|reference|, 1)`.
 */
export async function checkOnnxParity(modelPath: string, result: TrainResult): Promise<OnnxParity> {
  const rows = result.validation.rows;
  const onnx = await scoreWithOnnx(modelPath, rows, result.pipeline.preprocessor.inputColumns);
  const reference = predictRows(result.pipeline, rows);
  const parity: OnnxParity = {
    maxRelativeDiff: 0,
    worstRow: 0,
    onnxValue: onnx[0] ?? 0,
    referenceValue: reference[0] ?? 0,
  };
  for (let row = 0; row < rows.length; row++) {
    const onnxValue = onnx[row] ?? Number.NaN;
    const referenceValue = reference[row] ?? Number.NaN;
    const diff = Math.abs(onnxValue - referenceValue) / Math.max(Math.abs(referenceValue), 1);
    // `!(diff <= max)` also catches NaN, which must fail the check rather than slip past a `>` comparison.
    if (!(diff <= parity.maxRelativeDiff)) {
      Object.assign(parity, {
        maxRelativeDiff: Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff,
        worstRow: row,
        onnxValue,
        referenceValue,
      });
    }
  }
  return parity;
}

/** `20250131T235959Z`: sortable and safe in file names on every OS. */
export function compactTimestamp(date: Date): string {
  return date
    .toISOString()
    .replaceAll('-', '')
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
