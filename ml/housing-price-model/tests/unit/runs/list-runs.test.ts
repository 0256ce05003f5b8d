import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRunListing, listRuns } from '../../../src/runs/list-runs.js';
import type { RunInfo, RunMetricsFile, RunParamsFile } from '../../../src/runs/run-files.js';
import { temporaryDirectory } from '../../helpers/export-fixtures.js';

const PARAMS: RunParamsFile = {
  n_trees: 100,
  seed: 42,
  threads: 2,
  bootstrap: true,
  max_features: '1.0',
  split_rule: 'squared error',
  validation_rule: 'row i is a validation row when i % 5 == 0',
  target: 'Sale_Price',
  data_path: 'ames.csv',
  data_sha256: 'a'.repeat(64),
  rows: 2930,
  train_rows: 2344,
  validation_rows: 586,
  input_columns: 73,
  features: 306,
};

function metricsWith(rmse: number): RunMetricsFile {
  return {
    rmse,
    mae: rmse * 0.6,
    r2: 0.9,
    fit_seconds: 12.5,
    export_seconds: 2,
    model_size_bytes: 9_000_000,
    onnx_max_relative_diff: 1e-8,
  };
}

async function writeRunFiles(
  runsDir: string,
  name: string,
  created: string,
  files: { metrics?: RunMetricsFile | string; seed?: number },
): Promise<void> {
  const directory = join(runsDir, name);
  await mkdir(directory, { recursive: true });
  const info: RunInfo = { run_id: name, run_name: name, created_utc: created, producer: 'test', mlflow: null };
  await writeFile(join(directory, 'run.json'), JSON.stringify(info));
  await writeFile(join(directory, 'params.json'), JSON.stringify({ ...PARAMS, seed: files.seed ?? 42 }));
  if (files.metrics !== undefined) {
    const text = typeof files.metrics === 'string' ? files.metrics : JSON.stringify(files.metrics);
    await writeFile(join(directory, 'metrics.json'), text);
  }
}

describe('listRuns', () => {
  let runsDir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ path: runsDir, remove } = await temporaryDirectory('runs'));
  });
  afterEach(async () => {
    await remove();
  });

  it('lists complete runs newest first and marks the lowest RMSE as best', async () => {
    // Given
    await writeRunFiles(runsDir, '20250101T100000Z-aaaaaaaa', '2025-01-01T10:00:00.000Z', {
      metrics: metricsWith(30_000),
    });
    await writeRunFiles(runsDir, '20250103T100000Z-cccccccc', '2025-01-03T10:00:00.000Z', {
      metrics: metricsWith(27_000),
    });
    await writeRunFiles(runsDir, '20250102T100000Z-bbbbbbbb', '2025-01-02T10:00:00.000Z', {
      metrics: metricsWith(25_000),
    });

    // When
    const listing = await listRuns(runsDir);

    // Then
    expect(listing.runs.map((run) => [run.name, run.best])).toEqual([
      ['20250103T100000Z-cccccccc', false],
      ['20250102T100000Z-bbbbbbbb', true],
      ['20250101T100000Z-aaaaaaaa', false],
    ]);
    expect(listing.unreadable).toEqual([]);
  });

  it('orders runs created in the same second by their creation time', async () => {
    // Given
    await writeRunFiles(runsDir, '20250101T100000Z-ffffffff', '2025-01-01T10:00:00.100Z', { metrics: metricsWith(1) });
    await writeRunFiles(runsDir, '20250101T100000Z-00000000', '2025-01-01T10:00:00.900Z', { metrics: metricsWith(2) });

    // When
    const listing = await listRuns(runsDir);

    // Then
    expect(listing.runs.map((run) => run.name)).toEqual(['20250101T100000Z-00000000', '20250101T100000Z-ffffffff']);
  });

  it('reports runs without metrics.json as incomplete and malformed ones with the failing field', async () => {
    // Given
    await writeRunFiles(runsDir, '20250101T100000Z-aaaaaaaa', '2025-01-01T10:00:00.000Z', {});
    await writeRunFiles(runsDir, '20250102T100000Z-bbbbbbbb', '2025-01-02T10:00:00.000Z', {
      metrics: JSON.stringify({ ...metricsWith(1), rmse: 'low' }),
    });

    // When
    const listing = await listRuns(runsDir);

    // Then
    expect(listing.runs).toEqual([]);
    expect(listing.unreadable).toEqual([
      { name: '20250102T100000Z-bbbbbbbb', reason: expect.stringMatching(/^metrics\.json: rmse /) },
      { name: '20250101T100000Z-aaaaaaaa', reason: expect.stringMatching(/^incomplete \(no metrics\.json/) },
    ]);
  });

  it('returns an empty listing when the runs directory does not exist', async () => {
    // Given
    const missing = join(runsDir, 'not-there');

    // When
    const listing = await listRuns(missing);

    // Then
    expect(listing).toEqual({ runs: [], unreadable: [] });
  });
});

describe('formatRunListing', () => {
  it('prints a table with dollar metrics and the best mark on the best run only', () => {
    // Given
    const base = { directory: '/r', createdUtc: '', params: PARAMS, mlflowRunId: null };
    const listing = {
      runs: [
        { ...base, name: 'run-new', metrics: metricsWith(27_000), best: false },
        { ...base, name: 'run-old', metrics: metricsWith(25_000), best: true },
      ],
      unreadable: [{ name: 'run-broken', reason: 'incomplete' }],
    };

    // When
    const text = formatRunListing(listing, '/runs');

    // Then
    const lines = text.split('\n');
    expect(lines[0]).toBe('2 runs in /runs (newest first):');
    expect(lines[2]).toMatch(/^RUN\s+TREES\s+SEED\s+RMSE\s+MAE\s+R²\s+FIT\s+MODEL$/);
    expect(lines[3]).toMatch(/^run-new\s+100\s+42\s+\$27k\s+\$16\.2k\s+0\.9000\s+12\.5s\s+9\.0MB$/);
    expect(lines[4]).toMatch(/^run-old .*\$25k.*★ best RMSE$/);
    expect(text).toContain('Not listed:\n  run-broken: incomplete');
  });

  it('explains how to train when there are no runs', () => {
    // Given
    const listing = { runs: [], unreadable: [] };

    // When
    const text = formatRunListing(listing, '/runs');

    // Then
    expect(text).toBe('No training runs yet in /runs.\nTrain one with `npm run train`.\n');
  });
});
