import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { formatDollars } from '../report/plots.js';
import {
  RUN_FILES,
  type RunMetricsFile,
  type RunParamsFile,
  runInfoSchema,
  runMetricsSchema,
  runParamsSchema,
} from './run-files.js';

/** A complete run (one with a valid metrics.json), as the listing shows it. */
export interface RunSummary {
  name: string;
  directory: string;
  createdUtc: string;
  params: RunParamsFile;
  metrics: RunMetricsFile;
  /** The MLflow run id when the run was tracked. */
  mlflowRunId: string | null;
  /** True for the run(s) with the lowest RMSE. */
  best: boolean;
}

/** A run directory that cannot be listed: interrupted, failed its ONNX check, or edited by hand. */
export interface UnreadableRun {
  name: string;
  reason: string;
}

export interface RunListing {
  runs: RunSummary[];
  unreadable: UnreadableRun[];
}

/**
 * Reads every run directory under `runsDir`, newest first (by the creation time in run.json, which the run name's
 * timestamp prefix repeats to the second), and marks the lowest RMSE as best. A missing `runsDir` is an empty listing.
 */
export async function listRuns(runsDir: string): Promise<RunListing> {
  let entries: string[];
  try {
    entries = (await readdir(runsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], unreadable: [] };
    throw error;
  }
  const runs: RunSummary[] = [];
  const unreadable: UnreadableRun[] = [];
  for (const name of entries) {
    const outcome = await readRunSummary(join(runsDir, name));
    if ('reason' in outcome) unreadable.push({ name, reason: outcome.reason });
    else runs.push(outcome);
  }
  runs.sort((a, b) => b.createdUtc.localeCompare(a.createdUtc) || b.name.localeCompare(a.name));
  const bestRmse = Math.min(...runs.map((run) => run.metrics.rmse));
  for (const run of runs) run.best = run.metrics.rmse === bestRmse;
  unreadable.sort((a, b) => b.name.localeCompare(a.name));
  return { runs, unreadable };
}

/** Reads one run directory; an incomplete or malformed run yields the reason instead. */
export async function readRunSummary(directory: string): Promise<RunSummary | { reason: string }> {
  const name = directory.split(/[\\/]/).filter(Boolean).at(-1) ?? directory;
  const metrics = await readJsonFile(join(directory, RUN_FILES.metrics), runMetricsSchema);
  if ('reason' in metrics) {
    return {
      reason: metrics.missing ? 'incomplete (no metrics.json: interrupted or failed its ONNX check)' : metrics.reason,
    };
  }
  const params = await readJsonFile(join(directory, RUN_FILES.params), runParamsSchema);
  if ('reason' in params) return { reason: params.reason };
  const info = await readJsonFile(join(directory, RUN_FILES.run), runInfoSchema);
  if ('reason' in info) return { reason: info.reason };
  return {
    name,
    directory,
    createdUtc: info.value.created_utc,
    params: params.value,
    metrics: metrics.value,
    mlflowRunId: info.value.mlflow?.run_id ?? null,
    best: false,
  };
}

type JsonOutcome<T> = { value: T } | { reason: string; missing: boolean };

async function readJsonFile<T>(path: string, schema: z.ZodType<T>): Promise<JsonOutcome<T>> {
  const file = path.split(/[\\/]/).at(-1);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { reason: missing ? `no ${file}` : `cannot read ${file}: ${(error as Error).message}`, missing };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: `${file} is not valid JSON`, missing: false };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      reason: `${file}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`,
      missing: false,
    };
  }
  return { value: parsed.data };
}

/**
 * The listing as a text table, newest first, with `★ best` on the lowest RMSE; a friendly hint when there are
 * no runs yet.
 */
export function formatRunListing(listing: RunListing, runsDir: string): string {
  const lines: string[] = [];
  if (listing.runs.length === 0) {
    lines.push(`No training runs yet in ${runsDir}.`, 'Train one with `npm run train`.');
  } else {
    const header = ['RUN', 'TREES', 'SEED', 'RMSE', 'MAE', 'R²', 'FIT', 'MODEL', ''];
    const rows = listing.runs.map((run) => [
      run.name,
      String(run.params.n_trees),
      String(run.params.seed),
      formatDollars(run.metrics.rmse),
      formatDollars(run.metrics.mae),
      run.metrics.r2.toFixed(4),
      `${run.metrics.fit_seconds.toFixed(1)}s`,
      `${(run.metrics.model_size_bytes / 1e6).toFixed(1)}MB`,
      run.best ? '★ best RMSE' : '',
    ]);
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
    );
    const render = (cells: string[]) =>
      cells
        .map((cell, column) =>
          column === 0 || column === cells.length - 1
            ? cell.padEnd(widths[column] ?? 0)
            : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd();
    lines.push(`${listing.runs.length} run${listing.runs.length === 1 ? '' : 's'} in ${runsDir} (newest first):`, '');
    lines.push(render(header), ...rows.map(render));
  }
  if (listing.unreadable.length > 0) {
    lines.push('', 'Not listed:');
    for (const run of listing.unreadable) lines.push(`  ${run.name}: ${run.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
