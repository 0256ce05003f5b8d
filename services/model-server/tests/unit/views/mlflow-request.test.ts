import { describe, expect, it } from 'vitest';
import { RequestFormatError, SchemaError } from '../../../src/views/columns.js';
import { decodeInvocationsCsv, decodeInvocationsJson } from '../../../src/views/mlflow-request.js';
import { AREA_ROOMS_ZONE } from '../../support/inputs.js';
import { thrown } from '../../support/thrown.js';

const INPUTS = AREA_ROOMS_ZONE;

const EXPECTED = {
  rows: 2,
  columns: [Float64Array.of(1.5, Number.NaN), BigInt64Array.of(3n, 4n), ['RL', '']],
};

describe('decodeInvocationsJson', () => {
  it.each([
    [
      'dataframe_split',
      {
        dataframe_split: {
          columns: ['zone', 'rooms', 'area'],
          data: [
            ['RL', 3, 1.5],
            [null, 4, null],
          ],
        },
      },
    ],
    [
      'dataframe_records',
      {
        dataframe_records: [
          { area: 1.5, rooms: 3, zone: 'RL' },
          { area: null, rooms: 4, zone: null },
        ],
      },
    ],
    [
      'instances as records',
      {
        instances: [
          { area: 1.5, rooms: 3, zone: 'RL' },
          { rooms: 4, area: null, zone: null },
        ],
      },
    ],
    [
      'instances as positional rows',
      {
        instances: [
          [1.5, 3, 'RL'],
          [null, 4, null],
        ],
      },
    ],
    ['inputs as columns', { inputs: { area: [1.5, null], rooms: [3, 4], zone: ['RL', null] } }],
    [
      'inputs as rows',
      {
        inputs: [
          [1.5, 3, 'RL'],
          [null, 4, null],
        ],
      },
    ],
    [
      'a format with params',
      { params: { threshold: 0.5 }, inputs: { area: [1.5, null], rooms: [3, 4], zone: ['RL', null] } },
    ],
    ['a format with null params', { params: null, inputs: { area: [1.5, null], rooms: [3, 4], zone: ['RL', null] } }],
  ])('decodes %s into the same columns', (_format, body) => {
    // When
    const batch = decodeInvocationsJson(JSON.stringify(body), INPUTS);

    // Then
    expect(batch).toEqual(EXPECTED);
  });

  it('reads inputs of scalars as one row', () => {
    // When
    const batch = decodeInvocationsJson('{"inputs": {"area": 2, "rooms": 1, "zone": "FV"}}', INPUTS);

    // Then
    expect(batch).toEqual({ rows: 1, columns: [Float64Array.of(2), BigInt64Array.of(1n), ['FV']] });
  });

  it('reads an empty instances list as zero rows', () => {
    // When
    const batch = decodeInvocationsJson('{"instances": []}', INPUTS);

    // Then
    expect(batch.rows).toBe(0);
  });

  it('refuses text that is not JSON', () => {
    // When
    const error = thrown(() => decodeInvocationsJson('{"inputs": ', INPUTS));

    // Then
    expect(error).toBeInstanceOf(RequestFormatError);
    expect(error.message).toMatch(
      /^Failed to parse input from JSON\. Ensure that input is a valid JSON formatted string \(.+\)\.$/,
    );
  });

  it.each([
    ['[]', 'got a list.'],
    ['null', 'got null.'],
    ['42', 'got a number.'],
    ['"text"', 'got a string.'],
    ['true', 'got a boolean.'],
  ])('refuses the top-level value %s', (text, got) => {
    // When
    const error = thrown(() => decodeInvocationsJson(text, INPUTS));

    // Then
    expect(error).toBeInstanceOf(RequestFormatError);
    expect(error.message).toBe(
      "The input must be a JSON object with exactly one of the input fields {'dataframe_split', " +
        `'dataframe_records', 'instances', 'inputs'}; ${got}`,
    );
  });

  it('refuses an object with none of the format keys', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"data": [[1]]}', INPUTS)).toThrow(
      /exactly one of the input fields .*; got none\.$/,
    );
  });

  it('refuses an object with two format keys, naming both', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"inputs": [], "instances": []}', INPUTS)).toThrow(
      /; got instances and inputs\.$/,
    );
  });

  it.each(['[]', '"fast"', '3', 'true'])('refuses params %s', (params) => {
    // When / Then
    expect(() => decodeInvocationsJson(`{"instances": [], "params": ${params}}`, INPUTS)).toThrow(
      new RequestFormatError("'params' must be an object of parameter values."),
    );
  });

  it('refuses dataframe_records that is not a list', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"dataframe_records": {"area": 1}}', INPUTS)).toThrow(
      new RequestFormatError("'dataframe_records' must be a list of row objects."),
    );
  });

  it.each(['instances', 'inputs'])('refuses %s that is neither a list nor an object', (format) => {
    // When / Then
    expect(() => decodeInvocationsJson(`{"${format}": "rows"}`, INPUTS)).toThrow(
      new RequestFormatError(`'${format}' must be a list of rows or an object of columns.`),
    );
    expect(() => decodeInvocationsJson(`{"${format}": null}`, INPUTS)).toThrow(RequestFormatError);
  });

  it('refuses a malformed dataframe_split', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"dataframe_split": [[1]]}', INPUTS)).toThrow(RequestFormatError);
  });

  it('passes schema errors through as SchemaError', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"inputs": {"area": [1]}}', INPUTS)).toThrow(
      new SchemaError("Model is missing inputs ['rooms', 'zone']."),
    );
  });

  it("accepts Python's NaN, Infinity and -Infinity tokens", () => {
    // Given
    const text = '{"instances": [[NaN, 1, "RL"], [Infinity, 2, "FV"], [-Infinity, 3, NaN]]}';

    // When
    const batch = decodeInvocationsJson(text, INPUTS);

    // Then
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(batch.columns[2]).toEqual(['RL', 'FV', '']);
  });

  it('keeps the text "NaN" inside a string as text when the body also holds a NaN token', () => {
    // Given
    const text = '{"instances": [[NaN, 1, "NaN"], [1, 2, "Infinity and -Infinity"]]}';

    // When
    const batch = decodeInvocationsJson(text, INPUTS);

    // Then
    expect(batch.columns[2]).toEqual(['NaN', 'Infinity and -Infinity']);
  });

  it('refuses the text "NaN" in a numeric column', () => {
    // When / Then
    expect(() => decodeInvocationsJson('{"instances": [["NaN", 1, "RL"]]}', INPUTS)).toThrow(
      'column \'area\' (double), row 0: text "NaN"; expected a number or null',
    );
  });
});

describe('decodeInvocationsCsv', () => {
  it('decodes a header and rows by column name, NA markers as missing values', () => {
    // Given
    const text = 'zone,rooms,area\nRL,3,1.5\nNA,4,\n';

    // When
    const batch = decodeInvocationsCsv(text, INPUTS);

    // Then
    expect(batch).toEqual(EXPECTED);
  });

  it('reads quoted fields with commas, quotes and line breaks, and ignores extra columns', () => {
    // Given
    const text = 'area,rooms,zone,comment\r\n2,1,"R,L","said ""hi""\nthere"\r\n';

    // When
    const batch = decodeInvocationsCsv(text, INPUTS);

    // Then
    expect(batch).toEqual({ rows: 1, columns: [Float64Array.of(2), BigInt64Array.of(1n), ['R,L']] });
  });

  it('reads None and nan as missing text, as pandas.read_csv does', () => {
    // When
    const batch = decodeInvocationsCsv('area,rooms,zone\n1,1,None\n2,2,nan\n3,3,none\n', INPUTS);

    // Then
    expect(batch.columns[2]).toEqual(['', '', 'none']);
  });

  it('reads a header alone as zero rows', () => {
    // When
    const batch = decodeInvocationsCsv('area,rooms,zone\n', INPUTS);

    // Then
    expect(batch.rows).toBe(0);
  });

  it('refuses a row with the wrong number of fields', () => {
    // When / Then
    expect(() => decodeInvocationsCsv('area,rooms,zone\n1,2,RL\n1,2\n', INPUTS)).toThrow(
      new RequestFormatError('Failed to parse input as CSV: row 1 has 2 fields; the header has 3.'),
    );
  });

  it('refuses an empty body: there is no header', () => {
    // When / Then
    expect(() => decodeInvocationsCsv('', INPUTS)).toThrow(
      new RequestFormatError('Failed to parse input as CSV: the body has no header row.'),
    );
    expect(() => decodeInvocationsCsv('\n\n', INPUTS)).toThrow('the body has no header row');
  });

  it('refuses malformed CSV, naming the line', () => {
    // When
    const error = thrown(() => decodeInvocationsCsv('area,rooms,zone\n1,2,"RL\n', INPUTS));

    // Then
    expect(error).toBeInstanceOf(RequestFormatError);
    expect(error.message).toMatch(/^Failed to parse input as CSV: line 2: .+\.$/);
  });

  it('refuses a header that lacks signature columns', () => {
    // When / Then
    expect(() => decodeInvocationsCsv('area,zone\n1,RL\n', INPUTS)).toThrow(
      new SchemaError("Model is missing inputs ['rooms']."),
    );
  });

  it('refuses text in a numeric column and a fraction in a long column', () => {
    // When / Then
    expect(() => decodeInvocationsCsv('area,rooms,zone\nbig,2.5,RL\n', INPUTS)).toThrow(
      "column 'area' (double), row 0: text \"big\"; expected a number or null; column 'rooms' (long), row 0: 2.5",
    );
  });
});
