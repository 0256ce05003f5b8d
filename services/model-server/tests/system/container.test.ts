import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, loadModelServerConfig } from '@mlms/model-server';
import type { ServiceApp } from '@mlms/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionClosure } from '../../../../scripts/container/lockfile.js';
import { inventoryOf } from '../../../../scripts/container/system-test/image-inventory.js';
import {
  buildModelServerImage,
  defaultModelDir,
  ensureDefaultModelDir,
  modelServerImage,
} from '../../../../scripts/container/system-test/model-server-image.js';
import {
  artifactsDir,
  ensureStandinBase,
  freeLoopbackPort,
  imageSize,
  podman,
  podmanAvailable,
  podmanOk,
  repoRoot,
  waitFor200,
} from '../../../../scripts/container/system-test/podman.js';

// The image under test is built here from services/model-server/Dockerfile on the local stand-in base, with the
// default model baked in; set MODEL_SERVER_SYSTEM_TEST_IMAGE to test an image built beforehand from the same base
// (e.g. by deployment/app-build.sh). The build is shared with the tests of the services that call the model server.
const image = modelServerImage;
const modelName = 'housing-price';
// Names an image must never ship: test runners, compilers, linters, the training workspace and what only it needs,
// the other services, and onnxruntime-node's install-time dependencies.
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
  'ml-random-forest',
  'ml-cart',
  'protobufjs',
  'adm-zip',
  'global-agent',
  '@mlms/housing-price-model',
  '@mlms/met-emulator',
  '@mlms/art-search',
];
// Declared by onnxruntime-node for its install script only (downloading CUDA libraries); the Dockerfile prunes them.
const unusedDependencies = { 'onnxruntime-node': ['adm-zip', 'global-agent'] };
const onnxRuntimeBinaries = [
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
];
const megabyte = 1_000_000;
// ONNX Runtime's linux-x64 library alone is ~45 MB, the production modules ~40 MB and the model ~7 MB.
const sizeOverBaseBudget = 120 * megabyte;
const relativeTolerance = 1e-6;

interface RunningContainer {
  name: string;
  url: string;
}

interface DataframeSplit {
  dataframe_split: { columns: string[]; data: unknown[][] };
}

interface V2Metadata {
  versions: string[];
  inputs: { name: string; datatype: string }[];
}

interface V2InferResponse {
  model_name: string;
  outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
}

/** True when `actual` is within `relativeTolerance` of `expected` (relative to the larger magnitude). */
function closeTo(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= relativeTolerance * Math.max(Math.abs(actual), Math.abs(expected), 1e-30);
}

function expectPredictionsClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  const off = actual.filter((value, index) => !closeTo(value, expected[index] as number));
  expect(off, `predictions ${JSON.stringify(actual)} vs reference ${JSON.stringify(expected)}`).toEqual([]);
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

describe('model-server container image', () => {
  const startedContainers: string[] = [];
  let example: DataframeSplit;
  let baseImage = '';
  let reference: { predictions: number[]; version: string; v2Request: unknown };
  let service: RunningContainer;
  let mountedModelDir = '';

  /** Runs the image on a free loopback port with extra `podman run` options, and waits until it is ready. */
  async function startContainer(role: string, options: string[] = []): Promise<RunningContainer> {
    const port = await freeLoopbackPort();
    const name = `model-server-system-${process.pid}-${role}`;
    startedContainers.push(name);
    await podmanOk([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--env',
      `PORT=${port}`,
      '--env',
      'HOST=127.0.0.1',
      ...options,
      image,
    ]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor200(`${url}/health/ready`, 30_000, async () => {
      const logs = await podman(['logs', name]);
      return `logs of ${name}:\n${logs.stdout}${logs.stderr}`;
    });
    return { name, url };
  }

  /** What the model server answers from source, in this process, for the model's example: the reference. */
  async function referenceAnswers(): Promise<typeof reference> {
    const config = loadModelServerConfig({
      ENV: 'local',
      MODEL_URI: join(repoRoot, defaultModelDir),
      LOG_LEVEL: 'silent',
      LOG_PRETTY: 'false',
    });
    const app: ServiceApp = await buildApp(config);
    try {
      const invocation = await app.inject({ method: 'POST', url: '/invocations', payload: example });
      expect(invocation.statusCode, invocation.body).toBe(200);
      const metadata = (await app.inject({ method: 'GET', url: `/v2/models/${modelName}` })).json() as V2Metadata;
      const { columns, data } = example.dataframe_split;
      // One V2 input per model input, in the metadata's datatype, with the example's column of values.
      const v2Request = {
        id: 'system-test',
        inputs: metadata.inputs.map((input) => {
          const column = columns.indexOf(input.name);
          return {
            name: input.name,
            shape: [data.length],
            datatype: input.datatype,
            data: data.map((row) => row[column] ?? null),
          };
        }),
      };
      return {
        predictions: (invocation.json() as { predictions: number[] }).predictions,
        version: metadata.versions[0] as string,
        v2Request,
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
    await ensureDefaultModelDir();
    example = JSON.parse(
      readFileSync(join(repoRoot, defaultModelDir, 'serving_input_example.json'), 'utf8'),
    ) as DataframeSplit;
    reference = await referenceAnswers();
    baseImage = await ensureStandinBase();
    await buildModelServerImage(baseImage);
    service = await startContainer('main');
  }, 900_000);

  afterAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    for (const name of startedContainers) {
      const logs = await podman(['logs', name]);
      writeFileSync(join(artifactsDir, `${name}.log`), `${logs.stdout}${logs.stderr}`);
      await podman(['rm', '--force', name]);
    }
    if (mountedModelDir) rmSync(mountedModelDir, { recursive: true, force: true });
  }, 60_000);

  it('reports ready once the baked-in model is loaded', async () => {
    // Given the container running with the model it was built with

    // When its readiness probe is asked
    const response = await fetch(`${service.url}/health/ready`);

    // Then the model check passes
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', checks: { model: 'ok' } });
  });

  it("answers the model's serving example on /invocations as the model server does from source", async () => {
    // Given the model's own serving example, five rows

    // When it is posted to the container's MLflow scoring endpoint
    const response = await postJson(`${service.url}/invocations`, example);

    // Then the five predictions equal the in-process server's, and the baked-in model's version is reported
    expect(response.status).toBe(200);
    expect(response.headers.get('x-model-version')).toBe(reference.version);
    const { predictions } = (await response.json()) as { predictions: number[] };
    expect(predictions).toHaveLength(5);
    expectPredictionsClose(predictions, reference.predictions);
  });

  it('answers the same rows over the Open Inference Protocol (V2 infer)', async () => {
    // Given the example as a V2 request, one input per model column

    // When it is posted to the container's V2 infer endpoint
    const response = await postJson(`${service.url}/v2/models/${modelName}/infer`, reference.v2Request);

    // Then the one output holds the same five predictions
    expect(response.status).toBe(200);
    const answer = (await response.json()) as V2InferResponse;
    expect(answer.model_name).toBe(modelName);
    expect(answer.outputs).toHaveLength(1);
    expect(answer.outputs[0]?.shape[0]).toBe(5);
    expectPredictionsClose(answer.outputs[0]?.data ?? [], reference.predictions);
  });

  it('reports healthy when podman runs the image HEALTHCHECK', async () => {
    // Given the running container (no systemd here, so podman never schedules the check itself)

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
    const serviceProcess = top.split('\n').find((line) => line.includes('services/model-server/dist/server.js'));
    expect(serviceProcess?.trim().split(/\s+/)[0]).toBe('node');
    expect(uid.trim()).toBe('1000');
  });

  it('holds only compiled JavaScript, its config, the model and the production dependencies of model-server', async () => {
    // Given what the lockfile says model-server needs at run time
    const expectedPackages = productionClosure(repoRoot, 'services/model-server', { unusedDependencies });
    expectedPackages.add('node_modules/@mlms/model-server'); // npm's link to the workspace itself

    // When the image's /app is listed from inside the image
    const inventory = await inventoryOf(image, ['node_modules/onnxruntime-node/bin']);

    // Then our code is compiled JavaScript plus the config YAML, with no sources, maps, declarations or tests
    const codeFiles = inventory.appFiles.filter((file) => !file.startsWith('model/'));
    expect(codeFiles).toContain('services/model-server/dist/server.js');
    expect(codeFiles).toContain('services/model-server/dist/config/config.yaml');
    expect(codeFiles).toContain('packages/service-kit/dist/index.js');
    expect(codeFiles).toContain('packages/mlflow-model/dist/index.js');
    expect(codeFiles.filter((file) => !/\.(js|json|yaml)$/.test(file))).toEqual([]);
    expect(codeFiles.filter((file) => /(^|\/)(tests?|__tests__|src)\//.test(file))).toEqual([]);
    // And the model directory it was built with sits at /app/model
    expect(inventory.appFiles).toEqual(expect.arrayContaining(['model/MLmodel', 'model/model.onnx']));
    // And node_modules holds exactly model-server's production closure, the workspaces linked to their copies
    const devOnly = inventory.packages.filter((location) =>
      devOnlyPackages.some((name) => location === `node_modules/${name}` || location.endsWith(`/node_modules/${name}`)),
    );
    expect(devOnly).toEqual([]);
    expect(inventory.packages.filter((location) => !expectedPackages.has(location))).toEqual([]);
    expect([...expectedPackages].filter((location) => !inventory.packages.includes(location))).toEqual([]);
    expect(inventory.links).toEqual({
      'node_modules/@mlms/mlflow-model': '/app/packages/mlflow-model',
      'node_modules/@mlms/model-server': '/app/services/model-server',
      'node_modules/@mlms/service-kit': '/app/packages/service-kit',
    });
    // And ONNX Runtime is there for linux-x64 only, as npm shipped it (no CUDA libraries from its install script)
    expect(inventory.filesUnder['node_modules/onnxruntime-node/bin']).toEqual(onnxRuntimeBinaries);
  });

  it('stays within its size budget over the base image', async () => {
    // Given the image and the base it was built on

    // When podman reports their sizes
    const size = await imageSize(image);
    const base = await imageSize(baseImage);

    // Then what the service and its model add is within budget, and the numbers are recorded
    const overBase = size - base;
    const report = { image, size, baseImage, baseSize: base, overBase };
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, 'model-server-image-size.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.info(
      `image ${image}: ${(size / megabyte).toFixed(1)} MB; ` +
        `base ${baseImage}: ${(base / megabyte).toFixed(1)} MB; over base: ${(overBase / megabyte).toFixed(1)} MB`,
    );
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThan(sizeOverBaseBudget);
  });

  it('serves a model directory mounted at run time and chosen with MODEL_URI', async () => {
    // Given a copy of the default model under another run id, mounted read-only at /models/m
    mountedModelDir = mkdtempSync(join(tmpdir(), 'model-server-mounted-'));
    cpSync(join(repoRoot, defaultModelDir), mountedModelDir, { recursive: true });
    chmodSync(mountedModelDir, 0o755); // mkdtemp's 0700 would keep the container's uid 1000 out
    const mlmodel = join(mountedModelDir, 'MLmodel');
    writeFileSync(mlmodel, readFileSync(mlmodel, 'utf8').replace(/^run_id: .*$/m, 'run_id: mounted-at-run-time'));
    const mounted = await startContainer('mounted', [
      '--volume',
      `${mountedModelDir}:/models/m:ro`,
      '--env',
      'MODEL_URI=/models/m',
    ]);

    // When the example is posted to it
    const response = await postJson(`${mounted.url}/invocations`, example);

    // Then the mounted model answered, with the same predictions
    expect(response.status).toBe(200);
    expect(response.headers.get('x-model-version')).toBe('mounted-at-run-time');
    expectPredictionsClose(((await response.json()) as { predictions: number[] }).predictions, reference.predictions);
  });

  it('runs on a read-only root filesystem with a tmpfs /tmp', async () => {
    // Given a container whose root filesystem cannot be written
    const readOnly = await startContainer('read-only', ['--read-only', '--tmpfs', '/tmp']);

    // When the example is posted to it
    const response = await postJson(`${readOnly.url}/invocations`, example);

    // Then it became ready and answers as usual
    expect(response.status).toBe(200);
    expectPredictionsClose(((await response.json()) as { predictions: number[] }).predictions, reference.predictions);
  });

  it('stops with exit code 0 when podman sends SIGTERM', async () => {
    // Given another container of the image, ready
    const doomed = await startContainer('sigterm');

    // When podman stops it, allowing 10 s before it would resort to SIGKILL
    const stop = await podman(['stop', '--time', '10', doomed.name]);
    const exitCode = await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', doomed.name]);

    // Then the service shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode.trim()).toBe('0');
  });
});
