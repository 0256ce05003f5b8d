import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SplitFrame, servingInputExampleText } from './examples.js';
import { condaYaml, formatOnnxMlmodel, MLMODEL_FILES, onnxPipRequirements, pythonEnvYaml } from './mlmodel.js';
import { pythonJsonDumps } from './python-json.js';
import type { NamedColumnSpec } from './signature.js';

export interface WriteOnnxModelOptions {
  /** Target directory (created). */
  directory: string;
  /** The serialized ONNX `ModelProto`. */
  onnxModel: Uint8Array;
  /** The `onnx` Python package release whose IR and opsets the graph uses (MLmodel `onnx_version`). */
  onnxVersion: string;
  inputs: readonly NamedColumnSpec[];
  outputs: readonly NamedColumnSpec[];
  /** A few rows in the signature's column order; missing values as `null`. */
  inputExample: SplitFrame;
  /** Tracking run id (32 hex characters). */
  runId: string;
  /** Defaults to now. */
  createdAt?: Date;
}

export interface WrittenModel {
  directory: string;
  modelUuid: string;
  /** Size of the model files, counted the way MLflow does (before MLmodel and the env files are written). */
  modelSizeBytes: number;
  mlmodelText: string;
}

/**
 * Writes an MLflow model directory for the ONNX flavour: `model.onnx`, `input_example.json`,
 * `serving_input_example.json`, `MLmodel`, `requirements.txt`, `python_env.yaml` and `conda.yaml`, with the same
 * keys, key order and formats `mlflow.onnx.save_model` produces.
 */
export async function writeOnnxModelDirectory(options: WriteOnnxModelOptions): Promise<WrittenModel> {
  const { directory } = options;
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, MLMODEL_FILES.onnx), options.onnxModel);
  await writeFile(join(directory, MLMODEL_FILES.inputExample), pythonJsonDumps(options.inputExample));
  await writeFile(join(directory, MLMODEL_FILES.servingInputExample), servingInputExampleText(options.inputExample));
  const modelSizeBytes = await directorySize(directory);
  const modelUuid = randomUUID().replaceAll('-', '');
  const mlmodelText = formatOnnxMlmodel({
    onnxVersion: options.onnxVersion,
    modelSizeBytes,
    modelUuid,
    runId: options.runId,
    createdAt: options.createdAt ?? new Date(),
    inputs: options.inputs,
    outputs: options.outputs,
  });
  const requirements = onnxPipRequirements(options.onnxVersion);
  await writeFile(join(directory, MLMODEL_FILES.mlmodel), mlmodelText);
  await writeFile(join(directory, MLMODEL_FILES.requirements), requirements.join('\n'));
  await writeFile(join(directory, MLMODEL_FILES.pythonEnv), pythonEnvYaml());
  await writeFile(join(directory, MLMODEL_FILES.conda), condaYaml(requirements));
  return { directory, modelUuid, modelSizeBytes, mlmodelText };
}

async function directorySize(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    total += entry.isDirectory() ? await directorySize(path) : (await stat(path)).size;
  }
  return total;
}
