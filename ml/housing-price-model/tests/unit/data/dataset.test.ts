import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, loadDataset, parseDataset, splitTrainValidation } from '../../../src/data/dataset.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'hpm-dataset-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function csvFile(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

describe('loadDataset', () => {
  it('types columns as long, double or string and reads missing cells (NA, NaN, nan, empty) as null, not None', async () => {
    // Given
    const path = await csvFile(
      'typed.csv',
      [
        '"Zone","Area","Lat","Note","Sale_Price"',
        '"RL",100,42.5,"a",1000',
        '"RM",,42.25,NA,2000',
        '"RL",80,NaN,"",1500',
        '"None",90,nan,nan,1700',
      ].join('\r\n'),
    );

    // When
    const dataset = await loadDataset(path);

    // Then
    expect(dataset.target).toBe('Sale_Price');
    expect(dataset.path).toBe(path);
    expect(dataset.columns).toEqual([
      { name: 'Zone', type: 'string' },
      { name: 'Area', type: 'long' },
      { name: 'Lat', type: 'double' },
      { name: 'Note', type: 'string' },
      { name: 'Sale_Price', type: 'long' },
    ]);
    expect(dataset.rows).toEqual([
      { Zone: 'RL', Area: 100, Lat: 42.5, Note: 'a', Sale_Price: 1000 },
      { Zone: 'RM', Area: null, Lat: 42.25, Note: null, Sale_Price: 2000 },
      { Zone: 'RL', Area: 80, Lat: null, Note: null, Sale_Price: 1500 },
      { Zone: 'None', Area: 90, Lat: null, Note: null, Sale_Price: 1700 },
    ]);
  });

  it('uses the target named in the options', async () => {
    // Given
    const path = await csvFile('target.csv', 'x,price\n1,10\n2,20\n');

    // When
    const dataset = await loadDataset(path, { target: 'price' });

    // Then
    expect(dataset.target).toBe('price');
    expect(dataset.rows).toHaveLength(2);
  });

  it('types a column whose filled cells are all missing as double', async () => {
    // Given
    const path = await csvFile('empty-column.csv', 'Blank,Sale_Price\n,1\nNA,2\n');

    // When
    const dataset = await loadDataset(path);

    // Then
    expect(dataset.columns[0]).toEqual({ name: 'Blank', type: 'double' });
    expect(dataset.rows.map((row) => row.Blank)).toEqual([null, null]);
  });

  it('types a column as text when fewer than 90 % of its filled cells are numbers', async () => {
    // Given: 8 of 10 cells numeric
    const cells = ['1', '2', '3', '4', '5', '6', '7', '8', 'x', 'y'];
    const path = await csvFile(
      'mostly-numbers.csv',
      `Code,Sale_Price\n${cells.map((cell) => `${cell},1`).join('\n')}\n`,
    );

    // When
    const dataset = await loadDataset(path);

    // Then
    expect(dataset.columns[0]).toEqual({ name: 'Code', type: 'string' });
    expect(dataset.rows[0]?.Code).toBe('1');
  });

  it('fails with a clear message when the file does not exist', async () => {
    // Given
    const path = join(directory, 'nope.csv');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(new DatasetError(`data file ${path} does not exist`));
  });

  it('fails when the path is a directory', async () => {
    // Given
    const path = join(directory, 'a-directory');
    await mkdir(path, { recursive: true });

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(`data path ${path} is a directory, expected a CSV file`);
  });

  it('fails when the file is empty', async () => {
    // Given
    const path = await csvFile('empty.csv', '');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(
      new DatasetError(`data file ${path} is empty (expected a header line and data rows)`),
    );
  });

  it('fails when the file has a header but no rows', async () => {
    // Given
    const path = await csvFile('header-only.csv', 'a,Sale_Price\n');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(`data file ${path} has a header but no data rows`);
  });

  it('fails when the target column is missing, listing the columns it found', async () => {
    // Given
    const path = await csvFile('no-target.csv', 'a,b\n1,2\n');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(
      `${path}: target column 'Sale_Price' not found; the header has 2 columns: a, b`,
    );
  });

  it('fails on a stray text value in a numeric column, naming line, row, column and value', async () => {
    // Given: 10 numeric cells and one text cell on file line 8 (data row 7)
    const values = ['1', '2', '3', '4', '5', '6', 'abc', '8', '9', '10', '11'];
    const path = await csvFile('stray.csv', `Lot_Area,Sale_Price\n${values.map((value) => `${value},5`).join('\n')}\n`);

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(
      new DatasetError(
        `${path} line 8 (data row 7), column 'Lot_Area': 'abc' is not a number; the column is numeric ` +
          '(10 of its 11 filled cells are numbers), so each cell must be a number, empty or NA',
      ),
    );
  });

  it('counts lines inside quoted line breaks when naming the line of a bad value', async () => {
    // Given: the first record spans lines 2-3 and ten one-line records follow, so the bad value sits on line 14
    const rows = ['"multi\nline",1,5', ...Array.from({ length: 10 }, (_, index) => `"x",${index + 2},5`), '"y",oops,5'];
    const path = await csvFile('multiline.csv', `Note,Area,Sale_Price\n${rows.join('\n')}\n`);

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(
      `${path} line 14 (data row 12), column 'Area': 'oops' is not a number`,
    );
  });

  it('fails when a row has a different number of fields than the header', async () => {
    // Given
    const path = await csvFile('ragged.csv', 'a,Sale_Price\n1,2\n3\n');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(`${path} line 3: 1 fields, but the header has 2 columns`);
  });

  it('fails on malformed CSV with the line of the problem', async () => {
    // Given
    const path = await csvFile('malformed.csv', 'a,Sale_Price\n"open,1\n');

    // When / Then
    await expect(loadDataset(path)).rejects.toThrow(`${path}: malformed CSV at line 2: quoted field is never closed`);
  });

  it('fails when the target is text or empty', async () => {
    // Given
    const textTarget = await csvFile('text-target.csv', 'a,Sale_Price\n1,cheap\n2,dear\n');
    const emptyTarget = await csvFile('empty-target.csv', 'a,Sale_Price\n1,10\n2,\n');

    // When / Then
    await expect(loadDataset(textTarget)).rejects.toThrow(
      `${textTarget}: target column 'Sale_Price' must be numeric, but it is mostly text (line 2 holds 'cheap')`,
    );
    await expect(loadDataset(emptyTarget)).rejects.toThrow(
      `${emptyTarget} line 3 (data row 2): target 'Sale_Price' is empty; every row needs a price`,
    );
  });

  it('fails on a duplicate or empty column name', () => {
    // Given / When / Then
    expect(() => parseDataset('a,a,Sale_Price\n1,2,3\n', { path: 'dup.csv', target: 'Sale_Price' })).toThrow(
      "dup.csv line 1: column name 'a' appears twice",
    );
    expect(() => parseDataset('a,,Sale_Price\n1,2,3\n', { path: 'blank.csv', target: 'Sale_Price' })).toThrow(
      'blank.csv line 1: column 2 of the header has no name',
    );
  });
});

describe('splitTrainValidation', () => {
  it('puts every fifth row, starting with row 0, into validation', () => {
    // Given
    const rows = Array.from({ length: 12 }, (_, index) => ({ index }));

    // When
    const split = splitTrainValidation(rows);

    // Then
    expect(split.validationIndices).toEqual([0, 5, 10]);
    expect(split.trainIndices).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 11]);
    expect(split.validation.map((row) => row.index)).toEqual([0, 5, 10]);
    expect(split.train).toHaveLength(9);
  });
});
