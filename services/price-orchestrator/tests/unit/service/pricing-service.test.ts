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

describe('PricingService.predictPrice with coalesceSingleRequests', () => {
  /** A provider whose calls wait until the test answers them: `calls[i]` is the i-th model call. */
  function heldProvider() {
    const calls: { frame: ModelFrame; resolve: (prices: number[]) => void; reject: (error: unknown) => void }[] = [];
    const stub = stubProvider(
      (frame) => new Promise<number[]>((resolve, reject) => calls.push({ frame, resolve, reject })),
    );
    return { provider: stub.provider, calls };
  }

  function coalescingService(provider: MlflowModelProvider, housesPerCall?: { observe(houses: number): void }) {
    return new PricingService(provider, {
      modelVersion: () => '7',
      predictions: predictionsCounter(),
      coalesceSingleRequests: true,
      maxHousesPerCall: 1000,
      housesPerCall,
    });
  }

  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const priceOf = (row: readonly unknown[], frame: ModelFrame) =>
    1000 * Number(row[frame.columns.indexOf('Gr_Liv_Area')]);

  it('given houses asked for while a call is in flight, when it ends, then they share the next call, each its price', async () => {
    // Given
    const { provider, calls } = heldProvider();
    const observed: number[] = [];
    const service = coalescingService(provider, { observe: (houses) => observed.push(houses) });
    const first = service.predictPrice({ id: 'a', features: { grossLivingArea: 1 } });
    await nextTurn();
    const queued = [2, 3, 4].map((area) => service.predictPrice({ id: area, features: { grossLivingArea: area } }));

    // When
    for (let call = 0; call < 2; call++) {
      await nextTurn();
      const held = calls[call];
      held?.resolve(held.frame.rows.map((row) => priceOf(row, held.frame)));
    }

    // Then
    expect(calls.map((call) => call.frame.rows.length)).toEqual([1, 3]);
    expect(observed).toEqual([1, 3]);
    expect(await first).toEqual({ id: 'a', predictedPrice: 1000, modelVersion: '7' });
    expect(await Promise.all(queued)).toEqual([
      { id: 2, predictedPrice: 2000, modelVersion: '7' },
      { id: 3, predictedPrice: 3000, modelVersion: '7' },
      { id: 4, predictedPrice: 4000, modelVersion: '7' },
    ]);
  });

  it('given the model server refuses a shared call (4xx), when it fails, then each house is sent alone and only the refused one fails', async () => {
    // Given
    const refused = (area: unknown) =>
      new UpstreamError('Model server', 'status', `Model server rejected the request (HTTP 400): row 0 (${area}).`, {
        upstreamStatus: 400,
      });
    const stub = stubProvider(async (frame) => {
      const areas = frame.rows.map((row) => row[frame.columns.indexOf('Gr_Liv_Area')]);
      if (areas.includes(13)) throw refused(13);
      return areas.map((area) => Number(area));
    });
    const service = coalescingService(stub.provider);

    // When
    const outcomes = await Promise.allSettled(
      [12, 13, 14].map((area) => service.predictPrice({ id: area, features: { grossLivingArea: area } })),
    );

    // Then
    expect(stub.frames.map((frame) => frame.rows.length)).toEqual([3, 1, 1, 1]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: { id: 12, predictedPrice: 12, modelVersion: '7' } },
      { status: 'rejected', reason: refused(13) },
      { status: 'fulfilled', value: { id: 14, predictedPrice: 14, modelVersion: '7' } },
    ]);
  });

  it.each([
    ['refuses the connection', () => new UnavailableError('Model server is unavailable: it refused the connection.')],
    ['fails (HTTP 500)', () => new UpstreamError('Model server', 'status', 'Model server answered HTTP 500.')],
    ['does not answer in time', () => new UpstreamTimeoutError('Model server', 50)],
  ])(
    'given the model server %s, when a shared call fails, then every house of it gets that error with no retry',
    async (_case, makeError) => {
      // Given
      const failure = makeError();
      const stub = stubProvider(async () => {
        throw failure;
      });
      const service = coalescingService(stub.provider);

      // When
      const outcomes = await Promise.allSettled([1, 2, 3].map((id) => service.predictPrice({ id, features: {} })));

      // Then
      expect(stub.frames).toHaveLength(1);
      expect(outcomes).toEqual([1, 2, 3].map(() => ({ status: 'rejected', reason: failure })));
    },
  );

  it('given coalescing is off, when houses are asked for together, then each is its own model call', async () => {
    // Given
    const stub = stubProvider(async (frame) => frame.rows.map(() => 1));
    const service = new PricingService(stub.provider, { modelVersion: () => '7', predictions: predictionsCounter() });

    // When
    await Promise.all([1, 2, 3].map((id) => service.predictPrice({ id, features: {} })));

    // Then
    expect(stub.frames.map((frame) => frame.rows.length)).toEqual([1, 1, 1]);
  });
});
