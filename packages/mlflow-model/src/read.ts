import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type SplitFrame, splitFrameSchema } from './examples.js';
import { MLMODEL_FILES, type MlmodelDocument, mlmodelDocumentSchema, onnxFlavorSchema } from './mlmodel.js';
import { type ModelSignature, namedInputColumns, parseSignatureColumns, SignatureError } from './signature.js';

/** A model directory cannot be served: `file` is the file at fault, `problem` says what is wrong with it. */
export class MlflowModelError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'MlflowModelError';
  }
}

/** What a server needs to know about an MLflow model directory with an `onnx` flavour. */
export interface OnnxMlflowModel {
  directory: string;
  mlmodelPath: string;
  /** The MLmodel as parsed (keys this code reads, validated; others kept as they are). */
  document: MlmodelDocument;
  /** Names of every flavour the MLmodel lists. */
  flavors: string[];
  onnx: { modelPath: string; onnxVersion: string | null };
  signature: ModelSignature;
  runId: string | null;
  modelUuid: string | null;
  /** `input_example.json` as a split-orient frame, when the model has a DataFrame example. */
  inputExample: SplitFrame | null;
  /** `serving_input_example.json`: a ready-made `/invocations` body, when the model has one. */
  servingInputExample: Record<string, unknown> | null;
}

/**
 * Reads an MLflow model directory (as `mlflow.onnx.save_model` writes it): `MLmodel`, its `onnx` flavour and
 * column-based signature, and the input examples it points at. Nothing is loaded into a runtime here.
 *
 * @throws MlflowModelError naming the file and the problem: a missing directory or file, YAML or JSON that does
 * not parse, no `onnx` flavour, no signature, or a signature that is not column-based.
 */
export async function readOnnxMlflowModel(directory: string): Promise<OnnxMlflowModel> {
  const root = resolve(directory);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MlflowModelError(root, info ? 'is a file; expected an MLflow model directory' : 'no such directory');
  }
  const mlmodelPath = join(root, MLMODEL_FILES.mlmodel);
  const document = parseDocument(mlmodelPath, await readText(mlmodelPath));

  const flavors = Object.keys(document.flavors);
  const onnxFlavor = onnxFlavorSchema.safeParse(document.flavors.onnx);
  if (document.flavors.onnx === undefined) {
    throw new MlflowModelError(
      mlmodelPath,
      `no 'onnx' flavor (the model has: ${flavors.join(', ') || 'none'}); this server serves ONNX models`,
    );
  }
  if (!onnxFlavor.success) {
    throw new MlflowModelError(mlmodelPath, `flavors.onnx: ${describeIssues(onnxFlavor.error)}`);
  }
  const modelPath = join(root, onnxFlavor.data.data);
  const modelInfo = await stat(modelPath).catch(() => undefined);
  if (!modelInfo?.isFile()) {
    throw new MlflowModelError(modelPath, `not found (flavors.onnx.data in ${MLMODEL_FILES.mlmodel} names it)`);
  }

  if (!document.signature) {
    throw new MlflowModelError(
      mlmodelPath,
      'no signature; log the model with a signature (mlflow.models.infer_signature) so requests can be checked',
    );
  }
  let signature: ModelSignature;
  try {
    const outputs = document.signature.outputs;
    signature = {
      inputs: namedInputColumns(parseSignatureColumns(document.signature.inputs, 'inputs')),
      outputs: outputs === undefined || outputs === null ? null : parseSignatureColumns(outputs, 'outputs'),
    };
  } catch (error) {
    if (error instanceof SignatureError) throw new MlflowModelError(mlmodelPath, error.message);
    throw error;
  }

  const exampleInfo = document.saved_input_example_info;
  const inputExample =
    exampleInfo && (exampleInfo.type ?? 'dataframe') === 'dataframe' && exampleInfo.pandas_orient !== 'records'
      ? await readInputExample(join(root, exampleInfo.artifact_path))
      : null;
  const servingInputExample = exampleInfo?.serving_input_path
    ? await readServingInputExample(join(root, exampleInfo.serving_input_path))
    : null;

  return {
    directory: root,
    mlmodelPath,
    document,
    flavors,
    onnx: { modelPath, onnxVersion: onnxFlavor.data.onnx_version ?? null },
    signature,
    runId: document.run_id ?? null,
    modelUuid: document.model_uuid ?? null,
    inputExample,
    servingInputExample,
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MlflowModelError(
      path,
      code === 'ENOENT'
        ? 'not found; an MLflow model directory holds an MLmodel file (the directory mlflow.<flavor>.save_model wrote)'
        : `cannot be read (${code ?? (error as Error).message})`,
    );
  }
}

function parseDocument(path: string, text: string): MlmodelDocument {
  let raw: unknown;
  try {
    // PyYAML, which writes MLmodel, speaks YAML 1.1.
    raw = parseYaml(text, { version: '1.1' });
  } catch (error) {
    throw new MlflowModelError(path, `not valid YAML (${(error as Error).message.split('\n', 1)[0]})`);
  }
  const parsed = mlmodelDocumentSchema.safeParse(raw);
  if (!parsed.success) throw new MlflowModelError(path, `not an MLmodel file: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MlflowModelError(path, `not valid JSON (${(error as Error).message})`);
  }
}

async function readInputExample(path: string): Promise<SplitFrame> {
  const parsed = splitFrameSchema.safeParse(await readJson(path));
  if (!parsed.success) {
    throw new MlflowModelError(path, `not a split-orient DataFrame example: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

async function readServingInputExample(path: string): Promise<Record<string, unknown>> {
  const value = await readJson(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MlflowModelError(path, 'expected a JSON object (a request body for /invocations)');
  }
  return value as Record<string, unknown>;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
