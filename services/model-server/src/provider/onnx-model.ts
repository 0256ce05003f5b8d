import { performance } from 'node:perf_hooks';
import { type MlflowColumnType, MlflowModelError, type OnnxMlflowModel, readOnnxMlflowModel } from '@mlms/mlflow-model';
import { ConfigError } from '@mlms/service-kit';
import * as ort from 'onnxruntime-node';
import type { ColumnBatch, ColumnElementType, ModelIdentity, OutputTensor } from '../dto/batch.js';
import type { ModelInput, ModelOutput } from '../dto/model.js';
import { decodeExampleFrame } from '../views/columns.js';

/** The model directory cannot be served; the process stops with exit 78 (a configuration problem, not a bug). */
export class ModelLoadError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

export interface LoadModelOptions {
  modelUri: string;
  /** Name the model is served under. */
  name: string;
  /** Empty: the MLmodel's run_id, else its model_uuid, else `1`. */
  version: string;
  /** ONNX Runtime intra-op threads; 0 leaves ONNX Runtime's default. */
  threads: number;
}

/** An ONNX model behind one ONNX Runtime session: columns in, output tensors out. */
export interface OnnxModel {
  identity: ModelIdentity;
  description: OnnxMlflowModel;
  inputs: ModelInput[];
  outputs: ModelOutput[];
  /** Output shapes as the graph declares them, `-1` for a symbolic dimension (V2 model metadata). */
  outputShapes: Record<string, number[]>;
  /** Seconds from reading MLmodel to the end of the warm-up run. */
  loadSeconds: number;
  /** Scores a batch in one session run. */
  run(batch: ColumnBatch): Promise<OutputTensor[]>;
  close(): Promise<void>;
}

const ELEMENT_BY_ORT_TYPE: Partial<Record<string, ColumnElementType>> = {
  float64: 'float64',
  float32: 'float32',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
  string: 'string',
};

/** MLflow column types a graph input of each element type can take without losing meaning. */
const COLUMN_TYPES_BY_ELEMENT: Record<ColumnElementType, readonly MlflowColumnType[]> = {
  float64: ['double', 'float', 'long', 'integer', 'boolean'],
  float32: ['float', 'double', 'integer', 'long', 'boolean'],
  int64: ['long', 'integer', 'boolean'],
  int32: ['integer', 'long', 'boolean'],
  bool: ['boolean'],
  string: ['string'],
};

const V2_DATATYPE: Record<string, string> = {
  float64: 'FP64',
  float32: 'FP32',
  float16: 'FP16',
  int64: 'INT64',
  int32: 'INT32',
  int16: 'INT16',
  int8: 'INT8',
  uint64: 'UINT64',
  uint32: 'UINT32',
  uint16: 'UINT16',
  uint8: 'UINT8',
  bool: 'BOOL',
  string: 'BYTES',
};

/**
 * Loads an MLflow model directory: reads MLmodel and the signature, opens one ONNX Runtime session, matches every
 * graph input to a signature column, and scores the input example once, so a model that cannot serve fails here,
 * before the port opens, and the first request does not pay for ONNX Runtime's lazy initialisation.
 *
 * @throws ModelLoadError naming the file and the problem.
 */
export async function loadOnnxModel(options: LoadModelOptions): Promise<OnnxModel> {
  const started = performance.now();
  let description: OnnxMlflowModel;
  try {
    description = await readOnnxMlflowModel(options.modelUri);
  } catch (error) {
    if (error instanceof MlflowModelError) throw new ModelLoadError(`cannot serve the model: ${error.message}`);
    throw error;
  }
  const modelPath = description.onnx.modelPath;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      ...(options.threads > 0 ? { intraOpNumThreads: options.threads } : {}),
    });
  } catch (error) {
    throw new ModelLoadError(`cannot serve the model: ${modelPath}: ONNX Runtime cannot load it (${firstLine(error)})`);
  }

  try {
    const inputs = bindInputs(description, session);
    const outputs = session.outputMetadata.flatMap((output): ModelOutput[] =>
      output.isTensor ? [{ name: output.name, datatype: V2_DATATYPE[output.type] ?? output.type.toUpperCase() }] : [],
    );
    if (outputs.length === 0) {
      throw new ModelLoadError(`cannot serve the model: ${modelPath}: the graph has no tensor output`);
    }
    const run = runner(session, inputs, outputs);
    if (description.inputExample) await warmUp(description, inputs, run);
    const version = options.version || description.runId || description.modelUuid || '1';
    return {
      identity: { name: options.name, version },
      description,
      inputs,
      outputs,
      outputShapes: Object.fromEntries(
        session.outputMetadata.flatMap((output) =>
          output.isTensor
            ? [[output.name, output.shape.map((dim) => (typeof dim === 'number' && dim > 0 ? dim : -1))]]
            : [],
        ),
      ),
      loadSeconds: (performance.now() - started) / 1000,
      run,
      close: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}

function bindInputs(description: OnnxMlflowModel, session: ort.InferenceSession): ModelInput[] {
  const where = `${description.mlmodelPath} and ${description.onnx.modelPath}`;
  const signature = new Map(description.signature.inputs.map((column) => [column.name, column]));
  const graphInputs = session.inputMetadata;
  const unsigned = graphInputs.filter((input) => !signature.has(input.name)).map((input) => input.name);
  if (unsigned.length > 0) {
    throw new ModelLoadError(
      `cannot serve the model: ${where}: graph inputs missing from the signature: ${unsigned.join(', ')}`,
    );
  }
  const graphNames = new Set(graphInputs.map((input) => input.name));
  const unused = description.signature.inputs.filter((column) => !graphNames.has(column.name));
  if (unused.length > 0) {
    throw new ModelLoadError(
      `cannot serve the model: ${where}: signature columns the graph has no input for: ` +
        unused.map((column) => column.name).join(', '),
    );
  }
  // Signature order is the order clients see (docs, V2 metadata, positional rows).
  return description.signature.inputs.map((column): ModelInput => {
    const graphInput = graphInputs.find((input) => input.name === column.name);
    if (!graphInput?.isTensor) {
      throw new ModelLoadError(`cannot serve the model: ${where}: input '${column.name}' is not a tensor`);
    }
    const element = ELEMENT_BY_ORT_TYPE[graphInput.type];
    if (!element) {
      throw new ModelLoadError(
        `cannot serve the model: ${where}: input '${column.name}' is tensor(${graphInput.type}); supported: ` +
          `${Object.keys(ELEMENT_BY_ORT_TYPE).join(', ')}`,
      );
    }
    if (!COLUMN_TYPES_BY_ELEMENT[element].includes(column.type)) {
      throw new ModelLoadError(
        `cannot serve the model: ${where}: input '${column.name}' is '${column.type}' in the signature but ` +
          `tensor(${graphInput.type}) in the graph`,
      );
    }
    const rank = graphInput.shape.length;
    if (rank > 2 || (rank === 2 && graphInput.shape[1] !== 1)) {
      throw new ModelLoadError(
        `cannot serve the model: ${where}: input '${column.name}' has shape [${graphInput.shape.join(', ')}]; ` +
          'a column input must be [N] or [N, 1]',
      );
    }
    return {
      name: column.name,
      columnType: column.type,
      element,
      shape: rank === 2 ? [-1, 1] : [-1],
      required: column.required,
    };
  });
}

function runner(
  session: ort.InferenceSession,
  inputs: readonly ModelInput[],
  outputs: readonly ModelOutput[],
): (batch: ColumnBatch) => Promise<OutputTensor[]> {
  const outputNames = outputs.map((output) => output.name);
  return async (batch) => {
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((input, index) => {
      const values = batch.columns[index] as ort.Tensor.DataType;
      const dims = input.shape.length === 2 ? [batch.rows, 1] : [batch.rows];
      feeds[input.name] = new ort.Tensor(input.element, values, dims);
    });
    const results = await session.run(feeds, outputNames);
    return outputs.map((output) => {
      const tensor = results[output.name] as ort.Tensor;
      return {
        name: output.name,
        datatype: output.datatype,
        shape: [...tensor.dims],
        data: tensor.data as OutputTensor['data'],
      };
    });
  };
}

/** Scores the model's own input example, so a graph that loads but cannot run stops the start-up. */
async function warmUp(
  description: OnnxMlflowModel,
  inputs: readonly ModelInput[],
  run: (batch: ColumnBatch) => Promise<OutputTensor[]>,
): Promise<void> {
  const example = description.inputExample;
  if (!example) return;
  // The example is what MLflow would send as a `dataframe_split` body, so it goes through the same decoding.
  let batch: ColumnBatch;
  try {
    batch = decodeExampleFrame(example, inputs);
  } catch (error) {
    throw new ModelLoadError(
      `cannot serve the model: ${description.directory}: its input example does not match its signature ` +
        `(${(error as Error).message})`,
    );
  }
  try {
    await run(batch);
  } catch (error) {
    throw new ModelLoadError(
      `cannot serve the model: ${description.onnx.modelPath}: scoring the input example failed (${firstLine(error)})`,
    );
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n', 1)[0] ?? 'unknown error';
}
