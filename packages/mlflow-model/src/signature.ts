import { z } from 'zod';
import { pythonJsonDumps } from './python-json.js';

/** MLflow's scalar column types (`mlflow.types.DataType`), as they appear in a column-based signature. */
export const MLFLOW_COLUMN_TYPES = [
  'boolean',
  'integer',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'datetime',
] as const;
export type MlflowColumnType = (typeof MLFLOW_COLUMN_TYPES)[number];

/**
 * One column of a column-based signature, as `mlflow.types.ColSpec.to_dict()` writes it. MLflow reads a spec
 * without `required` as required, and a column may be unnamed (then it is matched by position).
 */
export const columnSpecSchema = z.object({
  type: z.enum(MLFLOW_COLUMN_TYPES),
  name: z.string().optional(),
  required: z.boolean().default(true),
});
export type ColumnSpec = z.output<typeof columnSpecSchema>;
/** A column spec to write: named, with `required` spelled out. */
export type NamedColumnSpec = { type: MlflowColumnType; name: string; required: boolean };

/** The signature of a model: its input columns, and its output columns when the MLmodel declares them. */
export interface ModelSignature {
  inputs: NamedColumnSpec[];
  outputs: ColumnSpec[] | null;
}

/** The signature block of an MLmodel file is malformed or of a kind this code does not serve. */
export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/**
 * Parses one side of the MLmodel `signature` block (a JSON string holding a list of specs). Only column-based
 * signatures are accepted: tensor specs and MLflow's array/object/map column types describe inputs that a
 * DataFrame-oriented server cannot check column by column.
 */
export function parseSignatureColumns(json: unknown, side: 'inputs' | 'outputs'): ColumnSpec[] {
  if (typeof json !== 'string') {
    throw new SignatureError(`signature.${side} must be a JSON string listing column specs, got ${typeof json}`);
  }
  let specs: unknown;
  try {
    specs = JSON.parse(json);
  } catch (error) {
    throw new SignatureError(`signature.${side} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new SignatureError(`signature.${side} must be a non-empty list of column specs`);
  }
  return specs.map((spec, index) => {
    if (typeof spec === 'object' && spec !== null && (spec as { type?: unknown }).type === 'tensor') {
      throw new SignatureError(
        `signature.${side}[${index}] is a tensor spec; only column-based signatures (one spec per DataFrame ` +
          'column) are supported',
      );
    }
    const parsed = columnSpecSchema.safeParse(spec);
    if (!parsed.success) {
      const type = (spec as { type?: unknown } | null)?.type;
      throw new SignatureError(
        `signature.${side}[${index}]: ${JSON.stringify(type)} is not a supported column type; ` +
          `supported: ${MLFLOW_COLUMN_TYPES.join(', ')}`,
      );
    }
    return parsed.data;
  });
}

/**
 * The input columns, which a server needs by name: a DataFrame's columns are matched by name, and duplicate or
 * missing names would make a request ambiguous.
 */
export function namedInputColumns(specs: readonly ColumnSpec[]): NamedColumnSpec[] {
  const seen = new Set<string>();
  return specs.map((spec, index) => {
    if (spec.name === undefined || spec.name === '') {
      throw new SignatureError(`signature.inputs[${index}] has no name; every input column must be named`);
    }
    if (seen.has(spec.name)) throw new SignatureError(`signature.inputs lists the column '${spec.name}' twice`);
    seen.add(spec.name);
    return { type: spec.type, name: spec.name, required: spec.required };
  });
}

/** The JSON string MLflow stores for one side of a signature (Python `json.dumps` formatting). */
export function formatSignatureColumns(specs: readonly (ColumnSpec | NamedColumnSpec)[]): string {
  return pythonJsonDumps(specs.map((spec) => ({ type: spec.type, name: spec.name, required: spec.required })));
}
