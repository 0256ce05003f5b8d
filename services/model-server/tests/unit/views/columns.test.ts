import { describe, expect, it } from 'vitest';
import type { ModelInput } from '../../../src/dto/model.js';
import {
  decodeColumnObject,
  decodeExampleFrame,
  decodePositionalRows,
  decodeRecords,
  decodeRowList,
  decodeSplitFrame,
  PANDAS_NA_VALUES,
  parseTextCell,
  RequestFormatError,
  SchemaError,
} from '../../../src/views/columns.js';
import { column } from '../../support/inputs.js';
import { thrown } from '../../support/thrown.js';

const area = column('area', 'double', 'float64');
const ratio = column('ratio', 'float', 'float32');
const rooms = column('rooms', 'long', 'int64');
const floors = column('floors', 'integer', 'int32');
const garage = column('garage', 'boolean', 'bool');
const zone = column('zone', 'string', 'string');

/** Decodes one column of cells through the `dataframe_split` path. */
function decodeCells(input: ModelInput, cells: unknown[]) {
  return decodeSplitFrame({ columns: [input.name], data: cells.map((cell) => [cell]) }, [input]);
}

describe('decodeSplitFrame cell rules', () => {
  it('accepts JSON integers and floats into a double column and reads null as NaN', () => {
    // When
    const batch = decodeCells(area, [1, 2.5, null, -3e10]);

    // Then
    expect(batch.rows).toBe(4);
    expect(batch.columns[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([1, 2.5, Number.NaN, -3e10]);
  });

  it('stores a float column in a Float32Array, null as NaN', () => {
    // When
    const batch = decodeCells(ratio, [1, 0.5, null]);

    // Then
    expect(batch.columns[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(batch.columns[0] as Float32Array)).toEqual([1, 0.5, Number.NaN]);
  });

  it('stores a long column fed as int64 as BigInt values', () => {
    // When
    const batch = decodeCells(rooms, [3, -4, 0, 2 ** 53 + 2]);

    // Then
    expect(batch.columns[0]).toBeInstanceOf(BigInt64Array);
    expect(Array.from(batch.columns[0] as BigInt64Array)).toEqual([3n, -4n, 0n, 2n ** 53n + 2n]);
  });

  it('stores a long column fed as float64 as plain numbers', () => {
    // Given
    const count = column('count', 'long', 'float64');

    // When
    const batch = decodeCells(count, [5, 6]);

    // Then
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([5, 6]);
  });

  it('refuses a fraction in a long column, naming the column and row', () => {
    // When / Then
    expect(() => decodeCells(rooms, [1, 2.5])).toThrow(
      new SchemaError("Incompatible input types: column 'rooms' (long), row 1: 2.5; expected a whole number."),
    );
  });

  it('refuses null in a long column: pandas has no integer missing value', () => {
    // When / Then
    expect(() => decodeCells(rooms, [null])).toThrow(
      "column 'rooms' (long), row 0: null; the column is long, which cannot hold a missing value",
    );
  });

  it('refuses a long value outside 64 bits', () => {
    // When / Then
    expect(() => decodeCells(rooms, [2 ** 63])).toThrow("column 'rooms' (long), row 0: 9223372036854776000");
  });

  it('accepts the whole int64 range in a long column, -2^63 included', () => {
    // When
    const batch = decodeCells(rooms, [-(2 ** 63), 2 ** 63 - 1024]);

    // Then
    expect(Array.from(batch.columns[0] as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1024n]);
  });

  it('refuses a long value beyond 32 bits when the graph takes the column as int32, instead of wrapping it', () => {
    // Given
    const count = column('count', 'long', 'int32');

    // When
    const batch = decodeCells(count, [2 ** 31 - 1, -(2 ** 31)]);

    // Then
    expect(Array.from(batch.columns[0] as Int32Array)).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(() => decodeCells(count, [2 ** 31])).toThrow(
      "column 'count' (long), row 0: 2147483648; expected a whole number within 32 bits",
    );
  });

  it('takes an integer column within 32 bits and refuses anything beyond', () => {
    // When
    const batch = decodeCells(floors, [2 ** 31 - 1, -(2 ** 31)]);

    // Then
    expect(batch.columns[0]).toBeInstanceOf(Int32Array);
    expect(Array.from(batch.columns[0] as Int32Array)).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(() => decodeCells(floors, [2 ** 31])).toThrow(
      "column 'floors' (integer), row 0: 2147483648; expected a whole number within 32 bits",
    );
    expect(() => decodeCells(floors, [null])).toThrow(
      /row 0: null; the column is integer, which cannot hold a missing value/,
    );
  });

  it('takes true and false into a boolean column and refuses anything else', () => {
    // When
    const batch = decodeCells(garage, [true, false]);

    // Then
    expect(batch.columns[0]).toBeInstanceOf(Uint8Array);
    expect(Array.from(batch.columns[0] as Uint8Array)).toEqual([1, 0]);
    expect(() => decodeCells(garage, [1])).toThrow("column 'garage' (boolean), row 0: 1; expected true or false");
    expect(() => decodeCells(garage, [null])).toThrow('row 0: null; expected true or false');
  });

  it('stores a boolean column fed as int64 as 1n and 0n', () => {
    // Given
    const flag = column('flag', 'boolean', 'int64');

    // When
    const batch = decodeCells(flag, [true, false]);

    // Then
    expect(Array.from(batch.columns[0] as BigInt64Array)).toEqual([1n, 0n]);
  });

  it('reads null as the empty string in a string column', () => {
    // When
    const batch = decodeCells(zone, ['RL', null, '']);

    // Then
    expect(batch.columns[0]).toEqual(['RL', '', '']);
  });

  it('refuses a number in a string column', () => {
    // When / Then
    expect(() => decodeCells(zone, [42])).toThrow("column 'zone' (string), row 0: 42; expected text or null");
  });

  it('refuses text, booleans, lists and objects in a numeric column', () => {
    // When
    const error = thrown(() => decodeCells(area, ['12', true, [1], { a: 1 }]));

    // Then
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.message).toBe(
      'Incompatible input types: column \'area\' (double), row 0: text "12"; expected a number or null; ' +
        "column 'area' (double), row 1: true; expected a number or null; " +
        "column 'area' (double), row 2: a list; expected a number or null; " +
        "column 'area' (double), row 3: an object; expected a number or null.",
    );
  });

  it('refuses a column type the server cannot feed', () => {
    // Given
    const picture = column('picture', 'binary', 'string');

    // When / Then
    expect(() => decodeCells(picture, ['aGk='])).toThrow('the binary type is not supported');
  });

  it('reports at most five problems, then how many more there are', () => {
    // When
    const error = thrown(() => decodeCells(area, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']));

    // Then
    expect(error.message.match(/column 'area'/g)).toHaveLength(5);
    expect(error.message).toContain('row 4: text "e"');
    expect(error.message).not.toContain('row 5');
    expect(error.message).toMatch(/; and 3 more\.$/);
  });

  it('shows a long text value truncated, never the whole input', () => {
    // Given
    const long = `${'x'.repeat(40)}${'z'.repeat(10_000)}`;

    // When
    const error = thrown(() => decodeCells(area, [long]));

    // Then
    expect(error.message).toContain(`text "${'x'.repeat(40)}…"`);
    expect(error.message).not.toContain('z');
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('decodeSplitFrame columns', () => {
  it('matches columns by name, in any order, and ignores extra columns', () => {
    // When
    const batch = decodeSplitFrame(
      {
        columns: ['extra', 'zone', 'area'],
        data: [
          ['?', 'RL', 1.5],
          [{ any: 'thing' }, 'FV', 2],
        ],
        index: [10, 11],
      },
      [area, zone],
    );

    // Then
    expect(batch.rows).toBe(2);
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([1.5, 2]);
    expect(batch.columns[1]).toEqual(['RL', 'FV']);
  });

  it('names every missing required column in one SchemaError', () => {
    // Given
    const inputs = [column('a', 'double', 'float64'), zone, column('b', 'string', 'string')];

    // When
    const error = thrown(() => decodeSplitFrame({ columns: ['zone'], data: [['RL']] }, inputs));

    // Then
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.message).toBe("Model is missing inputs ['a', 'b'].");
  });

  it('treats a frame without columns as naming none of the inputs', () => {
    // When / Then
    expect(() => decodeSplitFrame({ data: [] }, [area])).toThrow("Model is missing inputs ['area'].");
  });

  it('fills an absent optional column with missing values', () => {
    // Given
    const inputs = [area, column('note', 'string', 'string', false), column('size', 'double', 'float64', false)];

    // When
    const batch = decodeSplitFrame({ columns: ['area'], data: [[1], [2]] }, inputs);

    // Then
    expect(batch.columns[1]).toEqual(['', '']);
    expect(Array.from(batch.columns[2] as Float64Array)).toEqual([Number.NaN, Number.NaN]);
  });

  it('refuses an absent optional long column, which has no missing value', () => {
    // Given
    const inputs = [area, column('count', 'long', 'int64', false)];

    // When / Then
    expect(() => decodeSplitFrame({ columns: ['area'], data: [[1]] }, inputs)).toThrow(
      "column 'count' (long), row 0: null; the column is long, which cannot hold a missing value",
    );
  });

  it('decodes zero rows into empty typed columns', () => {
    // When
    const batch = decodeSplitFrame({ columns: ['area', 'rooms', 'zone'], data: [] }, [area, rooms, zone]);

    // Then
    expect(batch).toEqual({ rows: 0, columns: [new Float64Array(0), new BigInt64Array(0), []] });
  });

  it.each([
    ['a list', [], "'dataframe_split' must be an object with 'columns' and 'data'."],
    ['null', null, "'dataframe_split' must be an object with 'columns' and 'data'."],
    ['text', 'frame', "'dataframe_split' must be an object with 'columns' and 'data'."],
    ['an object without data', { columns: ['area'] }, "'dataframe_split.data' must be a list of rows."],
    ['data that is not a list', { columns: ['area'], data: { 0: [1] } }, "'dataframe_split.data' must be a list"],
    [
      'a row of the wrong length',
      { columns: ['area'], data: [[1], [1, 2]] },
      "'dataframe_split.data' row 1 must be a list of 1 values, one per column.",
    ],
    ['a row that is not a list', { columns: ['area'], data: [{ area: 1 }] }, "'dataframe_split.data' row 0 must be"],
    ['columns that are not a list', { columns: 'area', data: [] }, "'dataframe_split.columns' must be a list"],
    ['columns that are not strings', { columns: ['area', 3], data: [] }, "'dataframe_split.columns' must be a list"],
    [
      'a column named twice',
      { columns: ['area', 'area'], data: [[1, 2]] },
      "'dataframe_split.columns' lists 'area' twice.",
    ],
  ])('refuses %s as a format error', (_case, frame, message) => {
    // When
    const error = thrown(() => decodeSplitFrame(frame, [area]));

    // Then
    expect(error).toBeInstanceOf(RequestFormatError);
    expect(error.message).toContain(message);
  });
});

describe('decodeSplitFrame column positions, reused for the same column list', () => {
  it('decodes a second request with the same columns, in any column order the first one had', () => {
    // Given
    const inputs = [area, zone];
    decodeSplitFrame({ columns: ['zone', 'area'], data: [['RL', 1]] }, inputs);

    // When
    const batch = decodeSplitFrame({ columns: ['zone', 'area'], data: [['RM', 2]] }, inputs);

    // Then
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([2]);
    expect(batch.columns[1]).toEqual(['RM']);
  });

  it('checks a different column list again after a valid one: missing inputs and duplicates are still refused', () => {
    // Given
    const inputs = [area, zone];
    decodeSplitFrame({ columns: ['area', 'zone'], data: [[1, 'RL']] }, inputs);

    // When / Then
    expect(() => decodeSplitFrame({ columns: ['area'], data: [[1]] }, inputs)).toThrow(
      "Model is missing inputs ['zone'].",
    );
    expect(() => decodeSplitFrame({ columns: ['area', 'area'], data: [[1, 2]] }, inputs)).toThrow(
      "'dataframe_split.columns' lists 'area' twice.",
    );
    expect(
      Array.from(decodeSplitFrame({ columns: ['zone', 'area'], data: [['RL', 3]] }, inputs).columns[0] as Float64Array),
    ).toEqual([3]);
  });
});

describe('decodeExampleFrame', () => {
  it('decodes the model input example as a dataframe_split body', () => {
    // When
    const batch = decodeExampleFrame({ columns: ['area', 'zone'], data: [[1, null]] }, [area, zone]);

    // Then
    expect(batch).toEqual({ rows: 1, columns: [Float64Array.of(1), ['']] });
  });
});

describe('decodeRecords', () => {
  it('decodes one object per row, a key missing from a row being a missing value', () => {
    // When
    const batch = decodeRecords(
      [{ area: 1, zone: 'RL', other: true }, { area: 2.5 }],
      [area, zone],
      'dataframe_records',
    );

    // Then
    expect(batch.rows).toBe(2);
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([1, 2.5]);
    expect(batch.columns[1]).toEqual(['RL', '']);
  });

  it('reads an absent optional column named like an Object property as missing, not as the inherited value', () => {
    // Given
    const inherited = column('constructor', 'string', 'string', false);

    // When
    const batch = decodeRecords([{ area: 1 }], [area, inherited], 'dataframe_records');

    // Then
    expect(batch.columns[1]).toEqual(['']);
  });

  it('names every column no row has', () => {
    // When / Then
    expect(() => decodeRecords([{ other: 1 }], [area, zone], 'dataframe_records')).toThrow(
      new SchemaError("Model is missing inputs ['area', 'zone']."),
    );
  });

  it('refuses a row that is not an object, naming the field and row', () => {
    // When / Then
    expect(() => decodeRecords([{ area: 1 }, [1]], [area], 'instances')).toThrow(
      new RequestFormatError("'instances' row 1 must be an object of column values."),
    );
    expect(() => decodeRecords([null], [area], 'dataframe_records')).toThrow("'dataframe_records' row 0");
  });

  it('collects cell problems across rows and columns', () => {
    // When / Then
    expect(() => decodeRecords([{ area: 'x', rooms: 1.5 }], [area, rooms], 'dataframe_records')).toThrow(
      "column 'area' (double), row 0: text \"x\"; expected a number or null; column 'rooms' (long), row 0: 1.5",
    );
  });
});

describe('decodeColumnObject', () => {
  it('decodes an object of equal-length lists into columns', () => {
    // When
    const batch = decodeColumnObject(
      { area: [1, null], rooms: [2, 3], zone: ['RL', 'FV'] },
      [area, rooms, zone],
      'inputs',
    );

    // Then
    expect(batch.rows).toBe(2);
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([1, Number.NaN]);
    expect(Array.from(batch.columns[1] as BigInt64Array)).toEqual([2n, 3n]);
    expect(batch.columns[2]).toEqual(['RL', 'FV']);
  });

  it('reads an object of scalars as one row', () => {
    // When
    const batch = decodeColumnObject({ area: 3, zone: null }, [area, zone], 'inputs');

    // Then
    expect(batch).toEqual({ rows: 1, columns: [Float64Array.of(3), ['']] });
  });

  it('fills an absent optional column with missing values for every row', () => {
    // Given
    const note = column('note', 'string', 'string', false);

    // When
    const batch = decodeColumnObject({ area: [1, 2] }, [area, note], 'inputs');

    // Then
    expect(batch.columns[1]).toEqual(['', '']);
  });

  it('reads an absent optional column named like an Object property as missing', () => {
    // Given
    const inherited = column('toString', 'string', 'string', false);

    // When
    const batch = decodeColumnObject({ area: [1, 2] }, [area, inherited], 'inputs');

    // Then
    expect(batch.columns[1]).toEqual(['', '']);
  });

  it('is zero rows when only absent optional columns are declared', () => {
    // Given
    const note = column('note', 'string', 'string', false);

    // When
    const batch = decodeColumnObject({}, [note], 'inputs');

    // Then
    expect(batch).toEqual({ rows: 0, columns: [[]] });
  });

  it('refuses lists mixed with scalars', () => {
    // When / Then
    expect(() => decodeColumnObject({ area: [1], zone: 'RL' }, [area, zone], 'inputs')).toThrow(
      new RequestFormatError("'inputs' must map every column to a list of values, or every column to one value."),
    );
  });

  it('refuses lists of different lengths', () => {
    // When / Then
    expect(() => decodeColumnObject({ area: [1, 2], zone: ['RL'] }, [area, zone], 'inputs')).toThrow(
      new RequestFormatError("'inputs' columns must all have the same number of values."),
    );
  });

  it('names the missing columns', () => {
    // When / Then
    expect(() => decodeColumnObject({ zone: ['RL'] }, [area, rooms, zone], 'inputs')).toThrow(
      "Model is missing inputs ['area', 'rooms'].",
    );
  });
});

describe('decodePositionalRows', () => {
  it('decodes lists of values in signature order', () => {
    // When
    const batch = decodePositionalRows(
      [
        [1, 2, 'RL'],
        [null, 3, null],
      ],
      [area, rooms, zone],
      'instances',
    );

    // Then
    expect(batch.rows).toBe(2);
    expect(Array.from(batch.columns[0] as Float64Array)).toEqual([1, Number.NaN]);
    expect(Array.from(batch.columns[1] as BigInt64Array)).toEqual([2n, 3n]);
    expect(batch.columns[2]).toEqual(['RL', '']);
  });

  it('refuses a row with the wrong number of values', () => {
    // When / Then
    expect(() => decodePositionalRows([[1, 2]], [area, rooms, zone], 'inputs')).toThrow(
      new RequestFormatError(
        "'inputs' row 0 must be an object of column values or a list of 3 values in signature order.",
      ),
    );
  });

  it('refuses a cell of the wrong type', () => {
    // When / Then
    expect(() => decodePositionalRows([[1, 'two', 'RL']], [area, rooms, zone], 'instances')).toThrow(
      'column \'rooms\' (long), row 0: text "two"; expected a whole number',
    );
  });
});

describe('decodeRowList', () => {
  it('reads an empty list as zero rows', () => {
    // When
    const batch = decodeRowList([], [area, rooms, zone], 'instances');

    // Then
    expect(batch).toEqual({ rows: 0, columns: [new Float64Array(0), new BigInt64Array(0), []] });
  });

  it('reads lists as positional rows and objects as records', () => {
    // When
    const positional = decodeRowList([[1, 'RL']], [area, zone], 'instances');
    const records = decodeRowList([{ zone: 'RL', area: 1 }], [area, zone], 'instances');

    // Then
    expect(positional).toEqual(records);
    expect(positional).toEqual({ rows: 1, columns: [Float64Array.of(1), ['RL']] });
  });

  it('refuses a list that mixes positional rows and records', () => {
    // When / Then
    expect(() => decodeRowList([[1, 'RL'], { area: 1, zone: 'RL' }], [area, zone], 'instances')).toThrow(
      RequestFormatError,
    );
  });
});

describe('parseTextCell', () => {
  it.each([...PANDAS_NA_VALUES])('reads the pandas NA marker %j as missing in every column type', (marker) => {
    // When / Then
    for (const input of [area, rooms, garage, zone]) expect(parseTextCell(input, marker)).toBeNull();
  });

  it('reads None as missing, as pandas.read_csv does', () => {
    // When / Then
    expect(parseTextCell(zone, 'None')).toBeNull();
    expect(parseTextCell(area, 'None')).toBeNull();
  });

  it.each([
    ['12', 12],
    [' 12.5 ', 12.5],
    ['-0.25', -0.25],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['-2.5E-2', -0.025],
    ['inf', Number.POSITIVE_INFINITY],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
    ['+INF', Number.POSITIVE_INFINITY],
  ])('parses %j as the number %d in a numeric column', (text, expected) => {
    // When / Then
    expect(parseTextCell(area, text)).toBe(expected);
    expect(parseTextCell(rooms, text)).toBe(expected);
  });

  it.each(['abc', '1,5', '0x10', '1e', '--1', 'infinite'])('keeps %j as text in a numeric column', (text) => {
    // When / Then
    expect(parseTextCell(floors, text)).toBe(text);
  });

  it('parses True and False in a boolean column, case-insensitively, and keeps anything else as text', () => {
    // When / Then
    expect(parseTextCell(garage, 'True')).toBe(true);
    expect(parseTextCell(garage, ' false ')).toBe(false);
    expect(parseTextCell(garage, 'TRUE')).toBe(true);
    expect(parseTextCell(garage, 'yes')).toBe('yes');
  });

  it('keeps text in a string column as it is, numbers included', () => {
    // When / Then
    expect(parseTextCell(zone, ' 12 ')).toBe(' 12 ');
    expect(parseTextCell(zone, 'RL')).toBe('RL');
  });
});
