import { describe, expect, it } from 'vitest';
import { toModelFrame } from '../../../src/provider/house-frame.js';
import { EXAMPLE_HOUSE, HOUSE_FIELDS, MODEL_COLUMNS } from '../../../src/views/house-fields.js';

/** The value a frame row holds for a model column. */
function cell(row: readonly unknown[] | undefined, column: string): unknown {
  return row?.[MODEL_COLUMNS.indexOf(column as (typeof MODEL_COLUMNS)[number])];
}

describe('toModelFrame', () => {
  it('lists every model column once, in model order', () => {
    // When
    const frame = toModelFrame([{ id: 1, features: {} }]);

    // Then
    expect(frame.columns).toEqual(HOUSE_FIELDS.map((field) => field.column));
    expect(frame.columns).toHaveLength(73);
    expect(frame.rows[0]).toHaveLength(73);
  });

  it('makes one row per house, in house order', () => {
    // When
    const frame = toModelFrame([
      { id: 'a', features: { grossLivingArea: 1000 } },
      { id: 'b', features: { grossLivingArea: 2000 } },
      { id: 'c', features: { grossLivingArea: 3000 } },
    ]);

    // Then
    expect(frame.rows.map((row) => cell(row, 'Gr_Liv_Area'))).toEqual([1000, 2000, 3000]);
  });

  it('puts each value under its model column', () => {
    // When
    const frame = toModelFrame([
      { id: 1, features: { grossLivingArea: 1656, yearBuilt: 1960, neighborhood: 'North_Ames', latitude: 42.05 } },
    ]);

    // Then
    const [row] = frame.rows;
    expect(cell(row, 'Gr_Liv_Area')).toBe(1656);
    expect(cell(row, 'Year_Built')).toBe(1960);
    expect(cell(row, 'Neighborhood')).toBe('North_Ames');
    expect(cell(row, 'Latitude')).toBe(42.05);
  });

  it('sends null for absent and null fields, so the model imputes them', () => {
    // When
    const frame = toModelFrame([{ id: 1, features: { grossLivingArea: 1500, yearBuilt: null, lotArea: undefined } }]);

    // Then
    const [row] = frame.rows;
    expect(cell(row, 'Year_Built')).toBeNull();
    expect(cell(row, 'Lot_Area')).toBeNull();
    expect(row?.filter((value) => value !== null)).toEqual([1500]);
  });

  it('sends an all-null row for a house with nothing but its id', () => {
    // When
    const frame = toModelFrame([{ id: 'bare', features: {} }]);

    // Then
    expect(frame.rows[0]?.every((value) => value === null)).toBe(true);
  });

  it.each([
    ['saleType', 'WD', 'Sale_Type', 'WD '],
    ['saleType', 'New', 'Sale_Type', 'New'],
    ['roofMaterial', 'TarGrv', 'Roof_Matl', 'Tar&Grv'],
    ['exteriorCovering2', 'BrkComm', 'Exterior_2nd', 'Brk Cmn'],
  ])('maps the API level %s=%s to the model level of %s', (name, level, column, modelLevel) => {
    // When
    const frame = toModelFrame([{ id: 1, features: { [name]: level } }]);

    // Then
    expect(cell(frame.rows[0], column)).toBe(modelLevel);
  });

  it("maps every level spelled differently for the model to the model's spelling", () => {
    let mapped = 0;
    for (const field of HOUSE_FIELDS) {
      if (field.kind !== 'category' || !('modelLevels' in field)) continue;
      for (const [apiLevel, modelLevel] of Object.entries(field.modelLevels)) {
        // When
        const frame = toModelFrame([{ id: 1, features: { [field.name]: apiLevel } }]);

        // Then
        expect(cell(frame.rows[0], field.column), `${field.name}=${apiLevel}`).toBe(modelLevel);
        mapped++;
      }
    }
    expect(mapped).toBe(7);
  });

  it('leaves the id and any key that is not a house field out of the row', () => {
    // When
    const frame = toModelFrame([{ id: 99, features: { id: 99, notAField: 5, grossLivingArea: 1200 } }]);

    // Then
    expect(frame.rows[0]?.filter((value) => value !== null)).toEqual([1200]);
  });

  it('translates the complete example house without a null', () => {
    // Given
    const { id, ...features } = EXAMPLE_HOUSE;

    // When
    const frame = toModelFrame([{ id, features }]);

    // Then
    expect(frame.rows[0]?.includes(null)).toBe(false);
    expect(cell(frame.rows[0], 'Sale_Type')).toBe('WD ');
    expect(cell(frame.rows[0], 'Lot_Area')).toBe(31770);
  });

  it('makes an empty frame with every column for no houses', () => {
    // When
    const frame = toModelFrame([]);

    // Then
    expect(frame).toEqual({ columns: MODEL_COLUMNS, rows: [] });
  });
});
