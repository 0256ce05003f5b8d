import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadDataset } from '../../src/data/dataset.js';
import { predictRows } from '../../src/evaluate.js';
import { scoreWithOnnx } from '../../src/export/onnx-runtime.js';
import { DEFAULT_DATA_PATH } from '../../src/package-paths.js';
import { type TrainResult, trainPipeline } from '../../src/pipeline/train.js';
import { listRuns } from '../../src/runs/list-runs.js';
import { writeRun } from '../../src/runs/write-run.js';
import { temporaryDirectory } from '../helpers/export-fixtures.js';

describe('training on the bundled Ames data and exporting the run', () => {
  let workDir: { path: string; remove: () => Promise<void> };
  let result: TrainResult;
  let runDir: string;

  beforeAll(async () => {
    workDir = await temporaryDirectory('train-export');
    const dataset = await loadDataset(DEFAULT_DATA_PATH);
    result = await trainPipeline(dataset, { nTrees: 10, seed: 42, threads: 2 });
    runDir = await writeRun({ result, dataset, params: { nTrees: 10, seed: 42, threads: 2 }, runsDir: workDir.path });
  }, 120_000);
  afterAll(async () => {
    await workDir?.remove();
  });

  it('scores all 586 validation rows in ONNX Runtime within 1e-3 of the TypeScript evaluator', async () => {
    // Given
    const rows = result.validation.rows;
    const modelPath = join(runDir, 'model', 'model.onnx');

    // When
    const onnx = await scoreWithOnnx(modelPath, rows, result.pipeline.preprocessor.inputColumns);
    const reference = predictRows(result.pipeline, rows);

    // Then
    expect(rows).toHaveLength(586);
    const worst = Math.max(
      ...Array.from(reference, (value, index) => Math.abs((onnx[index] ?? Number.NaN) - value) / Math.abs(value)),
    );
    expect(worst).toBeLessThanOrEqual(1e-3);
  });

  it('writes the MLflow model, params, metrics, data profile, plots and report', async () => {
    // Given
    const expected = [
      'actual_vs_predicted.svg',
      'data_profile.json',
      'metrics.json',
      'model',
      'params.json',
      'report.html',
      'residuals.svg',
      'run.json',
    ];

    // When
    const files = (await readdir(runDir)).sort();
    const modelFiles = (await readdir(join(runDir, 'model'))).sort();

    // Then
    expect(files).toEqual(expected);
    expect(modelFiles).toEqual([
      'MLmodel',
      'conda.yaml',
      'input_example.json',
      'model.onnx',
      'python_env.yaml',
      'requirements.txt',
      'serving_input_example.json',
    ]);
  });

  it('records the same metrics the trainer computed and a passing ONNX check', async () => {
    // Given
    const metricsPath = join(runDir, 'metrics.json');

    // When
    const metrics = JSON.parse(await readFile(metricsPath, 'utf8'));

    // Then
    expect(metrics).toMatchObject({
      rmse: result.metrics.rmse,
      mae: result.metrics.mae,
      r2: result.metrics.r2,
      fit_seconds: result.fitSeconds,
    });
    expect(metrics.onnx_max_relative_diff).toBeLessThanOrEqual(1e-3);
    expect(metrics.model_size_bytes).toBeGreaterThan(100_000);
  });

  it('declares all 73 raw input columns in the signature and 5 validation rows in the input example', async () => {
    // Given
    const modelDir = join(runDir, 'model');

    // When
    const mlmodel = parseYaml(await readFile(join(modelDir, 'MLmodel'), 'utf8'), { version: '1.1' });
    const example = JSON.parse(await readFile(join(modelDir, 'input_example.json'), 'utf8'));

    // Then
    const inputs = JSON.parse(mlmodel.signature.inputs) as { name: string; type: string }[];
    expect(inputs).toHaveLength(73);
    expect(inputs.find((input) => input.name === 'Neighborhood')?.type).toBe('string');
    expect(inputs.find((input) => input.name === 'Gr_Liv_Area')?.type).toBe('double');
    expect(inputs.some((input) => input.name === 'Sale_Price')).toBe(false);
    expect(example.columns).toEqual(inputs.map((input) => input.name));
    expect(example.data).toHaveLength(5);
  });

  it('shows the run in the listing as the best (only) run', async () => {
    // Given
    const runsDir = workDir.path;

    // When
    const listing = await listRuns(runsDir);

    // Then
    expect(listing.runs).toHaveLength(1);
    expect(listing.runs[0]?.best).toBe(true);
    expect(listing.runs[0]?.params.n_trees).toBe(10);
  });
});
