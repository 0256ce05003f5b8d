import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { projectImages } from '../../../../scripts/container/system-test/images.js';
import {
  buildModelServerImage,
  defaultModelDir,
  ensureDefaultModelDir,
  inProcessModelServer,
  modelServerImage,
} from '../../../../scripts/container/system-test/model-server-image.js';
import { ensureStandinBase, repoRoot } from '../../../../scripts/container/system-test/podman.js';
import {
  ContainerSet,
  postJson,
  type RunningContainer,
  requirePodman,
  sizeOverBase,
  stopWithSigterm,
} from '../../../../scripts/container/system-test/service-container.js';

// The image under test is built here from services/model-server/Dockerfile on the local stand-in base, with the
// default model baked in; set MODEL_SERVER_SYSTEM_TEST_IMAGE to test an image built beforehand from the same base
// (e.g. by deployment/app-build.sh). The build is shared with the tests of the services that call the model server.
const image = modelServerImage;
const modelName = 'housing-price';
// Names an image must never ship: test runners, compilers, linters, the training workspace and what only it needs,
// the other services, and onnxruntime-node's install-time dependencies.
const devOnlyPackages = [
  ...devToolPackages,
  'ml-random-forest',
  'ml-cart',
  'protobufjs',
  'adm-zip',
  'global-agent',
  'pino-pretty',
  '@mlms/housing-price-model',
  '@mlms/met-emulator',
  '@mlms/art-search',
];
// Declared by onnxruntime-node for its install script only (downloading CUDA libraries), and service-kit's pretty
// printer, which serves a terminal only (the kit logs JSON without it): the Dockerfile prunes them.
const unusedDependencies = { 'onnxruntime-node': ['adm-zip', 'global-agent'] };
const onnxRuntimeBinaries = [
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
];
const megabyte = 1_000_000;
// ONNX Runtime's linux-x64 library alone is ~45 MB, the production modules ~40 MB and the model ~7 MB.
const sizeOverBaseBudget = 120 * megabyte;
const relativeTolerance = 1e-6;

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

describe('model-server container image', () => {
  const containers = new ContainerSet('model-server-system');
  let example: DataframeSplit;
  let baseImage = '';
  let reference: { predictions: number[]; version: string; v2Request: unknown };
  let service: RunningContainer;
  let mountedModelDir = '';

  /** Runs the image on a free loopback port with extra `podman run` options, and waits until it is ready. */
  async function startContainer(role: string, options: string[] = []): Promise<RunningContainer> {
    return await containers.start(role, image, { options });
  }

  /** What the model server answers from source, in this process, for the model's example: the reference. */
  async function referenceAnswers(): Promise<typeof reference> {
    const app = await inProcessModelServer(join(repoRoot, defaultModelDir));
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
    await requirePodman();
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
    await containers.removeAll();
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

  itRunsHealthyAsTheNodeUser(() => service.name, 'services/model-server/dist/server.js');

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
    expect(notJsJsonOrYaml(codeFiles)).toEqual([]);
    expect(inSourceOrTestFolders(codeFiles)).toEqual([]);
    // And the model directory it was built with sits at /app/model
    expect(inventory.appFiles).toEqual(expect.arrayContaining(['model/MLmodel', 'model/model.onnx']));
    // And node_modules holds exactly model-server's production closure, the workspaces linked to their copies
    expect(locationsOf(inventory.packages, devOnlyPackages)).toEqual([]);
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

    // When podman reports their sizes (recorded in .system-test/model-server-image-size.json)
    const overBase = await sizeOverBase(image, baseImage, 'model-server-image-size.json');

    // Then what the service and its model add is within budget
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThanOrEqual(sizeOverBaseBudget);
  });

  itIsALeanSafeImage(projectImages.modelServer, () => image);

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
    const { stop, exitCode } = await stopWithSigterm(doomed.name);

    // Then the service shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode).toBe('0');
  });
});
