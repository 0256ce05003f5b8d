import { randomBytes } from 'node:crypto';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadDataset } from '../data/dataset.js';
import { trainPipeline } from '../pipeline/train.js';
import { type RunSummary, readRunSummary } from './list-runs.js';
import {
  logRunDirectory,
  MlflowTrackingClient,
  type MlflowTrackingConfig,
  startTrackedRun,
  trackingConfigFromEnv,
} from './mlflow-tracking.js';
import { RUN_FILES } from './run-files.js';
import { type TrackedRun, writeRun } from './write-run.js';

export interface TrainRunOptions {
  seed: number;
  trees: number;
  threads: number;
  dataPath: string;
  runsDir: string;
  /** Also copy the run's MLflow model directory here (replacing what is there). */
  outDir?: string;
  /** Called after each finished tree. */
  onProgress?: (treesDone: number, nTrees: number) => void;
  /** Status lines and warnings for the user (the CLI prints them on stderr). */
  log?: (line: string) => void;
  /** Environment to read the MLflow settings from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

export interface TrainRunOutcome {
  runDir: string;
  summary: RunSummary;
  /** Where the model directory was copied, when `outDir` was given. */
  modelCopy?: string;
  /** `off` without MLFLOW_TRACKING_URI; `failed` when the server could not take the run (the local run is kept). */
  tracking: 'off' | 'logged' | 'failed';
}

/**
 * Loads the data, trains, writes the run directory (MLflow model, params, metrics, plots, report), optionally
 * copies the model directory to `outDir`, and logs the run to MLflow when `MLFLOW_TRACKING_URI` is set. Tracking
 * problems are reported through `log` and never fail or lose the local run.
 */
export async function trainAndRecord(options: TrainRunOptions): Promise<TrainRunOutcome> {
  const log = options.log ?? (() => {});
  const dataset = await loadDataset(options.dataPath);
  log(`Loaded ${dataset.rows.length} rows × ${dataset.columns.length} columns from ${dataset.path}`);
  log(`Training ${options.trees} trees on ${options.threads} thread(s), seed ${options.seed}`);
  const startTime = Date.now();
  const result = await trainPipeline(dataset, {
    nTrees: options.trees,
    seed: options.seed,
    threads: options.threads,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  const opened = await openTracking(options.env ?? process.env, startTime, log);
  const tracking = typeof opened === 'string' ? null : opened;
  log('Exporting the ONNX model and checking it with ONNX Runtime');
  let runDir: string;
  try {
    runDir = await writeRun({
      result,
      dataset,
      params: { nTrees: options.trees, seed: options.seed, threads: options.threads },
      runsDir: options.runsDir,
      ...(tracking ? { tracked: tracking.tracked } : {}),
    });
  } catch (error) {
    if (tracking) await markFailed(tracking, log);
    throw error;
  }
  const summary = await readRunSummary(runDir);
  if ('reason' in summary) throw new Error(`the run just written to ${runDir} cannot be read back: ${summary.reason}`);

  let trackingState: TrainRunOutcome['tracking'] = typeof opened === 'string' ? opened : 'logged';
  if (tracking) {
    try {
      await logRunDirectory(tracking.client, tracking.run, runDir, summary.name);
      log(
        `Logged to MLflow: ${tracking.config.trackingUri} (experiment ${tracking.tracked.experimentId}, run ${tracking.run.runId})`,
      );
    } catch (error) {
      trackingState = 'failed';
      log(`Warning: MLflow logging failed, the local run is complete: ${(error as Error).message}`);
      await markFailed(tracking, log);
    }
  }

  const outcome: TrainRunOutcome = { runDir, summary, tracking: trackingState };
  if (options.outDir) outcome.modelCopy = await replaceDirectory(join(runDir, RUN_FILES.modelDir), options.outDir);
  return outcome;
}

interface OpenTracking {
  client: MlflowTrackingClient;
  config: MlflowTrackingConfig;
  run: { runId: string; artifactUri: string };
  tracked: TrackedRun;
}

/** The started tracking run; `off` when tracking is not configured, `failed` when it is but cannot start. */
async function openTracking(
  env: NodeJS.ProcessEnv,
  startTime: number,
  log: (line: string) => void,
): Promise<OpenTracking | 'off' | 'failed'> {
  let config: MlflowTrackingConfig | null;
  try {
    config = trackingConfigFromEnv(env);
  } catch (error) {
    log(`Warning: MLflow tracking skipped: ${(error as Error).message}`);
    return 'failed';
  }
  if (config === null) return 'off';
  const client = new MlflowTrackingClient(config);
  try {
    const { experimentId, run } = await startTrackedRun(client, config, startTime);
    return {
      client,
      config,
      run,
      tracked: { trackingUri: config.trackingUri, experimentId, runId: run.runId },
    };
  } catch (error) {
    log(`Warning: MLflow tracking skipped, could not start a run: ${(error as Error).message}`);
    return 'failed';
  }
}

async function markFailed(tracking: OpenTracking, log: (line: string) => void): Promise<void> {
  try {
    await tracking.client.updateRun(tracking.run.runId, { status: 'FAILED', endTime: Date.now() });
  } catch (error) {
    log(`Warning: could not mark MLflow run ${tracking.run.runId} as failed: ${(error as Error).message}`);
  }
}

/**
 * Copies `source` to `target`, replacing it: the copy lands in a sibling temporary directory first and is renamed
 * into place, so a reader (the model server) never sees a half-written model directory.
 */
export async function replaceDirectory(source: string, target: string): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  const staging = `${target}.partial-${randomBytes(4).toString('hex')}`;
  const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
  await cp(source, staging, { recursive: true });
  try {
    await rename(target, previous);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
  return target;
}
