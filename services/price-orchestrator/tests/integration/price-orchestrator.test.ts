import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_DATA_PATH } from '@mlms/housing-price-model';
import { ConfigError } from '@mlms/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTo, type TrainedModel, trainSmallModel } from '../../../../test-support/trained-model.js';
import { houseFromRow } from '../support/houses.js';
import { type RunningOrchestrator, startModelServer, startOrchestrator } from '../support/stack.js';

let model: TrainedModel;

beforeAll(async () => {
  model = await trainSmallModel();
}, 60_000);

afterAll(async () => {
  await model?.remove();
});

/** Direct `/invocations` predictions of the model server for dataset rows: what the orchestrator must reproduce. */
async function directPredictions(post: (path: string, body: unknown) => Promise<{ json(): unknown }>, count: number) {
  const rows = model.validationRows.slice(0, count);
  const reply = await post('/invocations', {
    dataframe_split: {
      columns: model.columns,
      data: rows.map((row) => model.columns.map((column) => row[column] ?? null)),
    },
  });
  return (reply.json() as { predictions: number[] }).predictions;
}

/** The orchestrator's model calls so far and the houses they carried (its `model_call_houses` histogram). */
async function modelCalls(orchestrator: RunningOrchestrator): Promise<{ calls: number; houses: number }> {
  // From the registry: /metrics reuses a rendering for a second.
  const histogram = await orchestrator.app.metrics.registry.getSingleMetric('model_call_houses')?.get();
  const sample = (name: string) =>
    (histogram?.values as { metricName?: string; value: number }[] | undefined)?.find(
      (value) => value.metricName === name,
    )?.value ?? Number.NaN;
  return { calls: sample('model_call_houses_count'), houses: sample('model_call_houses_sum') };
}

describe('price-orchestrator in front of the real model server', () => {
  let modelServer: Awaited<ReturnType<typeof startModelServer>>;
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    modelServer = await startModelServer(model.modelDir);
    orchestrator = await startOrchestrator(modelServer.url);
    await orchestrator.waitForModel();
  }, 60_000);
  afterAll(async () => {
    await orchestrator?.app.close();
    await modelServer?.app.close();
  });

  it('prices 50 dataset houses in one batch exactly as the model server scores their rows directly', async () => {
    // Given
    const houses = model.validationRows.slice(0, 50).map((row, index) => houseFromRow(`house-${index}`, row));
    const direct = await directPredictions(modelServer.post, 50);

    // When
    const reply = await orchestrator.post('/api/v1/price/predict/batch', { houses });

    // Then
    expect(reply.status).toBe(200);
    const body = reply.json() as { modelVersion: string; predictions: { id: string; predictedPrice: number }[] };
    expect(body.modelVersion).toMatch(/^[0-9a-f]{32}$/);
    expect(body.predictions.map((prediction) => prediction.id)).toEqual(houses.map((house) => house.id));
    expect(
      closeTo(
        body.predictions.map((prediction) => prediction.predictedPrice),
        direct,
        1e-6,
      ),
    ).toBe(true);
  });

  it('prices one house with its id and the model version', async () => {
    // Given
    const house = houseFromRow(42, model.validationRows[0] as Record<string, number | string | null>);
    const [direct] = await directPredictions(modelServer.post, 1);

    // When
    const reply = await orchestrator.post('/api/v1/price/predict', house);

    // Then
    expect(reply.status).toBe(200);
    const body = reply.json() as { id: number; predictedPrice: number; modelVersion: string };
    expect(body.id).toBe(42);
    expect(closeTo([body.predictedPrice], [direct as number], 1e-6)).toBe(true);
  });

  it('prices 50 houses sent as concurrent single requests exactly as the model server scores them, in fewer calls', async () => {
    // Given
    const houses = model.validationRows.slice(0, 50).map((row, index) => houseFromRow(`single-${index}`, row));
    const direct = await directPredictions(modelServer.post, 50);
    const callsBefore = await modelCalls(orchestrator);

    // When
    const replies = await Promise.all(houses.map((house) => orchestrator.post('/api/v1/price/predict', house)));

    // Then: every request its own house's price, and requests that arrived together shared model calls
    expect(replies.map((reply) => reply.status)).toEqual(houses.map(() => 200));
    const bodies = replies.map((reply) => reply.json() as { id: string; predictedPrice: number });
    expect(bodies.map((body) => body.id)).toEqual(houses.map((house) => house.id));
    expect(
      closeTo(
        bodies.map((body) => body.predictedPrice),
        direct,
        1e-6,
      ),
    ).toBe(true);
    const callsAfter = await modelCalls(orchestrator);
    expect(callsAfter.houses - callsBefore.houses).toBe(50);
    expect(callsAfter.calls - callsBefore.calls).toBeLessThan(50);
  });

  it('prices a house that gives only the fields that matter most, the model imputing the rest', async () => {
    // When
    const reply = await orchestrator.post('/api/v1/price/predict', {
      id: 'sparse',
      grossLivingArea: 1710,
      yearBuilt: 2003,
      garageCars: 2,
      totalBasementArea: 856,
      neighborhood: 'College_Creek',
    });

    // Then
    expect(reply.status).toBe(200);
    expect((reply.json() as { predictedPrice: number }).predictedPrice).toBeGreaterThan(50_000);
  });

  it('reports the model server in readiness and is ready', async () => {
    // When
    const reply = await orchestrator.get('/health/ready');

    // Then
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      status: 'ready',
      checks: { modelSignature: 'ok' },
      dependencies: { modelServer: 'ok' },
    });
  });

  it('counts predictions by model version in the metrics', async () => {
    // When
    const reply = await orchestrator.get('/metrics');

    // Then
    expect(reply.text).toMatch(
      /price_predictions_total\{model_version="[0-9a-f]{32}",service="price-orchestrator"\} \d+/,
    );
  });
});

describe('when the model server goes away and comes back', () => {
  it('answers 503 while it is down, stays ready, and recovers without a restart', async () => {
    // Given
    let modelServer = await startModelServer(model.modelDir);
    const { port } = modelServer;
    const orchestrator = await startOrchestrator(modelServer.url);
    await orchestrator.waitForModel();
    const house = houseFromRow('h', model.validationRows[3] as Record<string, number | string | null>);

    try {
      // When: the model server stops
      await modelServer.app.close();
      const down = await orchestrator.post('/api/v1/price/predict', house);
      const readyWhileDown = await orchestrator.get('/health/ready');

      // Then
      expect(down.status).toBe(503);
      expect(down.json()).toEqual({ detail: 'Model server is unavailable: it refused the connection.' });
      expect(readyWhileDown.status).toBe(200);
      expect(readyWhileDown.json()).toMatchObject({
        dependencies: { modelServer: expect.stringContaining('refused') },
      });
      expect((await orchestrator.get('/metrics')).text).toMatch(
        /dependency_up\{dependency="modelServer",service="price-orchestrator"\} 0/,
      );

      // When: it comes back on the same port
      modelServer = await startModelServer(model.modelDir, {}, port);
      const recovered = await orchestrator.post('/api/v1/price/predict', house);

      // Then
      expect(recovered.status).toBe(200);
    } finally {
      await orchestrator.app.close();
      await modelServer.app.close();
    }
  });
});

describe('model server failures', () => {
  it('answers 502 with the model server message when it rejects the request (a body over its limit)', async () => {
    // Given
    const modelServer = await startModelServer(model.modelDir, { maxBodyBytes: 4096 });
    const orchestrator = await startOrchestrator(modelServer.url);
    await orchestrator.waitForModel();
    const houses = model.validationRows.slice(0, 20).map((row, index) => houseFromRow(index + 1, row));

    try {
      // When
      const reply = await orchestrator.post('/api/v1/price/predict/batch', { houses });

      // Then
      expect(reply.status).toBe(502);
      expect(reply.json()).toEqual({
        detail:
          'Model server rejected the request (HTTP 413): The request body is larger than the limit of 4096 bytes.',
      });
    } finally {
      await orchestrator.app.close();
      await modelServer.app.close();
    }
  });

  it('answers 504 when the model server does not answer within the timeout', async () => {
    // Given: a batch that takes the model longer to score than the orchestrator waits
    const modelServer = await startModelServer(model.modelDir);
    const orchestrator = await startOrchestrator(modelServer.url, {
      modelServer: {
        url: modelServer.url,
        connectTimeoutMs: 500,
        timeoutMs: 1,
        maxResponseBytes: 1_048_576,
        retries: 0,
        retryBaseDelayMs: 1,
        maxConnections: 2,
      },
    });
    const houses = Array.from({ length: 1000 }, (_value, index) =>
      houseFromRow(
        index + 1,
        model.validationRows[index % model.validationRows.length] as Record<string, number | string | null>,
      ),
    );

    try {
      // When
      const reply = await orchestrator.post('/api/v1/price/predict/batch', { houses });

      // Then
      expect(reply.status).toBe(504);
      expect(reply.json()).toEqual({ detail: 'Model server did not answer within 1 ms.' });
    } finally {
      await orchestrator.app.close();
      await modelServer.app.close();
    }
  });
});

describe('start-up', () => {
  it('is not ready while the model server is away, and ready once it has checked the signature', async () => {
    // Given: an orchestrator pointed at a port where nothing listens yet
    const placeholder = await startModelServer(model.modelDir);
    const { port, url } = placeholder;
    await placeholder.app.close();
    const orchestrator = await startOrchestrator(url);
    const waiting = orchestrator.waitForModel();

    try {
      // When
      const before = await orchestrator.get('/health/ready');
      const modelServer = await startModelServer(model.modelDir, {}, port);
      await waiting;
      const after = await orchestrator.get('/health/ready');
      await modelServer.app.close();

      // Then
      expect(before.status).toBe(503);
      expect(before.json()).toMatchObject({
        checks: { modelSignature: expect.stringContaining('waiting for the model server') },
      });
      expect(after.status).toBe(200);
    } finally {
      await orchestrator.app.close();
    }
  });

  it('stops with a ConfigError listing the differing columns when the model has other inputs', async () => {
    // Given: a model trained on data with one column renamed and one dropped
    const csv = await readFile(DEFAULT_DATA_PATH, 'utf8');
    const [header, ...lines] = csv.split('\n');
    const columns = (header as string).split(',');
    const dropIndex = columns.indexOf('"Alley"');
    const edited = [
      columns
        .filter((_column, index) => index !== dropIndex)
        .join(',')
        .replace('"Lot_Area"', '"Lot_Size"'),
      ...lines
        .filter((line) => line !== '')
        .map((line) =>
          line
            .split(',')
            .filter((_cell, index) => index !== dropIndex)
            .join(','),
        ),
    ].join('\n');
    const dataPath = join(model.modelDir, '..', 'other-columns.csv');
    await writeFile(dataPath, edited);
    const other = await trainSmallModel({ dataPath });
    const modelServer = await startModelServer(other.modelDir);
    const orchestrator = await startOrchestrator(modelServer.url);

    try {
      // When
      const error = await orchestrator.waitForModel().catch((caught: unknown) => caught);

      // Then
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        "the model 'housing-price' on the model server does not match this service's fields: columns the model has " +
          'no input for: Lot_Area, Alley; model inputs this service does not send: Lot_Size',
      );
    } finally {
      await orchestrator.app.close();
      await modelServer.app.close();
      await other.remove();
    }
  });
});
