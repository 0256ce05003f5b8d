/** A client-chosen house id: echoed back so predictions join to the caller's records. */
export type HouseId = string | number;

/**
 * A house as the service sees it: its id and its values by API field name (absent or null: the model imputes; a key
 * that is not a house field, such as `id`, is ignored).
 */
export interface HouseFeatures {
  id: HouseId;
  features: Readonly<Record<string, number | string | null | undefined>>;
}

export interface PricePrediction {
  id: HouseId;
  predictedPrice: number;
  modelVersion: string;
}

export interface BatchPricePrediction {
  modelVersion: string;
  predictions: { id: HouseId; predictedPrice: number }[];
}
