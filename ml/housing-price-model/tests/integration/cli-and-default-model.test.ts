import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeOnnxModelDirectory } from '@mlms/mlflow-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDefaultModel, isModelDirectory } from '../../src/default-model.js';
import { ONNX_PACKAGE_VERSION } from '../../src/export/onnx.js';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { replaceDirectory } from '../../src/runs/train-run.js';
import { syntheticHousingCsv, temporaryDirectory } from '../helpers/export-fixtures.js';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

/** Runs one of the package's CLIs the way its npm script does (tsx with the `source` condition). */
function runCli(script: string, args: string[]) {
  return spawnSync(
    process.execPath,
    [tsxCli, '--conditions=source', join(PACKAGE_ROOT, 'src', 'cli', script), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
      timeout: 60_000,
    },
  );
}

let workDir: string;
let removeWorkDir: () => Promise<void>;

beforeEach(async () => {
  ({ path: workDir, remove: removeWorkDir } = await temporaryDirectory('cli'));
});
afterEach(async () => {
  await removeWorkDir();
});

describe('train CLI process', () => {
  it('exits 2 with a message naming the flag when a flag is unknown', () => {
    // Given
    const args = ['--treez', '5'];

    // When
    const result = runCli('train.ts', args);

    // Then
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('train: unknown flag --treez');
    expect(result.stdout).toBe('');
  });

  it('trains, prints the metrics table and the run path, copies the model with --out, and runs lists it', async () => {
    // Given
    const dataPath = join(workDir, 'houses.csv');
    await writeFile(dataPath, syntheticHousingCsv());
    const runsDir = join(workDir, 'runs');
    const outDir = join(workDir, 'exported-model');

    // When
    const train = runCli('train.ts', [
      '--trees',
      '3',
      '--threads',
      '1',
      '--data',
      dataPath,
      '--runs-dir',
      runsDir,
      '--out',
      outDir,
    ]);
    const runs = runCli('runs.ts', ['--runs-dir', runsDir]);

    // Then
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/Validation metrics \(12 rows, trained on 48\):/);
    expect(train.stdout).toMatch(/RMSE\s+\$/);
    expect(train.stdout).toContain('Run:    ');
    expect(train.stderr).toContain('trees 3/3');
    expect(await isModelDirectory(outDir)).toBe(true);
    const [runName] = await readdir(runsDir);
    expect(runs.status).toBe(0);
    expect(runs.stdout).toContain(`${runName}`);
    expect(runs.stdout).toContain('★ best RMSE');
  });
});

describe('ensureDefaultModel', () => {
  /** A model directory as an export of the given ONNX version writes it (the ONNX bytes are not read). */
  async function writeModelDirectory(modelDir: string, onnxVersion: string): Promise<void> {
    await writeOnnxModelDirectory({
      directory: modelDir,
      onnxModel: new TextEncoder().encode('onnx bytes'),
      onnxVersion,
      inputs: [{ type: 'double', name: 'x', required: true }],
      outputs: [{ type: 'float', name: 'variable', required: true }],
      inputExample: { columns: ['x'], data: [[1]] },
      runId: '0'.repeat(32),
    });
  }

  it('returns an existing model directory without training', async () => {
    // Given
    const modelDir = join(workDir, 'default');
    await writeModelDirectory(modelDir, ONNX_PACKAGE_VERSION);
    const log: string[] = [];

    // When
    const path = await ensureDefaultModel({ modelDir, runsDir: join(workDir, 'runs'), log: (line) => log.push(line) });

    // Then
    expect(path).toBe(modelDir);
    expect(log).toEqual([]);
    expect(await readFile(join(modelDir, 'model.onnx'), 'utf8')).toBe('onnx bytes');
  });

  it('trains again over a model that an older export wrote with other ONNX versions', async () => {
    // Given
    const modelDir = join(workDir, 'models', 'default');
    await writeModelDirectory(modelDir, '1.16.2');
    const dataPath = join(workDir, 'houses.csv');
    await writeFile(dataPath, syntheticHousingCsv());
    const log: string[] = [];

    // When
    await ensureDefaultModel({ modelDir, dataPath, runsDir: join(workDir, 'runs'), log: (line) => log.push(line) });

    // Then
    expect(log[0]).toContain('No current default model');
    expect(await isModelDirectory(modelDir)).toBe(true);
    expect(await readFile(join(modelDir, 'model.onnx'), 'utf8')).not.toBe('onnx bytes');
  });

  it('trains the default model when the directory is missing and records the run', async () => {
    // Given
    const modelDir = join(workDir, 'models', 'default');
    const dataPath = join(workDir, 'houses.csv');
    await writeFile(dataPath, syntheticHousingCsv());
    const log: string[] = [];

    // When
    const path = await ensureDefaultModel({
      modelDir,
      dataPath,
      runsDir: join(workDir, 'runs'),
      log: (line) => log.push(line),
    });

    // Then
    expect(path).toBe(modelDir);
    expect(await isModelDirectory(modelDir)).toBe(true);
    expect(log[0]).toContain('No current default model');
    expect(await readdir(join(workDir, 'runs'))).toHaveLength(1);
    expect((await readdir(join(workDir, 'models'))).sort()).toEqual(['default']);
  });
});

describe('replaceDirectory', () => {
  it('replaces the target with the source and leaves no staging directories behind', async () => {
    // Given
    const source = join(workDir, 'source');
    const target = join(workDir, 'target');
    await mkdir(source);
    await mkdir(target);
    await writeFile(join(source, 'new.txt'), 'new');
    await writeFile(join(target, 'old.txt'), 'old');

    // When
    await replaceDirectory(source, target);

    // Then
    expect(await readdir(target)).toEqual(['new.txt']);
    expect((await readdir(workDir)).sort()).toEqual(['source', 'target']);
  });
});
