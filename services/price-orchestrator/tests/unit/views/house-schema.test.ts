import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  EXAMPLE_HOUSE,
  fieldDescription,
  HOUSE_FIELDS,
  type House,
  type HouseFieldSpec,
  houseSchema,
  MODEL_COLUMNS,
  toModelRow,
} from '../../../src/views/house-fields.js';

const FIELDS: readonly HouseFieldSpec[] = HOUSE_FIELDS;

function issues(input: unknown): { path: PropertyKey[]; code: string }[] {
  const result = houseSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map(({ path, code }) => ({ path, code }));
}

function accepts(input: unknown): boolean {
  return houseSchema.safeParse(input).success;
}

describe('houseSchema: id', () => {
  it.each([
    ['a one-character string', 'a'],
    ['a 100-character string', 'x'.repeat(100)],
    ['a listing id', 'listing-42/b'],
    ['1', 1],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ])('accepts %s', (_label, id) => {
    expect(accepts({ id })).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a 101-character string', 'x'.repeat(101)],
    ['0', 0],
    ['a negative integer', -3],
    ['a fraction', 1.5],
    ['an unsafe integer', 2 ** 53],
    ['null', null],
    ['a boolean', true],
    ['an object', { value: 1 }],
  ])('refuses %s', (_label, id) => {
    expect(issues({ id }).map((issue) => issue.path)).toEqual([['id']]);
  });

  it('is required', () => {
    expect(issues({ grossLivingArea: 1500 })).toEqual([{ path: ['id'], code: 'invalid_union' }]);
  });
});

describe('houseSchema: fields', () => {
  it('accepts a house with nothing but its id: every field is optional', () => {
    expect(houseSchema.parse({ id: 'h1' })).toEqual({ id: 'h1' });
  });

  it('accepts null for every field', () => {
    const allNull = Object.fromEntries(FIELDS.map((field) => [field.name, null]));
    expect(houseSchema.parse({ id: 7, ...allNull })).toEqual({ id: 7, ...allNull });
  });

  it('accepts the full example house unchanged', () => {
    expect(houseSchema.parse(EXAMPLE_HOUSE)).toEqual(EXAMPLE_HOUSE);
  });

  it('refuses an unknown field, a model column name and a misspelt field', () => {
    expect(issues({ id: 1, pool: true })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
    expect(issues({ id: 1, Gr_Liv_Area: 1500 })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
    expect(issues({ id: 1, grossLivingarea: 1500 })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
  });

  it.each([
    ['grossLivingArea', 1, 20_000, 0, 20_001],
    ['lotArea', 1, 1_000_000, 0, 1_000_001],
    ['secondFloorArea', 0, 20_000, -1, 20_001],
    ['garageArea', 0, 5_000, -1, 5_001],
    ['bedrooms', 0, 20, -1, 21],
    ['totalRooms', 1, 30, 0, 31],
    ['yearBuilt', 1800, 2100, 1799, 2101],
    ['yearSold', 1800, 2100, 1799, 2101],
    ['monthSold', 1, 12, 0, 13],
    ['basementFinishType1Code', 0, 7, -1, 8],
    ['longitude', -93.8, -93.45, -93.81, -93.44],
    ['latitude', 41.9, 42.15, 41.89, 42.16],
  ])('%s takes %d to %d inclusive', (name, min, max, below, above) => {
    expect(accepts({ id: 1, [name]: min })).toBe(true);
    expect(accepts({ id: 1, [name]: max })).toBe(true);
    expect(issues({ id: 1, [name]: below })).toEqual([{ path: [name], code: 'too_small' }]);
    expect(issues({ id: 1, [name]: above })).toEqual([{ path: [name], code: 'too_big' }]);
  });

  it('takes whole numbers only in integer fields, fractions in coordinates', () => {
    expect(issues({ id: 1, bedrooms: 2.5 })).toEqual([{ path: ['bedrooms'], code: 'invalid_type' }]);
    expect(issues({ id: 1, grossLivingArea: 1500.25 })).toEqual([{ path: ['grossLivingArea'], code: 'invalid_type' }]);
    expect(accepts({ id: 1, grossLivingArea: 1500.0, longitude: -93.619754, latitude: 42.054035 })).toBe(true);
  });

  it('refuses numbers sent as text, infinities and text in number fields', () => {
    expect(issues({ id: 1, grossLivingArea: '1500' })).toEqual([{ path: ['grossLivingArea'], code: 'invalid_type' }]);
    expect(issues({ id: 1, lotArea: Number.POSITIVE_INFINITY }).map((issue) => issue.path)).toEqual([['lotArea']]);
    expect(issues({ id: 1, yearBuilt: Number.NaN }).map((issue) => issue.path)).toEqual([['yearBuilt']]);
  });

  it('takes the API levels of a category, not the model spellings, other case or other words', () => {
    expect(accepts({ id: 1, saleType: 'WD', neighborhood: 'North_Ames', exteriorCovering2: 'CemntBd' })).toBe(true);
    for (const [name, value] of [
      ['saleType', 'WD '],
      ['exteriorCovering2', 'CmentBd'],
      ['exteriorCovering1', 'Wd Sdng'],
      ['roofMaterial', 'Tar&Grv'],
      ['neighborhood', 'north_ames'],
      ['neighborhood', 'Downtown'],
      ['centralAir', true],
      ['centralAir', 1],
    ] as const) {
      expect(issues({ id: 1, [name]: value }), `${name}: ${JSON.stringify(value)}`).toEqual([
        { path: [name], code: 'invalid_value' },
      ]);
    }
  });

  it('reports every bad field of a house at once', () => {
    const paths = issues({ id: 1, bedrooms: -1, saleType: 'Gift', monthSold: 13 }).map((issue) => issue.path);
    expect(paths).toEqual([['bedrooms'], ['monthSold'], ['saleType']]);
  });

  it('describes every field with its description and its unit and bounds or its levels', () => {
    for (const field of FIELDS) {
      const description = houseSchema.shape[field.name as keyof typeof houseSchema.shape].description;
      expect(description, field.name).toBe(fieldDescription(field));
      expect(description, field.name).toContain(field.description);
    }
    expect(houseSchema.shape.grossLivingArea.description).toMatch(/Unit: square feet\. Integer from 1 to 20000\.$/);
    expect(houseSchema.shape.saleType.description).toMatch(/One of: WD, CWD, VWD, New, .*, Oth\.$/);
    expect(houseSchema.shape.id.description).toContain('1–100 characters or a positive integer');
  });

  it('publishes bounds and levels in its JSON Schema, with no additional properties', () => {
    const schema = z.toJSONSchema(houseSchema) as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { anyOf: Record<string, unknown>[] }>;
    };
    expect(schema.required).toEqual(['id']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.yearBuilt?.anyOf).toEqual([
      { type: 'integer', minimum: 1800, maximum: 2100 },
      { type: 'null' },
    ]);
    expect(schema.properties.centralAir?.anyOf).toEqual([{ type: 'string', enum: ['Y', 'N'] }, { type: 'null' }]);
  });

  it('types a parsed house from the schema: literal levels, numbers, null or absent', () => {
    expectTypeOf<House['centralAir']>().toEqualTypeOf<'Y' | 'N' | null | undefined>();
    expectTypeOf<House['grossLivingArea']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<House['id']>().toEqualTypeOf<string | number>();
  });
});

describe('toModelRow', () => {
  it('gives every model column in signature order, null for every absent field', () => {
    const row = toModelRow({ id: 'empty' } as House);
    expect(Object.keys(row)).toEqual(MODEL_COLUMNS);
    expect(Object.values(row).every((value) => value === null)).toBe(true);
  });

  it('renames fields to model columns, keeps numbers, maps null to null and leaves the id out', () => {
    const row = toModelRow(houseSchema.parse({ id: 3, grossLivingArea: 1710, yearBuilt: 2003, fireplaces: null }));
    expect(row.Gr_Liv_Area).toBe(1710);
    expect(row.Year_Built).toBe(2003);
    expect(row.Fireplaces).toBeNull();
    expect(row.Lot_Area).toBeNull();
    expect(row).not.toHaveProperty('id');
    expect(row).not.toHaveProperty('grossLivingArea');
  });

  it('maps the API levels that are spelled differently in the data, and passes the others through', () => {
    const row = toModelRow(
      houseSchema.parse({
        id: 'levels',
        saleType: 'WD',
        roofMaterial: 'TarGrv',
        exteriorCovering1: 'WdSdng',
        exteriorCovering2: 'CemntBd',
        neighborhood: 'College_Creek',
        masonryVeneerType: 'None',
      }),
    );
    expect(row).toMatchObject({
      Sale_Type: 'WD ',
      Roof_Matl: 'Tar&Grv',
      Exterior_1st: 'Wd Sdng',
      Exterior_2nd: 'CmentBd',
      Neighborhood: 'College_Creek',
      Mas_Vnr_Type: 'None',
    });
    expect(toModelRow({ exteriorCovering1: 'CemntBd', exteriorCovering2: 'BrkComm' })).toMatchObject({
      Exterior_1st: 'CemntBd',
      Exterior_2nd: 'Brk Cmn',
    });
  });

  it('accepts the loose field record of the service DTO, ignoring keys that are not house fields', () => {
    const features: Readonly<Record<string, number | string | null | undefined>> = {
      bedrooms: 3,
      kitchens: undefined,
      constructor: 5,
      toString: 'x',
    };
    const row = toModelRow(features);
    expect(row.Bedroom_AbvGr).toBe(3);
    expect(row.Kitchen_AbvGr).toBeNull();
    expect(Object.keys(row)).toEqual(MODEL_COLUMNS);
  });

  it('reads no inherited property as a value', () => {
    const row = toModelRow(Object.create({ bedrooms: 9 }) as House);
    expect(row.Bedroom_AbvGr).toBeNull();
  });
});
