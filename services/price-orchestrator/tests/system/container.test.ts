import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, loadModelServerConfig } from '@mlms/model-server';
import type { ServiceApp } from '@mlms/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionClosure } from '../../../../scripts/container/lockfile.js';
import { inventoryOf } from '../../../../scripts/container/system-test/image-inventory.js';
import {
  buildModelServerImage,
  ensureDefaultModelDir,
} from '../../../../scripts/container/system-test/model-server-image.js';
import {
  artifactsDir,
  buildImage,
  ensureStandinBase,
  freeLoopbackPort,
  imageSize,
  podman,
  podmanAvailable,
  podmanOk,
  repoRoot,
  waitFor200,
} from '../../../../scripts/container/system-test/podman.js';
import { closeTo } from '../../../../test-support/trained-model.js';
import { EXAMPLE_HOUSE, type House, MODEL_COLUMNS, toModelRow } from '../../src/views/house-fields.js';

// The image under test is built here from services/price-orchestrator/Dockerfile on the local stand-in base; set
// PRICE_ORCHESTRATOR_SYSTEM_TEST_IMAGE to test an image built beforehand from the same base (e.g. by
// deployment/app-build.sh). The model server it calls is the model-server image of that service's own system test
// (services/model-server/tests/system), built by the same shared helper with the default model baked in.
const prebuiltImage = process.env.PRICE_ORCHESTRATOR_SYSTEM_TEST_IMAGE;
const image = prebuiltImage ?? 'localhost/price-orchestrator:system-test';

const modelName = 'housing-price';
// Names the image must never ship: test runners, compilers, linters, the model server and its ONNX Runtime, the
// training workspace and what only it needs, and the other services.
const devOnlyPackages = [
  'vitest',
  '@vitest/coverage-v8',
  'typescript',
  'tsx',
  'esbuild',
  '@biomejs/biome',
  'playwright-core',
  'fast-check',
  'autocannon',
  'lefthook',
  '@types/node',
  'onnxruntime-node',
  'onnxruntime-common',
  'ml-random-forest',
  'ml-cart',
  'protobufjs',
  'adm-zip',
  'global-agent',
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

interface RunningContainer {
  name: string;
  url: string;
}

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

async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

async function readiness(url: string): Promise<Readiness> {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

describe('price-orchestrator container image', () => {
  const startedContainers: string[] = [];
  let baseImage = '';
  let modelServerImage = '';
  let modelServer: RunningContainer;
  let modelServerUrl = '';
  /** What the model server answers from source, in this process, for the batch houses' model rows (in dollars). */
  let reference: { predictions: number[]; version: string };
  let service: RunningContainer;
  let readyBeforeModelServer: Readiness;
  let readyAfterModelServer: Readiness;

  /** Runs an image on `port` of the host's loopback with extra environment and `podman run` options. */
  async function runContainer(
    role: string,
    ofImage: string,
    port: number,
    env: Record<string, string>,
    options: string[] = [],
  ): Promise<RunningContainer> {
    const name = `price-orchestrator-system-${process.pid}-${role}`;
    startedContainers.push(name);
    const environment = Object.entries({ PORT: String(port), HOST: '127.0.0.1', ...env }).flatMap(([key, value]) => [
      '--env',
      `${key}=${value}`,
    ]);
    await podmanOk(['run', '--detach', '--name', name, '--network', 'host', ...environment, ...options, ofImage]);
    return { name, url: `http://127.0.0.1:${port}` };
  }

  async function waitUntil200(container: RunningContainer, path: string): Promise<void> {
    await waitFor200(`${container.url}${path}`, 30_000, async () => {
      const logs = await podman(['logs', container.name]);
      return `logs of ${container.name}:\n${logs.stdout}${logs.stderr}`;
    });
  }

  /** An orchestrator container (the image's ENV=prod) pointed at the model server's URL, not yet waited for. */
  async function runOrchestrator(role: string, options: string[] = []): Promise<RunningContainer> {
    return await runContainer(role, image, await freeLoopbackPort(), { MODEL_SERVER_URL: modelServerUrl }, options);
  }

  async function startReadyOrchestrator(role: string, options: string[] = []): Promise<RunningContainer> {
    const orchestrator = await runOrchestrator(role, options);
    await waitUntil200(orchestrator, '/health/ready');
    return orchestrator;
  }

  /** The batch houses' model rows (`toModelRow`) scored by the model server built from source, in this process. */
  async function referenceAnswers(modelDir: string): Promise<typeof reference> {
    const config = loadModelServerConfig({
      ENV: 'local',
      MODEL_URI: modelDir,
      LOG_LEVEL: 'silent',
      LOG_PRETTY: 'false',
    });
    const app: ServiceApp = await buildApp(config);
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
    if (!(await podmanAvailable())) {
      throw new Error('podman is not installed; run scripts/system-deps.sh (apt-get install -y podman runc)');
    }
    // The default model is git-ignored: trained here (in seconds) when this checkout has no current one.
    reference = await referenceAnswers(await ensureDefaultModelDir());
    baseImage = await ensureStandinBase();
    modelServerImage = await buildModelServerImage(baseImage);
    if (!prebuiltImage) {
      await buildImage({
        dockerfile: 'services/price-orchestrator/Dockerfile',
        tag: image,
        nodeImage: baseImage,
        logName: 'price-orchestrator-image-build.log',
      });
    }

    // The orchestrator first, while nothing listens at its model server's URL: it listens, but is not ready.
    const orchestratorPort = await freeLoopbackPort();
    let modelServerPort = await freeLoopbackPort();
    while (modelServerPort === orchestratorPort) modelServerPort = await freeLoopbackPort();
    modelServerUrl = `http://127.0.0.1:${modelServerPort}`;
    service = await runContainer('main', image, orchestratorPort, { MODEL_SERVER_URL: modelServerUrl });
    await waitUntil200(service, '/health/live');
    readyBeforeModelServer = await readiness(service.url);

    // Then the model server, at that URL; the orchestrator's start-up retries reach it and check its signature.
    modelServer = await runContainer('model-server', modelServerImage, modelServerPort, {});
    await waitUntil200(modelServer, '/health/ready');
    await waitUntil200(service, '/health/ready');
    readyAfterModelServer = await readiness(service.url);
  }, 900_000);

  afterAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    for (const name of startedContainers) {
      const logs = await podman(['logs', name]);
      writeFileSync(join(artifactsDir, `${name}.log`), `${logs.stdout}${logs.stderr}`);
      await podman(['rm', '--force', name]);
    }
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

  it('reports healthy when podman runs the image HEALTHCHECK', async () => {
    // Given the running, ready container (no systemd here, so podman never schedules the check itself)

    // When the health check is run by hand
    const check = await podman(['healthcheck', 'run', service.name]);
    const status = await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', service.name]);

    // Then it passes and the container is marked healthy
    expect(check.exitCode, check.stderr).toBe(0);
    expect(status.trim()).toBe('healthy');
  });

  it('runs the service as the non-root node user', async () => {
    // Given the running container

    // When its service process and a new process in it are asked who they are
    const top = await podmanOk(['top', service.name, 'user', 'args']);
    const uid = await podmanOk(['exec', service.name, 'id', '-u']);

    // Then both are the `node` user, uid 1000
    const serviceProcess = top.split('\n').find((line) => line.includes('services/price-orchestrator/dist/server.js'));
    expect(serviceProcess?.trim().split(/\s+/)[0]).toBe('node');
    expect(uid.trim()).toBe('1000');
  });

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
    expect(inventory.appFiles.filter((file) => !/\.(js|json|yaml)$/.test(file))).toEqual([]);
    expect(inventory.appFiles.filter((file) => /(^|\/)(tests?|__tests__|src)\//.test(file))).toEqual([]);
    // And node_modules holds exactly price-orchestrator's production closure: no model server, no ONNX Runtime
    const devOnly = inventory.packages.filter((location) =>
      devOnlyPackages.some((name) => location === `node_modules/${name}` || location.endsWith(`/node_modules/${name}`)),
    );
    expect(devOnly).toEqual([]);
    expect(inventory.packages.filter((location) => !expectedPackages.has(location))).toEqual([]);
    expect([...expectedPackages].filter((location) => !inventory.packages.includes(location))).toEqual([]);
    expect(inventory.links).toEqual({
      'node_modules/@mlms/price-orchestrator': '/app/services/price-orchestrator',
      'node_modules/@mlms/service-kit': '/app/packages/service-kit',
    });
  });

  it('stays within its size budget over the base image', async () => {
    // Given the image and the base it was built on

    // When podman reports their sizes
    const size = await imageSize(image);
    const base = await imageSize(baseImage);

    // Then what the service adds is small, and the numbers are recorded
    const overBase = size - base;
    const report = { image, size, baseImage, baseSize: base, overBase };
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, 'price-orchestrator-image-size.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.info(
      `image ${image}: ${(size / megabyte).toFixed(1)} MB; ` +
        `base ${baseImage}: ${(base / megabyte).toFixed(1)} MB; over base: ${(overBase / megabyte).toFixed(1)} MB`,
    );
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThan(sizeOverBaseBudget);
  });

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
    const stop = await podman(['stop', '--time', '10', doomed.name]);
    const exitCode = await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', doomed.name]);

    // Then the service shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode.trim()).toBe('0');
  });
});
