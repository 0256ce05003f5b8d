import * as ort from 'onnxruntime-node';
import { isNumberText } from '../data/dataset.js';
import type { RawColumn, RawRow } from '../model.js';
import { isMissingLevel, isMissingValue } from '../pipeline/preprocessor.js';
import { ONNX_OUTPUT_NAME, onnxInputElementType } from './onnx.js';

/** A model file path or the serialized model bytes. */
export type OnnxModelSource = string | Uint8Array;

/** A value in a row cannot be fed to the model; the message names the row, the column and the value. */
export class OnnxInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxInputError';
  }
}

/** An ONNX Runtime session over an exported pipeline, reusable across calls (load once, score many times). */
export interface OnnxScorer {
  /** Predicted prices, one per row, in row order. */
  score(rows: readonly RawRow[]): Promise<Float64Array>;
  /** Frees the native session. */
  release(): Promise<void>;
}

export interface OnnxScorerOptions {
  /** Intra-op threads of the session; ONNX Runtime's default (all cores) when omitted. */
  threads?: number;
}

/**
 * Opens an exported pipeline with ONNX Runtime (CPU) for repeated scoring.
 *
 * @param inputColumns The pipeline's raw input columns (`preprocessor.inputColumns`, or the MLmodel signature);
 * each becomes one rank-1 `[N]` tensor: `double` for numeric columns, `string` for text columns.
 */
export async function loadOnnxScorer(
  source: OnnxModelSource,
  inputColumns: readonly RawColumn[],
  options: OnnxScorerOptions = {},
): Promise<OnnxScorer> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    // Warnings only: ORT logs an info line per unused (dropped-column) input otherwise.
    logSeverityLevel: 3,
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
  };
  const session =
    typeof source === 'string'
      ? await ort.InferenceSession.create(source, sessionOptions)
      : await ort.InferenceSession.create(source, sessionOptions);
  return {
    async score(rows) {
      if (rows.length === 0) return new Float64Array(0);
      const results = await session.run(buildFeeds(rows, inputColumns));
      const output = results[ONNX_OUTPUT_NAME];
      if (output === undefined) {
        throw new Error(`the ONNX model has no output named '${ONNX_OUTPUT_NAME}'`);
      }
      return Float64Array.from(output.data as Float32Array);
    },
    async release() {
      await session.release();
    },
  };
}

/**
 * Scores raw rows with an exported pipeline in one call (opens and releases a session); see {@link buildFeeds}
 * for how values are sent. The graph imputes missing values and ignores dropped columns.
 *
 * @throws OnnxInputError when a numeric column holds text that is not a number.
 */
export async function scoreWithOnnx(
  source: OnnxModelSource,
  rows: readonly RawRow[],
  inputColumns: readonly RawColumn[],
): Promise<Float64Array> {
  const scorer = await loadOnnxScorer(source, inputColumns);
  try {
    return await scorer.score(rows);
  } finally {
    await scorer.release();
  }
}

/**
 * The feed dictionary: one rank-1 `[N]` tensor per raw input column, the shape the graph declares (and what MLflow's
 * pyfunc feeds). Values are normalised the way the reference preprocessor reads them: a missing numeric value
 * (`isMissingValue`) becomes NaN and numeric text in a numeric column its number; in a text column a missing value
 * (`isMissingLevel`: null, undefined, NaN, or exactly `""`, `NA`, `NaN`, `nan`) becomes `""`, a number its decimal
 * text, and any other text is sent unchanged (so `" NA"` and `None` are levels, as in the graph and the evaluator).
 *
 * @throws OnnxInputError when a numeric column holds text that is not a number.
 */
export function buildFeeds(rows: readonly RawRow[], inputColumns: readonly RawColumn[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const column of inputColumns) {
    if (onnxInputElementType(column) === 'string') {
      const values = rows.map((row) => {
        const value = row[column.name];
        return isMissingLevel(value) ? '' : String(value);
      });
      feeds[column.name] = new ort.Tensor('string', values, [rows.length]);
    } else {
      const values = new Float64Array(rows.length);
      rows.forEach((row, index) => {
        const value = row[column.name];
        if (isMissingValue(value)) values[index] = Number.NaN;
        else if (typeof value === 'number') values[index] = value;
        else if (typeof value === 'string' && isNumberText(value)) values[index] = Number(value);
        else {
          throw new OnnxInputError(
            `row ${index}, column '${column.name}': ${JSON.stringify(value)} is not a number; the column is ` +
              `${column.type}, so send a number, numeric text, or null when the value is missing`,
          );
        }
      });
      feeds[column.name] = new ort.Tensor('float64', values, [rows.length]);
    }
  }
  return feeds;
}
