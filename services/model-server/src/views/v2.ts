import { z } from 'zod';
import type { ColumnBatch, OutputTensor, PredictionResult } from '../dto/batch.js';
import type { ModelInput } from '../dto/model.js';
import { decodeColumnObject, RequestFormatError, SchemaError } from './columns.js';
import { jsonScalar } from './mlflow-response.js';

/** Open Inference Protocol (V2) wire shapes, as KServe, MLServer and Triton define them. */
const V2_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export const v2DatatypeSchema = z.enum(V2_DATATYPES);

export const v2TensorMetadataSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
});

export const v2ModelMetadataSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(v2TensorMetadataSchema),
    outputs: z.array(v2TensorMetadataSchema),
  })
  .meta({ id: 'V2ModelMetadata' });

export const v2ServerMetadataSchema = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
  .meta({ id: 'V2ServerMetadata' });

export const v2ErrorSchema = z.object({ error: z.string().describe('What went wrong.') }).meta({ id: 'V2Error' });

const cellSchema = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const dataSchema = z.array(z.union([cellSchema, z.array(z.unknown())]));

export const v2InferRequestSchema = z
  .object({
    id: z.string().optional().describe('Echoed back in the response; the request id when absent.'),
    parameters: z.record(z.string(), z.unknown()).optional(),
    inputs: z
      .array(
        z.object({
          name: z.string(),
          shape: z.array(z.number().int().min(0)),
          datatype: v2DatatypeSchema,
          parameters: z.record(z.string(), z.unknown()).optional(),
          data: dataSchema.describe('Values in row-major order, flat or nested.'),
        }),
      )
      .min(1),
    outputs: z
      .array(z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
      .optional(),
  })
  // No component id: the routes attach the served model's example, which a registered component would not carry.
  .describe('An inference request: one input per model column.');
export type V2InferRequest = z.infer<typeof v2InferRequestSchema>;

export const v2InferResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string(),
    outputs: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int()),
        datatype: z.string(),
        data: z.array(z.unknown()),
      }),
    ),
  })
  .meta({ id: 'V2InferenceResponse' });

const NUMERIC_DATATYPES: ReadonlySet<string> = new Set(
  V2_DATATYPES.filter((datatype) => datatype !== 'BOOL' && datatype !== 'BYTES'),
);

/** The V2 datatype a model input is declared with in the metadata. */
export function v2Datatype(input: ModelInput): string {
  switch (input.element) {
    case 'float64':
      return 'FP64';
    case 'float32':
      return 'FP32';
    case 'int64':
      return 'INT64';
    case 'int32':
      return 'INT32';
    case 'bool':
      return 'BOOL';
    case 'string':
      return 'BYTES';
  }
}

/**
 * A V2 inference request into columns: each request input names a model input, has shape `[N]` or `[N, 1]` and
 * holds `N` values (flat or nested). Numeric datatypes are accepted for any numeric column, `BYTES` for text
 * columns, `BOOL` for boolean ones; `null` is a missing value, as in the MLflow protocol.
 *
 * @throws RequestFormatError for shapes and data that disagree, or unknown or repeated inputs.
 * @throws SchemaError for missing inputs and values that do not fit a column.
 */
export function decodeV2Request(request: V2InferRequest, inputs: readonly ModelInput[]): ColumnBatch {
  const byName = new Map(inputs.map((input) => [input.name, input]));
  const columns: Record<string, unknown[]> = {};
  let rows: number | undefined;
  for (const tensor of request.inputs) {
    const input = byName.get(tensor.name);
    if (!input) {
      throw new RequestFormatError(`Input '${tensor.name}' is not an input of this model.`);
    }
    if (Object.hasOwn(columns, tensor.name)) throw new RequestFormatError(`Input '${tensor.name}' is given twice.`);
    const [length, width, ...rest] = tensor.shape;
    if (length === undefined || (width !== undefined && width !== 1) || rest.length > 0) {
      throw new RequestFormatError(
        `Input '${tensor.name}' has shape [${tensor.shape.join(', ')}]; a column input must be [N] or [N, 1].`,
      );
    }
    const expected = v2Datatype(input);
    const compatible =
      tensor.datatype === expected || (NUMERIC_DATATYPES.has(tensor.datatype) && NUMERIC_DATATYPES.has(expected));
    if (!compatible) {
      throw new SchemaError(`Input '${tensor.name}' has datatype ${tensor.datatype}; the model expects ${expected}.`);
    }
    const data = tensor.data.flat(2);
    if (data.length !== length) {
      throw new RequestFormatError(
        `Input '${tensor.name}' has shape [${tensor.shape.join(', ')}] but ${data.length} values.`,
      );
    }
    if (rows !== undefined && length !== rows) {
      throw new RequestFormatError(`Inputs have different lengths: every input must have the same first dimension.`);
    }
    rows = length;
    columns[tensor.name] = data;
  }
  return decodeColumnObject(columns, inputs, 'inputs');
}

/** The V2 inference response: outputs with their shapes, data flattened in row-major order. */
export function v2InferResponseJson(result: PredictionResult, id: string, requested?: readonly string[]): string {
  const outputs = requested ? result.outputs.filter((output) => requested.includes(output.name)) : result.outputs;
  const encoded = outputs.map(
    (output: OutputTensor) =>
      `{"name":${JSON.stringify(output.name)},"shape":[${output.shape.join(',')}],"datatype":${JSON.stringify(
        output.datatype,
      )},"data":[${Array.from(output.data as ArrayLike<unknown>, jsonScalar).join(',')}]}`,
  );
  return `{"model_name":${JSON.stringify(result.model.name)},"model_version":${JSON.stringify(
    result.model.version,
  )},"id":${JSON.stringify(id)},"parameters":{},"outputs":[${encoded.join(',')}]}`;
}
