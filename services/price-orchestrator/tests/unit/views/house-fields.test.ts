import { type Dataset, DEFAULT_DATA_PATH, loadDataset, splitTrainValidation } from '@mlms/housing-price-model';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_HOUSE,
  HOUSE_FIELDS,
  type HouseFieldSpec,
  houseSchema,
  MODEL_COLUMNS,
  MOST_IMPORTANT_FIELDS,
  toModelRow,
} from '../../../src/views/house-fields.js';

/** The table checked against the data the model is trained on (ml/housing-price-model/data/ames.csv). */

const FIELDS: readonly HouseFieldSpec[] = HOUSE_FIELDS;
const CATEGORIES = FIELDS.filter((field) => field.kind === 'category');
const NUMBERS = FIELDS.filter((field) => field.kind === 'number');

let dataset: Dataset;
let inputColumns: string[];

beforeAll(async () => {
  dataset = await loadDataset(DEFAULT_DATA_PATH);
  inputColumns = dataset.columns.map((column) => column.name).filter((name) => name !== dataset.target);
});

function modelLevel(field: Extract<HouseFieldSpec, { kind: 'category' }>, level: string): string {
  return field.modelLevels?.[level] ?? level;
}

/** A data row as an API house: the inverse of the level mapping, every field filled. */
function toApiHouse(row: Dataset['rows'][number], id: number): Record<string, unknown> {
  const house: Record<string, unknown> = { id };
  for (const field of FIELDS) {
    const value = row[field.column];
    if (field.kind === 'category') {
      house[field.name] = field.levels.find((level) => modelLevel(field, level) === value);
    } else {
      house[field.name] = value;
    }
  }
  return house;
}

describe('house field table', () => {
  it('declares every model input column exactly once, in CSV order', () => {
    expect(inputColumns).toHaveLength(73);
    expect(FIELDS.map((field) => field.column)).toEqual(inputColumns);
    expect(MODEL_COLUMNS).toEqual(inputColumns);
  });

  it('declares text columns as categories and numeric columns as numbers, integers where the data is', () => {
    for (const field of FIELDS) {
      const type = dataset.columns.find((column) => column.name === field.column)?.type;
      if (field.kind === 'category') expect(type, field.column).toBe('string');
      else expect(type, field.column).toBe(field.integer ? 'long' : 'double');
    }
  });

  it('has unique camelCase API names, none of them id', () => {
    const names = FIELDS.map((field) => field.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$/);
    expect(names).not.toContain('id');
  });

  it('describes every field in one sentence-like line', () => {
    for (const field of FIELDS) {
      expect(field.description, field.name).toMatch(/^[A-Z].*\.$/);
      expect(field.description, field.name).not.toContain('\n');
    }
  });

  it('maps the API levels of each category one to one onto exactly the data set levels', () => {
    for (const field of CATEGORIES) {
      const dataLevels = new Set(dataset.rows.map((row) => row[field.column] as string));
      const mapped = field.levels.map((level) => modelLevel(field, level));
      expect(new Set(field.levels).size, field.name).toBe(field.levels.length);
      expect(new Set(mapped).size, field.name).toBe(mapped.length);
      expect(new Set(mapped), field.name).toEqual(dataLevels);
    }
  });

  it('maps only levels it declares, and only where the spelling differs', () => {
    for (const field of CATEGORIES) {
      for (const [api, model] of Object.entries(field.modelLevels ?? {})) {
        expect(field.levels, field.name).toContain(api);
        expect(model, field.name).not.toBe(api);
      }
    }
  });

  it('offers clean API levels: letters and digits, words joined by single underscores', () => {
    for (const field of CATEGORIES) {
      for (const level of field.levels) expect(level, field.name).toMatch(/^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/);
    }
  });

  it('bounds hold every value of the data, and integer fields hold integers', () => {
    for (const field of NUMBERS) {
      expect(field.min, field.name).toBeLessThan(field.max);
      const values = dataset.rows.map((row) => row[field.column]);
      const outside = values.filter(
        (value) => typeof value !== 'number' || value < field.min || value > field.max || Number.isNaN(value),
      );
      expect(outside, `${field.name} outside ${field.min}..${field.max}`).toEqual([]);
      if (field.integer)
        expect(
          values.filter((value) => !Number.isInteger(value)),
          field.name,
        ).toEqual([]);
    }
  });

  it('keeps bounds sane: nothing negative but coordinates, years 1800–2100, months 1–12', () => {
    for (const field of NUMBERS) {
      if (field.unit === 'decimal degrees') continue;
      expect(field.min, field.name).toBeGreaterThanOrEqual(0);
      if (field.unit === 'year') expect([field.min, field.max], field.name).toEqual([1800, 2100]);
      if (field.unit === 'month') expect([field.min, field.max], field.name).toEqual([1, 12]);
    }
    const longitude = NUMBERS.find((field) => field.column === 'Longitude');
    const latitude = NUMBERS.find((field) => field.column === 'Latitude');
    // Ames, Iowa lies near 93.6° W, 42.0° N.
    expect(longitude?.min).toBeGreaterThan(-94);
    expect(longitude?.max).toBeLessThan(-93.4);
    expect(latitude?.min).toBeGreaterThan(41.8);
    expect(latitude?.max).toBeLessThan(42.2);
  });

  it('accepts every data row through the API schema, and translates it back to the same model row', () => {
    dataset.rows.forEach((row, index) => {
      const parsed = houseSchema.safeParse(toApiHouse(row, index + 1));
      expect(parsed.error, `data row ${index}`).toBeUndefined();
      const { [dataset.target]: _price, ...inputs } = row;
      if (parsed.success) expect(toModelRow(parsed.data)).toEqual(inputs);
    });
  });
});

describe('MOST_IMPORTANT_FIELDS', () => {
  it('names about eight distinct fields of the table', () => {
    const names = new Set(FIELDS.map((field) => field.name));
    expect(MOST_IMPORTANT_FIELDS.length).toBeGreaterThanOrEqual(5);
    expect(MOST_IMPORTANT_FIELDS.length).toBeLessThanOrEqual(10);
    expect(new Set(MOST_IMPORTANT_FIELDS).size).toBe(MOST_IMPORTANT_FIELDS.length);
    for (const name of MOST_IMPORTANT_FIELDS) expect(names.has(name), name).toBe(true);
  });
});

describe('EXAMPLE_HOUSE', () => {
  it('is a valid house with every field filled', () => {
    expect(houseSchema.parse(EXAMPLE_HOUSE)).toEqual(EXAMPLE_HOUSE);
    expect(Object.keys(EXAMPLE_HOUSE)).toEqual(['id', ...FIELDS.map((field) => field.name)]);
  });

  it('is the first data row, a validation row, in API fields', () => {
    const { validation } = splitTrainValidation(dataset.rows);
    const { [dataset.target]: price, ...inputs } = validation[0] ?? {};
    expect(toModelRow(EXAMPLE_HOUSE)).toEqual(inputs);
    expect(price).toBe(215_000);
  });
});
