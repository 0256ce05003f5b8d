import { MicroBatcher, UpstreamError } from '@mlms/service-kit';
import type { Counter } from 'prom-client';
import type { BatchPricePrediction, HouseFeatures, PricePrediction } from '../dto/pricing.js';
import { toModelFrame } from '../provider/house-frame.js';
import type { MlflowModelProvider } from '../provider/mlflow-model-provider.js';

export interface PricingServiceOptions {
  /** The version the model server reported at start-up. */
  modelVersion: () => string | undefined;
  predictions: Counter<'model_version'>;
  /**
   * Single-house requests that arrive while a model call is in flight share the next call, one call at a time
   * (default false: one call per request). A lone request is sent at once either way.
   */
  coalesceSingleRequests?: boolean;
  /** Most houses in one shared call (default 1000). */
  maxHousesPerCall?: number;
  /** Observes the number of houses of every model call. */
  housesPerCall?: { observe(houses: number): void };
}

/**
 * Predicts house prices, predictions joined back to the callers' ids: a batch request is one model call, and
 * single-house requests that arrive together share one (the kit's micro-batcher), so under load the model server
 * answers a few calls of many rows instead of one call per house.
 */
export class PricingService {
  private readonly singles: MicroBatcher<HouseFeatures, number>;

  constructor(
    private readonly model: MlflowModelProvider,
    private readonly options: PricingServiceOptions,
  ) {
    this.singles = new MicroBatcher((houses) => this.predictRows(houses), {
      enabled: options.coalesceSingleRequests ?? false,
      maxSize: options.maxHousesPerCall ?? 1000,
      // A house the model server refuses (a 4xx names the row) must fail only its own request, so the shared call is
      // made again house by house; a server that is down, slow or broken fails every request of the call at once.
      retryAlone: refusedByModelServer,
    });
  }

  /** The predicted sale price of one house. */
  async predictPrice(house: HouseFeatures): Promise<PricePrediction> {
    const price = await this.singles.submit(house);
    const modelVersion = this.counted(1);
    return { id: house.id, predictedPrice: roundToCents(price), modelVersion };
  }

  /** The predicted sale prices of several houses, in request order, from one model call. */
  async predictPrices(houses: readonly HouseFeatures[]): Promise<BatchPricePrediction> {
    const prices = await this.predictRows(houses);
    const modelVersion = this.counted(houses.length);
    return {
      modelVersion,
      predictions: houses.map((house, index) => ({
        id: house.id,
        predictedPrice: roundToCents(prices[index] as number),
      })),
    };
  }

  private predictRows(houses: readonly HouseFeatures[]): Promise<number[]> {
    this.options.housesPerCall?.observe(houses.length);
    return this.model.predict(toModelFrame(houses));
  }

  /** Counts the priced houses under the current model version, and returns that version. */
  private counted(houses: number): string {
    const modelVersion = this.options.modelVersion() ?? 'unknown';
    this.options.predictions.inc({ model_version: modelVersion }, houses);
    return modelVersion;
  }
}

/** The model server answered a 4xx: it refused the rows it was sent (as opposed to being down or failing). */
function refusedByModelServer(error: unknown): boolean {
  return (
    error instanceof UpstreamError &&
    error.upstreamStatus !== undefined &&
    error.upstreamStatus >= 400 &&
    error.upstreamStatus < 500
  );
}

/** Prices in dollars and cents: the model's float32 output has no meaningful digits beyond. */
function roundToCents(value: number): number {
  return Math.round(value * 100) / 100;
}
