import type { Counter } from 'prom-client';
import type { BatchPricePrediction, HouseFeatures, PricePrediction } from '../dto/pricing.js';
import { toModelFrame } from '../provider/house-frame.js';
import type { MlflowModelProvider } from '../provider/mlflow-model-provider.js';

export interface PricingServiceOptions {
  /** The version the model server reported at start-up. */
  modelVersion: () => string | undefined;
  predictions: Counter<'model_version'>;
}

/** Predicts house prices: one model call per request, single or batch, predictions joined back to the callers' ids. */
export class PricingService {
  constructor(
    private readonly model: MlflowModelProvider,
    private readonly options: PricingServiceOptions,
  ) {}

  /** The predicted sale price of one house. */
  async predictPrice(house: HouseFeatures): Promise<PricePrediction> {
    const { modelVersion, predictions } = await this.predictPrices([house]);
    return {
      id: house.id,
      predictedPrice: (predictions[0] as { predictedPrice: number }).predictedPrice,
      modelVersion,
    };
  }

  /** The predicted sale prices of several houses, in request order, from one model call. */
  async predictPrices(houses: readonly HouseFeatures[]): Promise<BatchPricePrediction> {
    const prices = await this.model.predict(toModelFrame(houses));
    const modelVersion = this.options.modelVersion() ?? 'unknown';
    this.options.predictions.inc({ model_version: modelVersion }, houses.length);
    return {
      modelVersion,
      predictions: houses.map((house, index) => ({
        id: house.id,
        predictedPrice: roundToCents(prices[index] as number),
      })),
    };
  }
}

/** Prices in dollars and cents: the model's float32 output has no meaningful digits beyond. */
function roundToCents(value: number): number {
  return Math.round(value * 100) / 100;
}
