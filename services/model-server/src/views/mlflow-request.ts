import { CsvSyntaxError, parseCsv } from '@mlms/mlflow-model';
import type { ColumnBatch } from '../dto/batch.js';
import type { ModelInput } from '../dto/model.js';
import {
  decodeColumnObject,
  decodeRecords,
  decodeRowList,
  decodeSplitFrame,
  parseTextCell,
  RequestFormatError,
} from './columns.js';
import { parsePythonJson } from './python-json.js';

/** The JSON input formats of MLflow's scoring protocol: exactly one per request. */
export const MLFLOW_INPUT_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * Decodes an `/invocations` JSON body into columns. The body is a JSON object with exactly one of
 * `dataframe_split` (`{columns, data}`, optional `index`), `dataframe_records` (a list of row objects),
 * `instances` (rows: objects, or lists in signature order) or `inputs` (an object of columns, or rows as for
 * `instances`), plus optional `params` (accepted and ignored: an ONNX graph takes no inference parameters).
 *
 * @throws RequestFormatError for text that is not JSON or a body outside these formats.
 * @throws SchemaError when the data does not fit the signature.
 */
export function decodeInvocationsJson(text: string, inputs: readonly ModelInput[]): ColumnBatch {
  let body: unknown;
  try {
    body = parsePythonJson(text);
  } catch (error) {
    throw new RequestFormatError(
      `Failed to parse input from JSON. Ensure that input is a valid JSON formatted string (${(error as Error).message}).`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestFormatError(
      `The input must be a JSON object with exactly one of the input fields ${formatList()}; got ${
        Array.isArray(body) ? 'a list' : body === null ? 'null' : `a ${typeof body}`
      }.`,
    );
  }
  const record = body as Record<string, unknown>;
  const formats = MLFLOW_INPUT_FORMATS.filter((format) => Object.hasOwn(record, format));
  if (formats.length !== 1) {
    throw new RequestFormatError(
      `The input must be a JSON object with exactly one of the input fields ${formatList()}; got ${
        formats.length === 0 ? 'none' : formats.join(' and ')
      }.`,
    );
  }
  const params = record.params;
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw new RequestFormatError("'params' must be an object of parameter values.");
  }
  const format = formats[0] as (typeof MLFLOW_INPUT_FORMATS)[number];
  const value = record[format];
  switch (format) {
    case 'dataframe_split':
      return decodeSplitFrame(value, inputs);
    case 'dataframe_records':
      if (!Array.isArray(value)) throw new RequestFormatError("'dataframe_records' must be a list of row objects.");
      return decodeRecords(value, inputs, format);
    case 'instances':
    case 'inputs':
      if (Array.isArray(value)) return decodeRowList(value, inputs, format);
      if (typeof value === 'object' && value !== null) {
        return decodeColumnObject(value as Record<string, unknown>, inputs, format);
      }
      throw new RequestFormatError(`'${format}' must be a list of rows or an object of columns.`);
  }
}

/**
 * Decodes a `text/csv` body: a header row naming the columns, then one record per row, read as `pandas.read_csv`
 * does for MLflow: numbers in numeric columns, pandas' default NA markers (empty, `NA`, `NaN`, `None`, …) as
 * missing values.
 */
export function decodeInvocationsCsv(text: string, inputs: readonly ModelInput[]): ColumnBatch {
  let records: { fields: string[] }[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new RequestFormatError(`Failed to parse input as CSV: line ${error.line}: ${error.message}.`);
    }
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) throw new RequestFormatError('Failed to parse input as CSV: the body has no header row.');
  const names = header.fields;
  const byName = new Map(inputs.map((input) => [input.name, input]));
  const data = rows.map((record, index) => {
    if (record.fields.length !== names.length) {
      throw new RequestFormatError(
        `Failed to parse input as CSV: row ${index} has ${record.fields.length} fields; the header has ${names.length}.`,
      );
    }
    return record.fields.map((text, column) => {
      const input = byName.get(names[column] as string);
      return input ? parseTextCell(input, text) : text;
    });
  });
  return decodeSplitFrame({ columns: names, data }, inputs);
}

function formatList(): string {
  return `{${MLFLOW_INPUT_FORMATS.map((format) => `'${format}'`).join(', ')}}`;
}
