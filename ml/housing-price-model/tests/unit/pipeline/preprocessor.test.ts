import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/data/dataset.js';
import type { RawColumn, RawRow } from '../../../src/model.js';
import {
  fitPreprocessor,
  InputRowError,
  isMissingLevel,
  isMissingValue,
  median,
  transformRows,
} from '../../../src/pipeline/preprocessor.js';

function dataset(columns: RawColumn[], rows: RawRow[]): Dataset {
  return { path: 'memory.csv', target: 'price', columns: [...columns, { name: 'price', type: 'long' }], rows };
}

const COLUMNS: RawColumn[] = [
  { name: 'area', type: 'long' },
  { name: 'zone', type: 'string' },
  { name: 'lat', type: 'double' },
];

const ROWS: RawRow[] = [
  { area: 100, zone: 'RL', lat: 1.5, price: 10 },
  { area: 300, zone: 'RM', lat: null, price: 20 },
  { area: null, zone: 'RL', lat: 2.5, price: 30 },
  { area: 200, zone: null, lat: 3.5, price: 40 },
  { area: 50, zone: 'FV', lat: 0.5, price: 50 },
];

describe('fitPreprocessor', () => {
  it('learns medians of numeric columns and sorted levels and the mode of text columns', () => {
    // Given
    const data = dataset(COLUMNS, ROWS);

    // When
    const pre = fitPreprocessor(data, ROWS);

    // Then
    expect(pre.target).toBe('price');
    expect(pre.inputColumns).toEqual(COLUMNS);
    expect(pre.droppedColumns).toEqual([]);
    expect(pre.numeric).toEqual([
      { name: 'area', median: 150 },
      { name: 'lat', median: 2 },
    ]);
    expect(pre.categorical).toEqual([{ name: 'zone', mostFrequent: 'RL', levels: ['FV', 'RL', 'RM'] }]);
    expect(pre.featureNames).toEqual(['area', 'lat', 'zone_FV', 'zone_RL', 'zone_RM']);
  });

  it('settles a tie for most frequent level on the first level in sorted order', () => {
    // Given
    const rows: RawRow[] = ['b', 'a', 'b', 'a', 'c'].map((zone) => ({ zone, price: 1 }));

    // When
    const pre = fitPreprocessor(dataset([{ name: 'zone', type: 'string' }], rows), rows);

    // Then
    expect(pre.categorical[0]?.mostFrequent).toBe('a');
  });

  it('drops columns more than 30 % empty on the training rows and keeps one exactly 30 % empty', () => {
    // Given: 10 rows; sparse is 40 % empty, edge 30 % empty, blank 100 % empty
    const rows: RawRow[] = Array.from({ length: 10 }, (_, index) => ({
      sparse: index < 4 ? null : index,
      edge: index < 3 ? null : 'x',
      blank: null,
      price: index,
    }));
    const columns: RawColumn[] = [
      { name: 'sparse', type: 'long' },
      { name: 'edge', type: 'string' },
      { name: 'blank', type: 'double' },
    ];

    // When
    const pre = fitPreprocessor(dataset(columns, rows), rows);

    // Then
    expect(pre.droppedColumns).toEqual(['sparse', 'blank']);
    expect(pre.inputColumns.map((column) => column.name)).toEqual(['sparse', 'edge', 'blank']);
    expect(pre.featureNames).toEqual(['edge_x']);
  });

  it('fits on the training rows only', () => {
    // Given
    const data = dataset(COLUMNS, ROWS);

    // When
    const pre = fitPreprocessor(data, ROWS.slice(0, 2));

    // Then
    expect(pre.numeric[0]).toEqual({ name: 'area', median: 200 });
    expect(pre.categorical[0]?.levels).toEqual(['RL', 'RM']);
  });

  it('rejects an empty training set', () => {
    // Given / When / Then
    expect(() => fitPreprocessor(dataset(COLUMNS, ROWS), [])).toThrow(
      'fitPreprocessor: trainRows is empty; at least one row is needed',
    );
  });
});

describe('transformRows', () => {
  const pre = fitPreprocessor(dataset(COLUMNS, ROWS), ROWS);

  it('writes numeric values then one-hot levels, row-major float32', () => {
    // Given
    const rows: RawRow[] = [
      { area: 120, zone: 'RM', lat: 0.1 },
      { area: 7, zone: 'FV', lat: -2 },
    ];

    // When
    const features = transformRows(pre, rows);

    // Then
    expect(features).toBeInstanceOf(Float32Array);
    expect(Array.from(features)).toEqual([120, Math.fround(0.1), 0, 0, 1, 7, -2, 1, 0, 0]);
  });

  it('imputes missing values with the training median and most frequent level', () => {
    // Given
    const rows: RawRow[] = [{ area: null, zone: undefined, lat: Number.NaN }, { zone: '' }];

    // When
    const features = transformRows(pre, rows);

    // Then
    expect(Array.from(features)).toEqual([150, 2, 0, 1, 0, 150, 2, 0, 1, 0]);
  });

  it('imputes "nan" (a pandas NaN through ONNX Runtime) in a text column but keeps "None" as a level', () => {
    // Given: "None" is a real level (as in Ames' Mas_Vnr_Type); RL is the most frequent level
    const rows: RawRow[] = [...ROWS, { area: 10, zone: 'None', lat: 1, price: 60 }];
    const withNone = fitPreprocessor(dataset(COLUMNS, rows), rows);

    // When
    const features = transformRows(withNone, [
      { area: 1, zone: 'nan', lat: 1 },
      { area: 1, zone: 'None', lat: 1 },
    ]);

    // Then: levels FV, None, RL, RM
    expect(withNone.categorical[0]).toEqual({ name: 'zone', mostFrequent: 'RL', levels: ['FV', 'None', 'RL', 'RM'] });
    expect(Array.from(features)).toEqual([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0]);
  });

  it('matches text missing markers exactly, as the ONNX graph does: " NA" is an unknown level', () => {
    // Given
    const rows: RawRow[] = [{ area: 1, zone: ' NA', lat: ' NA ' }];

    // When
    const features = transformRows(pre, rows);

    // Then: the numeric column still trims (its markers never reach the graph as text)
    expect(Array.from(features)).toEqual([1, 2, 0, 0, 0]);
  });

  it('encodes a level unseen in training as all zeros instead of failing', () => {
    // Given
    const rows: RawRow[] = [{ area: 1, zone: 'Brand_New_Zone', lat: 1 }];

    // When
    const features = transformRows(pre, rows);

    // Then
    expect(Array.from(features)).toEqual([1, 1, 0, 0, 0]);
  });

  it('accepts numeric text in numeric columns and numbers in text columns, and ignores unknown columns', () => {
    // Given
    const numericPre = fitPreprocessor(dataset([{ name: 'code', type: 'string' }], [{ code: '20', price: 1 }]), [
      { code: '20', price: 1 },
    ]);

    // When
    const numbers = transformRows(pre, [{ area: ' 42 ', zone: 'RL', lat: '1e1', extra: 'ignored' }]);
    const codes = transformRows(numericPre, [{ code: 20 }]);

    // Then
    expect(Array.from(numbers)).toEqual([42, 10, 0, 1, 0]);
    expect(Array.from(codes)).toEqual([1]);
  });

  it('rejects text that is not a number in a numeric column, naming row, column and value', () => {
    // Given
    const rows: RawRow[] = [{ area: 1 }, { area: 'big' }];

    // When / Then
    expect(() => transformRows(pre, rows)).toThrow(InputRowError);
    expect(() => transformRows(pre, rows)).toThrow(
      `row 1, column 'area': "big" is not a number; the column is numeric, so send a number, numeric text, or null for missing`,
    );
  });

  it('returns an empty matrix for no rows', () => {
    // Given / When / Then
    expect(transformRows(pre, []).length).toBe(0);
  });
});

describe('isMissingValue', () => {
  it('treats null, undefined, NaN, empty text and NA markers (trimmed) as missing, and 0 and "None" as values', () => {
    // Given / When / Then
    const missing = [null, undefined, Number.NaN, '', '  ', 'NA', 'NaN', 'nan', ' nan '];
    expect(missing.map(isMissingValue)).toEqual(Array(missing.length).fill(true));
    expect([0, 'x', 'na', 'None', 'null'].map(isMissingValue)).toEqual(Array(5).fill(false));
  });
});

describe('isMissingLevel', () => {
  it('treats null, undefined, NaN and exactly "", "NA", "NaN", "nan" as missing, and nothing else', () => {
    // Given / When / Then
    expect([null, undefined, Number.NaN, '', 'NA', 'NaN', 'nan'].map(isMissingLevel)).toEqual(Array(7).fill(true));
    expect([0, 'None', ' ', ' NA', 'nan ', 'na'].map(isMissingLevel)).toEqual(Array(6).fill(false));
  });
});

describe('median', () => {
  it('averages the two middle values for an even count and rejects an empty list', () => {
    // Given / When / Then
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of an empty list is undefined');
  });
});
