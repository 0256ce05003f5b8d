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
import { ensureStandinBase, freeLoopbackPort, repoRoot } from '../../../../scripts/container/system-test/podman.js';
import {
  ContainerSet,
  type RunningContainer,
  type RunOptions,
  requirePodman,
  sizeOverBase,
  stopWithSigterm,
} from '../../../../scripts/container/system-test/service-container.js';
import { sampleObjects } from '../../src/index.js';

// The image under test is built here from tools/met-emulator/Dockerfile on the local stand-in base; set
// MET_EMULATOR_SYSTEM_TEST_IMAGE to test an image built beforehand from the same base. The compose test runs it too.
const project = projectImages.metEmulator;
let image = '';

const api = '/public/collection/v1';
const health = '/__emulator/health';
const deathOfSocrates = { objectID: 436105, title: 'The Death of Socrates' };
// Names the image must never ship: the services, the kit (and its pretty printer), the ML runtime.
const devOnlyPackages = [
  ...devToolPackages,
  'pino-pretty',
  'onnxruntime-node',
  '@mlms/service-kit',
  '@mlms/art-search',
  '@mlms/housing-price-model',
];
const megabyte = 1_000_000;
// Fastify and zod without their sources, maps and declarations are about 15 MB; the records under 1 MB.
const sizeOverBaseBudget = 25 * megabyte;

describe('met-emulator container image', () => {
  const containers = new ContainerSet('met-emulator-system');
  let baseImage = '';
  let emulator: RunningContainer;

  /** Runs the image on a free loopback port and waits until its admin health route answers (it has no /health). */
  async function startEmulator(role: string, options: RunOptions = {}): Promise<RunningContainer> {
    const container = await containers.run(role, image, options);
    await containers.waitUntil200(container, health);
    return container;
  }

  beforeAll(async () => {
    await requirePodman();
    baseImage = await ensureStandinBase();
    image = await buildProjectImage(project, baseImage);
    emulator = await startEmulator('main');
  }, 900_000);

  afterAll(async () => {
    await containers.removeAll();
  }, 60_000);

  it('answers a title search and the record it finds, from the bundled collection', async () => {
    // Given the container, listening on PORT on every interface as the image sets it up

    // When a client searches titles as art-search does, then fetches the first hit
    const search = await fetch(
      `${emulator.url}${api}/search?q=${encodeURIComponent(deathOfSocrates.title)}&title=true&hasImages=true`,
    );
    const { objectIDs } = (await search.json()) as { total: number; objectIDs: number[] | null };
    const record = await fetch(`${emulator.url}${api}/objects/${deathOfSocrates.objectID}`);

    // Then the painting is found, with its record as the repository holds it
    expect(search.status).toBe(200);
    expect(objectIDs).toContain(deathOfSocrates.objectID);
    expect(record.status).toBe(200);
    expect(await record.json()).toEqual(sampleObjects.find((object) => object.objectID === deathOfSocrates.objectID));
  });

  itRunsHealthyAsTheNodeUser(() => emulator.name, 'tools/met-emulator/dist/main.js');

  itIsALeanSafeImage(project, () => image);

  it('holds only compiled JavaScript, the collection JSON and the production dependencies of the emulator', async () => {
    // Given what the lockfile says the emulator needs at run time
    const expectedPackages = productionClosure(repoRoot, 'tools/met-emulator');
    expectedPackages.add('node_modules/@mlms/met-emulator'); // npm's link to the workspace itself

    // When the image's /app is listed from inside the image
    const inventory = await inventoryOf(image);

    // Then the code is compiled JavaScript plus the bundled records (no sources, docs or tests)
    expect(inventory.appFiles).toEqual(
      expect.arrayContaining([
        'tools/met-emulator/dist/main.js',
        'tools/met-emulator/dist/collection/objects.json',
        'tools/met-emulator/dist/collection/departments.json',
      ]),
    );
    expect(inventory.appFiles.filter((file) => !file.startsWith('tools/met-emulator/'))).toEqual([]);
    expect(notJsJsonOrYaml(inventory.appFiles)).toEqual([]);
    expect(inSourceOrTestFolders(inventory.appFiles)).toEqual([]);
    // And node_modules holds exactly the emulator's production closure
    expect(locationsOf(inventory.packages, devOnlyPackages)).toEqual([]);
    expect(inventory.packages.filter((location) => !expectedPackages.has(location))).toEqual([]);
    expect([...expectedPackages].filter((location) => !inventory.packages.includes(location))).toEqual([]);
  });

  it('stays within its size budget over the base image', async () => {
    // Given the image and the base it was built on

    // When podman reports their sizes (recorded in .system-test/met-emulator-image-size.json)
    const overBase = await sizeOverBase(image, baseImage, 'met-emulator-image-size.json');

    // Then what the emulator adds is small
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThanOrEqual(sizeOverBaseBudget);
  });

  it('listens on MET_EMULATOR_PORT over PORT, on a read-only root filesystem with a tmpfs /tmp', async () => {
    // Given a container told two ports, whose root filesystem cannot be written
    const port = await freeLoopbackPort();
    const readOnly = await containers.run('read-only', image, {
      env: { MET_EMULATOR_PORT: String(port) },
      options: ['--read-only', '--tmpfs', '/tmp'],
    });
    const onEmulatorPort = { ...readOnly, url: `http://127.0.0.1:${port}` };

    // When it is asked for the departments on the emulator's own port
    await containers.waitUntil200(onEmulatorPort, health);
    const response = await fetch(`${onEmulatorPort.url}${api}/departments`);

    // Then it answers there, as usual
    expect(response.status).toBe(200);
    expect(((await response.json()) as { departments: unknown[] }).departments).toHaveLength(19);
  });

  it('stops with exit code 0 when podman sends SIGTERM', async () => {
    // Given another container of the image, answering
    const doomed = await startEmulator('sigterm');

    // When podman stops it, allowing 10 s before it would resort to SIGKILL
    const { stop, exitCode } = await stopWithSigterm(doomed.name);

    // Then the emulator shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode).toBe('0');
  });
});
