import { type NamedColumnSpec, type SplitFrame, type WrittenModel, writeOnnxModelDirectory } from '@mlms/mlflow-model';
import type { RawColumn, RawRow } from '../model.js';
import { isMissingValue } from '../pipeline/preprocessor.js';
import { ONNX_OUTPUT_NAME, ONNX_PACKAGE_VERSION, onnxInputElementType } from './onnx.js';

/**
 * The signature inputs: one column per raw input column, in pipeline order. Numeric columns are declared `double`
 * (never `long`) because the graph's numeric inputs are `tensor(double)`: a `double` column may hold NaN, which is
 * how a missing value travels, while MLflow rejects a null in a `long` column. Every column is `required`: the graph
 * has one input per column and cannot run without any of them, so a client must send every column (a missing
 * value is a null cell, which the graph imputes), and MLflow's schema check then names an absent column.
 */
export function signatureInputs(inputColumns: readonly RawColumn[]): NamedColumnSpec[] {
  return inputColumns.map((column) => ({ type: onnxInputElementType(column), name: column.name, required: true }));
}

/** The signature output: the one float price column the ONNX pyfunc returns (named after the graph output). */
export function signatureOutputs(): NamedColumnSpec[] {
  return [{ type: 'float', name: ONNX_OUTPUT_NAME, required: true }];
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
  /** Rows written as the input example (MLflow keeps a handful; we pass 5). */
  exampleRows: readonly RawRow[];
  /** Tracking run id (32 hex characters). */
  runId: string;
  /** Defaults to now. */
  createdAt?: Date;
}

/** Writes the exported pipeline as an MLflow model directory with the ONNX flavour (see `@mlms/mlflow-model`). */
export function writeMlflowModel(options: WriteMlflowModelOptions): Promise<WrittenModel> {
  return writeOnnxModelDirectory({
    directory: options.directory,
    onnxModel: options.onnxModel,
    onnxVersion: ONNX_PACKAGE_VERSION,
    inputs: signatureInputs(options.inputColumns),
    outputs: signatureOutputs(),
    inputExample: toSplitFrame(options.exampleRows, options.inputColumns),
    runId: options.runId,
    ...(options.createdAt ? { createdAt: options.createdAt } : {}),
  });
}
