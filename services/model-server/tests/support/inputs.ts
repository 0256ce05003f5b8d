import type { ColumnElementType } from '../../src/dto/batch.js';
import type { ModelInput } from '../../src/dto/model.js';

/** A model input of `[N]` values (or `shape`), required unless said otherwise. */
export function column(
  name: string,
  columnType: ModelInput['columnType'],
  element: ColumnElementType,
  required = true,
  shape: ModelInput['shape'] = [-1],
): ModelInput {
  return { name, columnType, element, shape, required };
}

/** A model with one column of each kind a request can hold: a double, a long fed as int64 `[N, 1]`, and text. */
export const AREA_ROOMS_ZONE: ModelInput[] = [
  column('area', 'double', 'float64'),
  column('rooms', 'long', 'int64', true, [-1, 1]),
  column('zone', 'string', 'string'),
];
