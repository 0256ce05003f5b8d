import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionClosure } from '../../../../scripts/container/lockfile.js';
import {
  itIsALeanSafeImage,
  itRunsHealthyAsTheNodeUser,
} from '../../../../scripts/container/system-test/image-checks.js';
import {
  devToolPackages,
  inSourceOrTestFolders,
  inventoryOf,
  locationsOf,
  notJsJsonOrYaml,
} from '../../../../scripts/container/system-test/image-inventory.js';
import { buildProjectImage, projectImages } from '../../../../scripts/container/system-test/images.js';
import {
  buildModelServerImage,
  ensureDefaultModelDir,
  inProcessModelServer,
} from '../../../../scripts/container/system-test/model-server-image.js';
import { ensureStandinBase, freeLoopbackPort, repoRoot } from '../../../../scripts/container/system-test/podman.js';
import {
  ContainerSet,
  postJson,
  type RunningContainer,
  requirePodman,
  sizeOverBase,
  stopWithSigterm,
} from '../../../../scripts/container/system-test/service-container.js';
import { closeTo } from '../../../../test-support/trained-model.js';
import { EXAMPLE_HOUSE, type House, MODEL_COLUMNS, toModelRow } from '../../src/views/house-fields.js';

// The image under test is built here from services/price-orchestrator/Dockerfile on the local stand-in base; set
// PRICE_ORCHESTRATOR_SYSTEM_TEST_IMAGE to test an image built beforehand from the same base (e.g. by
// deployment/app-build.sh). The model server it calls is the model-server image of that service's own system test
// (services/model-server/tests/system), built by the same shared helper with the default model baked in. The compose
// test runs the same tags.
const project = projectImages.priceOrchestrator;
let image = '';

const modelName = 'housing-price';
// Names the image must never ship: test runners, compilers, linters, the model server and its ONNX Runtime, the
// training workspace and what only it needs, and the other services.
const devOnlyPackages = [
  ...devToolPackages,
  'onnxruntime-node',
  'onnxruntime-common',
  'ml-random-forest',
  'ml-cart',
  'protobufjs',
  'adm-zip',
  'global-agent',
  'pino-pretty',
  '@mlms/model-server',
  '@mlms/mlflow-model',
  '@mlms/housing-price-model',
  '@mlms/met-emulator',
  '@mlms/art-search',
];
const megabyte = 1_000_000;
// Production modules (Fastify, Swagger UI, pino, zod, undici, prom-client) are about 36 MB; ONNX Runtime (~290 MB
// for all platforms, ~45 MB for one) or any dev dependency coming along would blow past this.
const sizeOverBaseBudget = 40 * megabyte;
const relativeTolerance = 1e-6;

/** Houses of a batch: the example, a few fields only, and none at all (the model imputes every field). */
const batchHouses: House[] = [
  { ...EXAMPLE_HOUSE, id: 'example' },
  { id: 7, grossLivingArea: 2400, yearBuilt: 2005, neighborhood: 'Northridge_Heights', garageCars: 3 },
  { id: 'all-imputed' },
];

interface PricePrediction {
  id: string | number;
  predictedPrice: number;
  modelVersion: string;
}

interface BatchPricePrediction {
  modelVersion: string;
  predictions: { id: string | number; predictedPrice: number }[];
}

interface Readiness {
  status: number;
  body: { status: string; checks: Record<string, string>; dependencies?: Record<string, string> };
}

/** The orchestrator's rounding: dollars and cents. */
function roundToCents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Prices within `relativeTolerance` of the reference predictions rounded to cents, as the orchestrator rounds. */
function expectPricesClose(prices: number[], referencePredictions: number[]): void {
  const expected = referencePredictions.map(roundToCents);
  const message = `prices ${JSON.stringify(prices)} vs reference ${JSON.stringify(expected)}`;
  expect(closeTo(prices, expected, relativeTolerance), message).toBe(true);
}

async function readiness(url: string): Promise<Readiness> {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

describe('price-orchestrator container image', () => {
  const containers = new ContainerSet('price-orchestrator-system');
  let baseImage = '';
  let modelServerImage = '';
  let _modelServer: RunningContainer;
  let modelServerUrl = '';
  /** What the model server answers from source, in this process, for the batch houses' model rows (in dollars). */
  let reference: { predictions: number[]; version: string };
  let service: RunningContainer;
  let readyBeforeModelServer: Readiness;
  let readyAfterModelServer: Readiness;

  /** A ready orchestrator container (the image's ENV=prod) pointed at the model server's URL. */
  async function startReadyOrchestrator(role: string, options: string[] = []): Promise<RunningContainer> {
    return await containers.start(role, image, { env: { MODEL_SERVER_URL: modelServerUrl }, options });
  }

  /** The batch houses' model rows (`toModelRow`) scored by the model server built from source, in this process. */
  async function referenceAnswers(modelDir: string): Promise<typeof reference> {
    const app = await inProcessModelServer(modelDir);
    try {
      const rows = batchHouses.map((house) => {
        const row = toModelRow(house);
        return MODEL_COLUMNS.map((column) => row[column]);
      });
      const invocation = await app.inject({
        method: 'POST',
        url: '/invocations',
        payload: { dataframe_split: { columns: MODEL_COLUMNS, data: rows } },
      });
      expect(invocation.statusCode, invocation.body).toBe(200);
      const metadata = (await app.inject({ method: 'GET', url: `/v2/models/${modelName}` })).json() as {
        versions: string[];
      };
      return {
        predictions: (invocation.json() as { predictions: number[] }).predictions,
        version: metadata.versions[0] as string,
      };
    } finally {
      await app.close();
    }
  }

  beforeAll(async () => {
    await requirePodman();
    // The default model is git-ignored: trained here (in seconds) when this checkout has no current one.
    reference = await referenceAnswers(await ensureDefaultModelDir());
    baseImage = await ensureStandinBase();
    modelServerImage = await buildModelServerImage(baseImage);
    image = await buildProjectImage(project, baseImage);

    // The orchestrator first, while nothing listens at its model server's URL: it listens, but is not ready.
    const orchestratorPort = await freeLoopbackPort();
    let modelServerPort = await freeLoopbackPort();
    while (modelServerPort === orchestratorPort) modelServerPort = await freeLoopbackPort();
    modelServerUrl = `http://127.0.0.1:${modelServerPort}`;
    service = await containers.run('main', image, {
      port: orchestratorPort,
      env: { MODEL_SERVER_URL: modelServerUrl },
    });
    await containers.waitUntil200(service, '/health/live');
    readyBeforeModelServer = await readiness(service.url);

    // Then the model server, at that URL; the orchestrator's start-up retries reach it and check its signature.
    _modelServer = await containers.start('model-server', modelServerImage, { port: modelServerPort });
    await containers.waitUntil200(service, '/health/ready');
    // A probe answers with the model server's last known state and refreshes it every readinessCacheMs (5 s in prod),
    // so the state seen while it was down can outlive its start by that long.
    readyAfterModelServer = await readiness(service.url);
    for (let tries = 0; readyAfterModelServer.body.dependencies?.modelServer !== 'ok' && tries < 60; tries++) {
      await sleep(250);
      readyAfterModelServer = await readiness(service.url);
    }
  }, 900_000);

  afterAll(async () => {
    await containers.removeAll();
  }, 60_000);

  it('is not ready while the model server is unreachable, and ready once it has checked the model signature', () => {
    // Given the orchestrator started before the model server (see beforeAll)

    // Then its readiness probe answered 503, waiting for the model server, until that started
    expect(readyBeforeModelServer.status).toBe(503);
    expect(readyBeforeModelServer.body.status).toBe('not ready');
    expect(readyBeforeModelServer.body.checks.modelSignature).toMatch(/model server/);
    // And 200 once the model server was up and its model's inputs matched the orchestrator's fields
    expect(readyAfterModelServer.status).toBe(200);
    expect(readyAfterModelServer.body).toMatchObject({
      status: 'ready',
      checks: { modelSignature: 'ok' },
      dependencies: { modelServer: 'ok' },
    });
  });

  it('prices the example house as the model server scores its model row in-process', async () => {
    // Given the API's example house, a real house from the Ames data

    // When a client asks the orchestrator container for its price
    const response = await postJson(`${service.url}/api/v1/price/predict`, EXAMPLE_HOUSE);

    // Then the price is the in-process model server's prediction for the house's model row, in cents
    expect(response.status).toBe(200);
    const body = (await response.json()) as PricePrediction;
    expect(body.id).toBe(EXAMPLE_HOUSE.id);
    expect(body.modelVersion).toBe(reference.version);
    expectPricesClose([body.predictedPrice], reference.predictions.slice(0, 1));
    expect(Math.abs(body.predictedPrice * 100 - Math.round(body.predictedPrice * 100))).toBeLessThan(1e-6);
  });

  it('prices a batch in request order, with the ids, as the model server scores the rows in-process', async () => {
    // Given three houses: complete, a few fields, no fields at all

    // When they are sent as one batch
    const response = await postJson(`${service.url}/api/v1/price/predict/batch`, { houses: batchHouses });

    // Then each price is the in-process prediction for its model row, in cents, in request order
    expect(response.status).toBe(200);
    const body = (await response.json()) as BatchPricePrediction;
    expect(body.modelVersion).toBe(reference.version);
    expect(body.predictions.map((prediction) => prediction.id)).toEqual(batchHouses.map((house) => house.id));
    expectPricesClose(
      body.predictions.map((prediction) => prediction.predictedPrice),
      reference.predictions,
    );
  });

  itRunsHealthyAsTheNodeUser(() => service.name, 'services/price-orchestrator/dist/server.js');

  it('holds only compiled JavaScript, its config and the production dependencies of price-orchestrator', async () => {
    // Given what the lockfile says price-orchestrator needs at run time
    const expectedPackages = productionClosure(repoRoot, 'services/price-orchestrator');
    expectedPackages.add('node_modules/@mlms/price-orchestrator'); // npm's link to the workspace itself

    // When the image's /app is listed from inside the image
    const inventory = await inventoryOf(image);

    // Then our code is compiled JavaScript plus the config YAML of service-kit and the orchestrator, nothing else
    expect(inventory.appFiles).toContain('services/price-orchestrator/dist/server.js');
    expect(inventory.appFiles).toContain('services/price-orchestrator/dist/config/config.yaml');
    expect(inventory.appFiles).toContain('packages/service-kit/dist/index.js');
    expect(
      inventory.appFiles.filter(
        (file) => !file.startsWith('services/price-orchestrator/') && !file.startsWith('packages/service-kit/'),
      ),
    ).toEqual([]);
    expect(notJsJsonOrYaml(inventory.appFiles)).toEqual([]);
    expect(inSourceOrTestFolders(inventory.appFiles)).toEqual([]);
    // And node_modules holds exactly price-orchestrator's production closure: no model server, no ONNX Runtime
    expect(locationsOf(inventory.packages, devOnlyPackages)).toEqual([]);
    expect(inventory.packages.filter((location) => !expectedPackages.has(location))).toEqual([]);
    expect([...expectedPackages].filter((location) => !inventory.packages.includes(location))).toEqual([]);
    expect(inventory.links).toEqual({
      'node_modules/@mlms/price-orchestrator': '/app/services/price-orchestrator',
      'node_modules/@mlms/service-kit': '/app/packages/service-kit',
    });
  });

  it('stays within its size budget over the base image', async () => {
    // Given the image and the base it was built on

    // When podman reports their sizes (recorded in .system-test/price-orchestrator-image-size.json)
    const overBase = await sizeOverBase(image, baseImage, 'price-orchestrator-image-size.json');

    // Then what the service adds is small
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThanOrEqual(sizeOverBaseBudget);
  });

  itIsALeanSafeImage(project, () => image);

  it('runs on a read-only root filesystem with a tmpfs /tmp', async () => {
    // Given a container whose root filesystem cannot be written, in front of the same model server
    const readOnly = await startReadyOrchestrator('read-only', ['--read-only', '--tmpfs', '/tmp']);

    // When the example house is priced by it
    const response = await postJson(`${readOnly.url}/api/v1/price/predict`, EXAMPLE_HOUSE);

    // Then it became ready and answers as usual
    expect(response.status).toBe(200);
    const body = (await response.json()) as PricePrediction;
    expectPricesClose([body.predictedPrice], reference.predictions.slice(0, 1));
  });

  it('stops with exit code 0 when podman sends SIGTERM', async () => {
    // Given another container of the image, ready
    const doomed = await startReadyOrchestrator('sigterm');

    // When podman stops it, allowing 10 s before it would resort to SIGKILL
    const { stop, exitCode } = await stopWithSigterm(doomed.name);

    // Then the service shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode).toBe('0');
  });
});
