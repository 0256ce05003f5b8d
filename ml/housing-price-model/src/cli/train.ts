import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, DEFAULT_TREES } from '../forest/forest.js';
import { MAX_SEED } from '../forest/random.js';
import { DEFAULT_DATA_PATH, DEFAULT_RUNS_DIR } from '../package-paths.js';
import { formatDollars } from '../report/plots.js';
import { formatBytes } from '../report/report-html.js';
import { type TrainRunOptions, type TrainRunOutcome, trainAndRecord } from '../runs/train-run.js';
import {
  createProgressReporter,
  isMainModule,
  parseWholeNumber,
  resolveUserPath,
  UsageError,
  usageErrorFrom,
} from './cli-support.js';

export const TRAIN_USAGE = `Usage: npm run train -- [options]

Trains the housing price pipeline on the Ames data, exports it as an MLflow model with an ONNX graph, and writes
a run directory (model/, params.json, metrics.json, data_profile.json, plots, report.html).

Options:
  --seed <n>         random seed, 0 to ${MAX_SEED} (default ${DEFAULT_SEED})
  --trees <n>        number of trees, 1 to 10000 (default ${DEFAULT_TREES})
  --threads <n>      worker threads, 1 to 1024 (default: all cores, ${availableParallelism()} here)
  --data <file>      training CSV (default: the bundled ames.csv)
  --runs-dir <dir>   where run directories go (default: ml/housing-price-model/runs)
  --out <dir>        also copy the MLflow model directory here, replacing it
  -h, --help         show this help

When MLFLOW_TRACKING_URI is set, the run is also logged to that MLflow tracking server.
`;

export type TrainCliOptions = Pick<TrainRunOptions, 'seed' | 'trees' | 'threads' | 'dataPath' | 'runsDir' | 'outDir'>;

/**
 * Parses the `train` flags.
 *
 * @returns The options, or `'help'` for --help.
 * @throws UsageError on an unknown flag, a missing value, a stray argument or a value out of range.
 */
export function parseTrainArgs(args: string[], env: NodeJS.ProcessEnv = process.env): TrainCliOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        seed: { type: 'string' },
        trees: { type: 'string' },
        threads: { type: 'string' },
        data: { type: 'string' },
        'runs-dir': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usageErrorFrom(error);
  }
  if (values.help) return 'help';
  const text = (name: string) => {
    const value = values[name];
    if (typeof value !== 'string') return undefined;
    if (value.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
    return value;
  };
  const seed = text('seed');
  const trees = text('trees');
  const threads = text('threads');
  const data = text('data');
  const runsDir = text('runs-dir');
  const out = text('out');
  return {
    seed: seed === undefined ? DEFAULT_SEED : parseWholeNumber('seed', seed, 0, MAX_SEED),
    trees: trees === undefined ? DEFAULT_TREES : parseWholeNumber('trees', trees, 1, 10_000),
    threads: threads === undefined ? availableParallelism() : parseWholeNumber('threads', threads, 1, 1024),
    dataPath: data === undefined ? DEFAULT_DATA_PATH : resolveUserPath(data, env),
    runsDir: runsDir === undefined ? DEFAULT_RUNS_DIR : resolveUserPath(runsDir, env),
    ...(out === undefined ? {} : { outDir: resolveUserPath(out, env) }),
  };
}

/** The end-of-training summary printed on stdout. */
export function formatTrainSummary(outcome: TrainRunOutcome, cwd = process.cwd()): string {
  const { metrics, params } = outcome.summary;
  const rows: [string, string][] = [
    ['RMSE', `${formatDollars(metrics.rmse)}  (${Math.round(metrics.rmse).toLocaleString('en-US')})`],
    ['MAE', `${formatDollars(metrics.mae)}  (${Math.round(metrics.mae).toLocaleString('en-US')})`],
    ['R²', metrics.r2.toFixed(4)],
    ['Fit time', `${metrics.fit_seconds.toFixed(2)} s (${params.n_trees} trees, ${params.threads} threads)`],
    ['Export + check', `${metrics.export_seconds.toFixed(2)} s`],
    ['Model size', formatBytes(metrics.model_size_bytes)],
    ['ONNX vs TS', `max relative difference ${metrics.onnx_max_relative_diff.toExponential(2)}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [
    `Validation metrics (${params.validation_rows} rows, trained on ${params.train_rows}):`,
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
    '',
    `Run:    ${displayPath(outcome.runDir, cwd)}`,
    `Report: ${displayPath(`${outcome.runDir}/report.html`, cwd)}`,
  ];
  if (outcome.modelCopy) lines.push(`Model:  ${displayPath(outcome.modelCopy, cwd)}`);
  if (outcome.tracking === 'logged') lines.push(`MLflow: run ${outcome.summary.mlflowRunId}`);
  if (outcome.tracking === 'failed')
    lines.push('MLflow: not logged (see the warning above); the local run is complete');
  return `${lines.join('\n')}\n`;
}

function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown.startsWith('..') ? path : shown || '.';
}

/** What a CLI passes to a training function: progress on stderr (a bar on a terminal) and status lines. */
export interface TrainingHooks {
  onProgress: (treesDone: number, nTrees: number) => void;
  log: (line: string) => void;
}

/**
 * Runs one training with progress on stderr, then prints the summary on stdout.
 *
 * @returns the process exit code: 0 when the run was recorded, 1 when it failed (the message says why).
 */
export async function runWithProgress(
  command: string,
  train: (hooks: TrainingHooks) => Promise<TrainRunOutcome>,
): Promise<number> {
  const progress = createProgressReporter(process.stderr);
  try {
    const outcome = await train({
      onProgress: progress.update,
      log: (line) => {
        progress.finish();
        process.stderr.write(`${line}\n`);
      },
    });
    process.stdout.write(`\n${formatTrainSummary(outcome, process.env.INIT_CWD ?? process.cwd())}`);
    return 0;
  } catch (error) {
    progress.finish();
    process.stderr.write(`${command} failed: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Runs `train` with the given arguments; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function runTrainCli(args: string[]): Promise<number> {
  let options: TrainCliOptions | 'help';
  try {
    options = parseTrainArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`train: ${error.message}\n\n${TRAIN_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }
  return runWithProgress('train', (hooks) => trainAndRecord({ ...options, ...hooks }));
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runTrainCli(process.argv.slice(2));
}
