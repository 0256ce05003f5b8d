import type { MlflowColumnType } from '@mlms/mlflow-model';
import type { ColumnElementType } from './batch.js';

/** One model input: what the signature says callers send, and how it is fed to the graph. */
export interface ModelInput {
  name: string;
  /** The signature's column type: decides which JSON values a request may hold. */
  columnType: MlflowColumnType;
  /** The graph input's element type, which the column is converted to. */
  element: ColumnElementType;
  /** `[N]` or `[N, 1]`, as the graph input declares. */
  shape: [-1] | [-1, 1];
  required: boolean;
}

export interface ModelOutput {
  name: string;
  /** The V2 datatype name (`FP32`, `FP64`, `INT64`, `BOOL`, `BYTES`, …). */
  datatype: string;
}
