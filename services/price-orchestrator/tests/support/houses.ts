import type { RawRow } from '@mlms/housing-price-model';
import { HOUSE_FIELDS, type HouseFieldSpec } from '../../src/views/house-fields.js';

/** A dataset row as an API house: model columns and levels turned into API field names and levels. */
export function houseFromRow(id: string | number, row: RawRow): Record<string, unknown> {
  const house: Record<string, unknown> = { id };
  for (const field of HOUSE_FIELDS as readonly HouseFieldSpec[]) {
    const value = row[field.column] ?? null;
    if (field.kind === 'category' && typeof value === 'string') {
      const apiLevel = Object.entries(field.modelLevels ?? {}).find(([, modelLevel]) => modelLevel === value)?.[0];
      house[field.name] = apiLevel ?? value;
    } else {
      house[field.name] = value;
    }
  }
  return house;
}
