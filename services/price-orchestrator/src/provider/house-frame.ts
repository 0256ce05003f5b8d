import type { HouseFeatures } from '../dto/pricing.js';
import { MODEL_COLUMNS, toModelValues } from '../views/house-fields.js';
import type { ModelFrame } from './mlflow-model-provider.js';

/**
 * The model's frame for some houses: the API's field names and levels translated to the model's columns and
 * levels (declared once, in `views/house-fields.ts`), one row per house, every model column present.
 */
export function toModelFrame(houses: readonly HouseFeatures[]): ModelFrame {
  return {
    columns: MODEL_COLUMNS,
    rows: houses.map((house) => toModelValues(house.features)),
  };
}
