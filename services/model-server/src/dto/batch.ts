/**
 * The columnar batch every protocol decodes into and the runtime scores: one typed array per input column, in the
 * signature's order, no per-cell objects. Text columns are string arrays (ONNX Runtime takes nothing else).
 */
export type ColumnValues = Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array | string[];

/** The element type a column is held in, which is the ONNX tensor type it is fed as. */
export type ColumnElementType = 'float64' | 'float32' | 'int64' | 'int32' | 'bool' | 'string';

export interface ColumnBatch {
  rows: number;
  /** One entry per model input, in signature order. */
  columns: ColumnValues[];
}

/** One model output for a whole batch: values in row-major order and the tensor shape. */
export interface OutputTensor {
  name: string;
  /** The V2 datatype name (`FP32`, `FP64`, `INT64`, `BOOL`, `BYTES`, …). */
  datatype: string;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | string[] | number[];
}

/** Who answered: every prediction response says which model and version produced it. */
export interface ModelIdentity {
  name: string;
  version: string;
}

export interface PredictionResult {
  model: ModelIdentity;
  outputs: OutputTensor[];
}
