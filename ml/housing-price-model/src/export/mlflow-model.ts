import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RawColumn, RawRow } from '../model.js';
import { isMissingValue } from '../pipeline/preprocessor.js';
import { ONNX_OUTPUT_NAME, ONNX_PACKAGE_VERSION, onnxInputElementType } from './onnx.js';
import { pythonJsonDumps } from './python-json.js';

/**
 * The MLflow release whose MLmodel layout we write (2.17 added `serving_input_example.json`), and the Python
 * environment `mlflow models serve` would build for the model. Nothing here runs Python; the versions are a
 * consistent set for the ONNX IR/opsets we emit (onnxruntime 1.19 runs IR 10 / opset 21).
 */
export const MLFLOW_VERSION = '2.17.2';
export const MLFLOW_PYTHON_VERSION = '3.11.10';
export const ONNXRUNTIME_PYTHON_VERSION = '1.19.2';
const PIP_VERSION = '24.2';

/** Files of an MLflow model directory, as MLflow names them. */
export const MLMODEL_FILES = {
  mlmodel: 'MLmodel',
  onnx: 'model.onnx',
  inputExample: 'input_example.json',
  servingInputExample: 'serving_input_example.json',
  requirements: 'requirements.txt',
  pythonEnv: 'python_env.yaml',
  conda: 'conda.yaml',
} as const;

/** One column of an MLflow column-based signature (`mlflow.types.ColSpec.to_dict()`). */
export interface ColumnSpec {
  type: 'long' | 'double' | 'float' | 'string';
  name: string;
  required: boolean;
}

/**
 * The signature inputs: one column per raw input column, in pipeline order. Numeric columns are declared `double`
 * (never `long`) because the graph's numeric inputs are `tensor(double)`: MLflow's schema enforcement upcasts JSON
 * integers to float64 for a `double` column, while a `long` column rejects the float64 (NaN) pandas makes of a
 * column holding a null. A column is `required: false` when it had missing values in the training rows.
 */
export function signatureInputs(inputColumns: readonly RawColumn[], trainingRows: readonly RawRow[]): ColumnSpec[] {
  return inputColumns.map((column) => ({
    type: onnxInputElementType(column),
    name: column.name,
    required: !trainingRows.some((row) => isMissingValue(row[column.name])),
  }));
}

/** The signature output: the one float price column the ONNX pyfunc returns (named after the graph output). */
export function signatureOutputs(): ColumnSpec[] {
  return [{ type: 'float', name: ONNX_OUTPUT_NAME, required: true }];
}

/** An input example in pandas "split" orient without the index, as MLflow writes `input_example.json`. */
export interface SplitFrame {
  columns: string[];
  data: (number | string | null)[][];
}

/** Turns raw rows into the split-orient frame of the given columns; missing values (and markers) become `null`. */
export function toSplitFrame(rows: readonly RawRow[], inputColumns: readonly RawColumn[]): SplitFrame {
  return {
    columns: inputColumns.map((column) => column.name),
    data: rows.map((row) =>
      inputColumns.map((column) => {
        const value = row[column.name];
        return isMissingValue(value) ? null : (value as number | string);
      }),
    ),
  };
}

export interface WriteMlflowModelOptions {
  /** Target directory (created; usually `<run>/model`). */
  directory: string;
  onnxModel: Uint8Array;
  inputColumns: readonly RawColumn[];
  /** Rows whose missing values decide `required` in the signature. */
  trainingRows: readonly RawRow[];
  /** Rows written as the input example (MLflow keeps a handful; we pass 5). */
  exampleRows: readonly RawRow[];
  /** Tracking run id (32 hex characters). */
  runId: string;
  /** Defaults to now. */
  createdAt?: Date;
}

export interface MlflowModelInfo {
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
export async function writeMlflowModel(options: WriteMlflowModelOptions): Promise<MlflowModelInfo> {
  const { directory } = options;
  await mkdir(directory, { recursive: true });
  const example = toSplitFrame(options.exampleRows, options.inputColumns);
  await writeFile(join(directory, MLMODEL_FILES.onnx), options.onnxModel);
  await writeFile(join(directory, MLMODEL_FILES.inputExample), pythonJsonDumps(example));
  await writeFile(
    join(directory, MLMODEL_FILES.servingInputExample),
    `${JSON.stringify({ dataframe_split: example }, null, 2)}\n`,
  );
  const modelSizeBytes = await directorySize(directory);
  const modelUuid = randomUUID().replaceAll('-', '');
  const mlmodelText = mlmodelYaml({
    modelSizeBytes,
    modelUuid,
    runId: options.runId,
    createdAt: options.createdAt ?? new Date(),
    inputs: signatureInputs(options.inputColumns, options.trainingRows),
  });
  await writeFile(join(directory, MLMODEL_FILES.mlmodel), mlmodelText);
  await writeFile(join(directory, MLMODEL_FILES.requirements), pipRequirements().join('\n'));
  await writeFile(join(directory, MLMODEL_FILES.pythonEnv), pythonEnvYaml());
  await writeFile(join(directory, MLMODEL_FILES.conda), condaYaml());
  return { directory, modelUuid, modelSizeBytes, mlmodelText };
}

/** MLflow's `utc_time_created` format: `2024-01-01 12:00:00.000000` (UTC, microseconds). */
export function mlflowTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2024-01-01T12:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

interface MlmodelFields {
  modelSizeBytes: number;
  modelUuid: string;
  runId: string;
  createdAt: Date;
  inputs: ColumnSpec[];
}

/**
 * The MLmodel text. PyYAML's `safe_dump` (which MLflow uses) sorts keys and reads YAML 1.1, so keys are in
 * alphabetical order and the document is written with the 1.1 schema: values such as the creation time, which
 * 1.1 would read as a timestamp, come out quoted.
 */
function mlmodelYaml(fields: MlmodelFields): string {
  const document = {
    artifact_path: 'model',
    flavors: {
      onnx: {
        code: null,
        data: MLMODEL_FILES.onnx,
        onnx_version: ONNX_PACKAGE_VERSION,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: MLMODEL_FILES.onnx,
        env: { conda: MLMODEL_FILES.conda, virtualenv: MLMODEL_FILES.pythonEnv },
        loader_module: 'mlflow.onnx',
        python_version: MLFLOW_PYTHON_VERSION,
      },
    },
    mlflow_version: MLFLOW_VERSION,
    model_size_bytes: fields.modelSizeBytes,
    model_uuid: fields.modelUuid,
    run_id: fields.runId,
    saved_input_example_info: {
      artifact_path: MLMODEL_FILES.inputExample,
      pandas_orient: 'split',
      serving_input_path: MLMODEL_FILES.servingInputExample,
      type: 'dataframe',
    },
    signature: {
      inputs: pythonJsonDumps(fields.inputs),
      outputs: pythonJsonDumps(signatureOutputs()),
      params: null,
    },
    utc_time_created: mlflowTimestamp(fields.createdAt),
  };
  return pyyamlStyle(document, true);
}

function pipRequirements(): string[] {
  return [`mlflow==${MLFLOW_VERSION}`, `onnx==${ONNX_PACKAGE_VERSION}`, `onnxruntime==${ONNXRUNTIME_PYTHON_VERSION}`];
}

function pythonEnvYaml(): string {
  // MLflow's _PythonEnv.to_yaml keeps this key order (no sorting).
  return pyyamlStyle(
    {
      python: MLFLOW_PYTHON_VERSION,
      build_dependencies: [`pip==${PIP_VERSION}`, 'setuptools', 'wheel'],
      dependencies: ['-r requirements.txt'],
    },
    false,
  );
}

function condaYaml(): string {
  return pyyamlStyle(
    {
      channels: ['conda-forge'],
      dependencies: [`python=${MLFLOW_PYTHON_VERSION}`, `pip<=${PIP_VERSION}`, { pip: pipRequirements() }],
      name: 'mlflow-env',
    },
    true,
  );
}

/** YAML laid out like PyYAML's block style: sequences not indented under their key, 1.1 quoting rules. */
function pyyamlStyle(document: unknown, sortKeys: boolean): string {
  return stringify(document, {
    version: '1.1',
    indentSeq: false,
    sortMapEntries: sortKeys,
    lineWidth: 80,
    singleQuote: true,
  });
}

async function directorySize(directory: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    total += entry.isDirectory() ? await directorySize(path) : (await stat(path)).size;
  }
  return total;
}
