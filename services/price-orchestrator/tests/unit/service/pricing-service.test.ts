import { UnavailableError, UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { HouseFeatures } from '../../../src/dto/pricing.js';
import { toModelFrame } from '../../../src/provider/house-frame.js';
import type { MlflowModelProvider, ModelFrame } from '../../../src/provider/mlflow-model-provider.js';
import { PricingService } from '../../../src/service/pricing-service.js';

/** A provider stand-in: answers the canned prices (or fails) and records the frames it was given. */
function stubProvider(answer: (frame: ModelFrame) => Promise<number[]>) {
  const frames: ModelFrame[] = [];
  const provider = {
    async predict(frame: ModelFrame) {
      frames.push(frame);
      return answer(frame);
    },
  };
  return { provider: provider as unknown as MlflowModelProvider, frames };
}

function predictionsCounter() {
  const registry = new Registry();
  const counter = new Counter({
    name: 'price_predictions_total',
    help: 'Houses priced, by model version.',
    labelNames: ['model_version'] as const,
    registers: [registry],
  });
  return counter;
}

/** `model_version → count` of the counter. */
async function counted(counter: Counter<'model_version'>): Promise<Record<string, number>> {
  const { values } = await counter.get();
  return Object.fromEntries(values.map((sample) => [String(sample.labels.model_version), sample.value]));
}

function serviceWith(options: {
  prices?: number[];
  answer?: (frame: ModelFrame) => Promise<number[]>;
  version?: string | undefined;
}) {
  const stub = stubProvider(options.answer ?? (async () => options.prices ?? []));
  const predictions = predictionsCounter();
  const service = new PricingService(stub.provider, { modelVersion: () => options.version, predictions });
  return { service, frames: stub.frames, predictions };
}

const houses: HouseFeatures[] = [
  { id: 'first', features: { grossLivingArea: 1000, saleType: 'WD' } },
  { id: 2, features: { grossLivingArea: 2000 } },
  { id: 'third', features: {} },
];

describe('PricingService.predictPrice', () => {
  it('prices one house with its id and the model version', async () => {
    // Given
    const { service } = serviceWith({ prices: [181234.5], version: '3' });

    // When
    const prediction = await service.predictPrice({ id: 'h1', features: { grossLivingArea: 1500 } });

    // Then
    expect(prediction).toEqual({ id: 'h1', predictedPrice: 181234.5, modelVersion: '3' });
  });

  it('sends the house as a one-row model frame', async () => {
    // Given
    const { service, frames } = serviceWith({ prices: [1] });
    const house: HouseFeatures = { id: 7, features: { grossLivingArea: 1500, saleType: 'WD' } };

    // When
    await service.predictPrice(house);

    // Then
    expect(frames).toEqual([toModelFrame([house])]);
  });

  it("reports the version 'unknown' when the model server gave none", async () => {
    // Given
    const { service } = serviceWith({ prices: [1], version: undefined });

    // When
    const prediction = await service.predictPrice({ id: 1, features: {} });

    // Then
    expect(prediction.modelVersion).toBe('unknown');
  });

  it('reads the model version at prediction time, not at construction', async () => {
    // Given
    let version: string | undefined;
    const stub = stubProvider(async () => [1]);
    const service = new PricingService(stub.provider, {
      modelVersion: () => version,
      predictions: predictionsCounter(),
    });

    // When
    const before = await service.predictPrice({ id: 1, features: {} });
    version = 'v9';
    const after = await service.predictPrice({ id: 1, features: {} });

    // Then
    expect(before.modelVersion).toBe('unknown');
    expect(after.modelVersion).toBe('v9');
  });
});

describe('PricingService.predictPrices', () => {
  it('prices a batch with one provider call, predictions joined to the ids in request order', async () => {
    // Given
    const { service, frames } = serviceWith({ prices: [100, 200, 300], version: '5' });

    // When
    const result = await service.predictPrices(houses);

    // Then
    expect(result).toEqual({
      modelVersion: '5',
      predictions: [
        { id: 'first', predictedPrice: 100 },
        { id: 2, predictedPrice: 200 },
        { id: 'third', predictedPrice: 300 },
      ],
    });
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(toModelFrame(houses));
    expect(frames[0]?.rows).toHaveLength(3);
  });

  it.each([
    [181234.567, 181234.57],
    [181234.561, 181234.56],
    [99999.995_1, 100000],
    [0.125, 0.13],
    [150000, 150000],
    [-12.344, -12.34],
  ])('rounds the prediction %d to cents: %d', async (raw, rounded) => {
    // Given
    const { service } = serviceWith({ prices: [raw] });

    // When
    const result = await service.predictPrices([{ id: 1, features: {} }]);

    // Then
    expect(result.predictions[0]?.predictedPrice).toBe(rounded);
  });

  it('counts the houses priced by model version', async () => {
    // Given
    let version: string | undefined = 'a1';
    const stub = stubProvider(async (frame) => frame.rows.map(() => 1));
    const predictions = predictionsCounter();
    const service = new PricingService(stub.provider, { modelVersion: () => version, predictions });

    // When
    await service.predictPrices(houses);
    await service.predictPrice({ id: 1, features: {} });
    version = undefined;
    await service.predictPrice({ id: 1, features: {} });

    // Then
    expect(await counted(predictions)).toEqual({ a1: 4, unknown: 1 });
  });

  it.each([
    ['UnavailableError', () => new UnavailableError('Model server is unavailable: it refused the connection.')],
    ['UpstreamError', () => new UpstreamError('Model server', 'status', 'Model server answered HTTP 500.')],
    ['UpstreamTimeoutError', () => new UpstreamTimeoutError('Model server', 50)],
  ])('lets the provider %s through unchanged, counting nothing', async (_name, makeError) => {
    // Given
    const failure = makeError();
    const { service, predictions } = serviceWith({
      answer: async () => {
        throw failure;
      },
      version: '1',
    });

    // When
    const error = await service.predictPrices(houses).catch((caught: unknown) => caught);
    const single = await service.predictPrice(houses[0] as HouseFeatures).catch((caught: unknown) => caught);

    // Then
    expect(error).toBe(failure);
    expect(single).toBe(failure);
    expect(await counted(predictions)).toEqual({});
  });
});
