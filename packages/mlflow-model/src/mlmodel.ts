import { stringify } from 'yaml';
import { z } from 'zod';
import { formatSignatureColumns, type NamedColumnSpec } from './signature.js';

/**
 * The MLflow release whose MLmodel layout is written (2.17 added `serving_input_example.json`), and the Python
 * environment `mlflow models serve` would build for the model. Nothing here runs Python; the versions are a
 * consistent set: onnxruntime 1.19 loads the IR and opsets the ONNX flavour's `onnx_version` defines, and Python
 * 3.10 is the newest release the `onnx` 1.12 wheels (the version pinned in requirements.txt) are built for.
 */
export const MLFLOW_VERSION = '2.17.2';
export const MLFLOW_PYTHON_VERSION = '3.10.15';
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

/**
 * The MLmodel keys this code reads. Everything else MLflow may write (databricks_runtime, metadata, …) is kept
 * out of the parse result but does not make a file invalid: an MLmodel from another MLflow release still loads.
 */
export const mlmodelDocumentSchema = z.looseObject({
  artifact_path: z.string().nullish(),
  flavors: z.record(z.string(), z.looseObject({}).nullable()),
  mlflow_version: z.string().nullish(),
  model_uuid: z.string().nullish(),
  run_id: z.string().nullish(),
  saved_input_example_info: z
    .looseObject({
      artifact_path: z.string(),
      type: z.string().optional(),
      pandas_orient: z.string().optional(),
      serving_input_path: z.string().optional(),
    })
    .nullish(),
  signature: z
    .looseObject({
      inputs: z.unknown(),
      outputs: z.unknown().optional(),
      params: z.unknown().optional(),
    })
    .nullish(),
  utc_time_created: z.string().nullish(),
});
export type MlmodelDocument = z.infer<typeof mlmodelDocumentSchema>;

/** The `onnx` flavour block of `mlflow.onnx.save_model`. */
export const onnxFlavorSchema = z.looseObject({
  data: z.string().min(1),
  onnx_version: z.string().optional(),
  providers: z.array(z.string()).optional(),
});

/** MLflow's `utc_time_created` format: `2024-01-01 12:00:00.000000` (UTC, microseconds). */
export function mlflowTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2024-01-01T12:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

export interface OnnxMlmodelFields {
  /** The `onnx` Python package release whose IR and opsets the graph uses. */
  onnxVersion: string;
  modelSizeBytes: number;
  modelUuid: string;
  runId: string;
  createdAt: Date;
  inputs: readonly NamedColumnSpec[];
  outputs: readonly NamedColumnSpec[];
}

/**
 * The MLmodel text `mlflow.onnx.save_model` writes for a model with a column-based signature and a DataFrame input
 * example. PyYAML's `safe_dump` (which MLflow uses) sorts keys and reads YAML 1.1, so keys are in alphabetical
 * order and the document is written with the 1.1 schema: values such as the creation time, which 1.1 would read
 * as a timestamp, come out quoted.
 */
export function formatOnnxMlmodel(fields: OnnxMlmodelFields): string {
  const document = {
    artifact_path: 'model',
    flavors: {
      onnx: {
        code: null,
        data: MLMODEL_FILES.onnx,
        onnx_version: fields.onnxVersion,
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
      inputs: formatSignatureColumns(fields.inputs),
      outputs: formatSignatureColumns(fields.outputs),
      params: null,
    },
    utc_time_created: mlflowTimestamp(fields.createdAt),
  };
  return pyyamlStyle(document, true);
}

/** `requirements.txt` of an ONNX model: what `mlflow models serve` installs to score it. */
export function onnxPipRequirements(onnxVersion: string): string[] {
  return [`mlflow==${MLFLOW_VERSION}`, `onnx==${onnxVersion}`, `onnxruntime==${ONNXRUNTIME_PYTHON_VERSION}`];
}

export function pythonEnvYaml(): string {
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

export function condaYaml(requirements: readonly string[]): string {
  return pyyamlStyle(
    {
      channels: ['conda-forge'],
      dependencies: [`python=${MLFLOW_PYTHON_VERSION}`, `pip<=${PIP_VERSION}`, { pip: [...requirements] }],
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
