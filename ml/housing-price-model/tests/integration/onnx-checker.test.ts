import { execFile, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, loadDataset } from '../../src/data/dataset.js';
import { ONNX_IR_VERSION, ONNX_ML_OPSET_VERSION, ONNX_OPSET_VERSION } from '../../src/export/onnx.js';
import { DEFAULT_DATA_PATH } from '../../src/package-paths.js';
import { trainPipeline } from '../../src/pipeline/train.js';
import { writeRun } from '../../src/runs/write-run.js';
import { syntheticHousingCsv, temporaryDirectory } from '../helpers/export-fixtures.js';

/**
 * Debian's interpreter, where `python3-onnx` (onnx 1.12, see scripts/system-deps.sh) is installed; the `python3` on
 * PATH may be another interpreter (pyenv) without it.
 */
const SYSTEM_PYTHON = '/usr/bin/python3';
const onnxImport = spawnSync(SYSTEM_PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
const ONNX_AVAILABLE = onnxImport.status === 0;
const importFailure = (onnxImport.error?.message ?? onnxImport.stderr ?? '').trim().split('\n').pop();
/** Appended to the suite title, so a skipped run says why in the report. */
const SKIP_REASON = ONNX_AVAILABLE
  ? ''
  : ` [skipped: ${SYSTEM_PYTHON} -c 'import onnx' failed (${importFailure}); run scripts/system-deps.sh]`;

/**
 * Runs the official checker with `full_check=True` (which adds strict type and shape inference) and reports, as one
 * JSON line, the checker's message (null when the model passes) and what Python's onnx reads back.
 */
const CHECK_SCRIPT = `
import json, sys
import onnx
model = onnx.load(sys.argv[1])
try:
    onnx.checker.check_model(model, full_check=True)
    error = None
except Exception as exception:
    error = f"{type(exception).__name__}: {exception}"
def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
print(json.dumps({
    "onnx_version": onnx.__version__,
    "error": error,
    "ir_version": model.ir_version,
    "opsets": {opset.domain: opset.version for opset in model.opset_import},
    "inputs": [
        {"name": i.name, "has_shape": i.type.tensor_type.HasField("shape"), "dims": dims(i)}
        for i in model.graph.input
    ],
    "outputs": [{"name": o.name, "dims": dims(o)} for o in model.graph.output],
}))
`;

interface CheckReport {
  onnx_version: string;
  error: string | null;
  ir_version: number;
  opsets: Record<string, number>;
  inputs: { name: string; has_shape: boolean; dims: (string | number)[] }[];
  outputs: { name: string; dims: (string | number)[] }[];
}

async function checkModel(modelPath: string): Promise<CheckReport> {
  const { stdout } = await promisify(execFile)(SYSTEM_PYTHON, ['-c', CHECK_SCRIPT, modelPath], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as CheckReport;
}

/** Trains a few trees with the real pipeline and writes a run; returns the path of its model.onnx. */
async function exportRun(dataset: Dataset, runsDir: string, nTrees: number): Promise<string> {
  const params = { nTrees, seed: 42, threads: 1 };
  const result = await trainPipeline(dataset, params);
  const runDir = await writeRun({ result, dataset, params, runsDir });
  return join(runDir, 'model', 'model.onnx');
}

describe.skipIf(!ONNX_AVAILABLE)(`onnx.checker.check_model(full_check=True) on exported models${SKIP_REASON}`, () => {
  let workDir: { path: string; remove: () => Promise<void> };
  const models: Record<string, string> = {};

  beforeAll(async () => {
    workDir = await temporaryDirectory('onnx-checker');
    models.ames = await exportRun(await loadDataset(DEFAULT_DATA_PATH), join(workDir.path, 'ames'), 5);
    // The synthetic data has a dropped column (an input no node reads) and an empty text cell.
    const csvPath = join(workDir.path, 'synthetic.csv');
    await writeFile(csvPath, syntheticHousingCsv());
    models.synthetic = await exportRun(await loadDataset(csvPath), join(workDir.path, 'synthetic'), 3);
  }, 120_000);
  afterAll(async () => {
    await workDir?.remove();
  });

  it.each(['ames', 'synthetic'])(
    'passes the checker and reads back as IR 8, ai.onnx 17, ai.onnx.ml 3 with [N] inputs (%s data)',
    async (name) => {
      // Given
      const modelPath = models[name] ?? '';

      // When
      const report = await checkModel(modelPath);

      // Then
      expect(report.error, `onnx ${report.onnx_version} checker on ${name}: ${report.error}`).toBeNull();
      expect(report.ir_version).toBe(ONNX_IR_VERSION);
      expect(report.ir_version).toBe(8);
      expect(report.opsets).toEqual({ '': ONNX_OPSET_VERSION, 'ai.onnx.ml': ONNX_ML_OPSET_VERSION });
      expect(report.opsets).toEqual({ '': 17, 'ai.onnx.ml': 3 });
      expect(report.inputs.length).toBeGreaterThan(0);
      for (const input of report.inputs) expect(input, input.name).toMatchObject({ has_shape: true, dims: ['N'] });
      expect(report.outputs).toEqual([{ name: 'variable', dims: ['N', 1] }]);
    },
    60_000,
  );
});
