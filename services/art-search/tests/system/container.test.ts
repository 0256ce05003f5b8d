import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMetEmulator } from '@mlms/met-emulator';
import { type Browser, chromium } from 'playwright-core';
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
import { artifactsDir, ensureStandinBase, podman, repoRoot } from '../../../../scripts/container/system-test/podman.js';
import {
  ContainerSet,
  type RunningContainer,
  requirePodman,
  sizeOverBase,
  stopWithSigterm,
} from '../../../../scripts/container/system-test/service-container.js';

// The image under test is built here from services/art-search/Dockerfile on the local stand-in base; set
// SYSTEM_TEST_IMAGE to test an image built beforehand from the same base (e.g. by deployment/app-build.sh).
// The compose test runs the same tag.
const project = projectImages.artSearch;
let image = '';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const searchTitle = 'The Death of Socrates';
const expectedImageUrl = 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg';
// Names an image must never ship: test runners, compilers, linters, browsers, and the ML workspace's runtime.
const devOnlyPackages = [
  ...devToolPackages,
  'pino-pretty',
  'onnxruntime-node',
  'onnxruntime-common',
  'ml-random-forest',
  'ml-cart',
  'protobufjs',
  '@mlms/met-emulator',
  '@mlms/housing-price-model',
];
const megabyte = 1_000_000;
// Production modules without their sources, maps, declarations and docs are about 25 MB; a dev dependency or the ML
// runtime (onnxruntime-node alone is ~290 MB) coming along would blow well past this.
const sizeOverBaseBudget = 40 * megabyte;

describe('art-search container image', () => {
  const containers = new ContainerSet('art-search-system');
  let baseImage = '';
  let metEmulator: { url: string; close(): Promise<void> } | undefined;
  let service: RunningContainer;
  let browser: Browser | undefined;

  /** Runs the image against the host's Met emulator, on a free loopback port, and waits until it is ready. */
  async function startContainer(role: string, options: string[] = []): Promise<RunningContainer> {
    if (!metEmulator) throw new Error('the Met emulator is not running');
    return await containers.start(role, image, { env: { ENV: 'local', MET_API_URL: metEmulator.url }, options });
  }

  beforeAll(async () => {
    await requirePodman('podman runc chromium');
    baseImage = await ensureStandinBase();
    image = await buildProjectImage(project, baseImage);
    metEmulator = await startMetEmulator({ port: 0 });
    service = await startContainer('main');
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await containers.removeAll();
    await metEmulator?.close();
  }, 60_000);

  it('answers a title search with the primary image URL of the best match', async () => {
    // Given the container running against the Met emulator
    const url = `${service.url}/api/search?title=${encodeURIComponent(searchTitle)}`;

    // When a client searches by title
    const response = await fetch(url);

    // Then the answer is the image URL as a JSON string
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.text()).toBe(JSON.stringify(expectedImageUrl));
  });

  itRunsHealthyAsTheNodeUser(() => service.name, 'services/art-search/dist/server.js');

  it('holds only compiled JavaScript, its config and the production dependencies of art-search', async () => {
    // Given what the lockfile says art-search needs at run time
    const allowedPackages = productionClosure(repoRoot, 'services/art-search');
    allowedPackages.add('node_modules/@mlms/art-search'); // npm's link to the workspace itself

    // When the image's /app is listed from inside the image
    const inventory = await inventoryOf(image);

    // Then our code is compiled JavaScript plus the config YAML, with no sources, maps, declarations or tests
    expect(inventory.appFiles).toContain('services/art-search/dist/server.js');
    expect(inventory.appFiles).toContain('services/art-search/dist/config/config.yaml');
    expect(inventory.appFiles).toContain('packages/service-kit/dist/index.js');
    expect(notJsJsonOrYaml(inventory.appFiles)).toEqual([]);
    expect(inSourceOrTestFolders(inventory.appFiles)).toEqual([]);
    // And node_modules holds nothing but art-search's production closure, with service-kit linked to its copy
    expect(locationsOf(inventory.packages, devOnlyPackages)).toEqual([]);
    expect(inventory.packages.filter((location) => !allowedPackages.has(location))).toEqual([]);
    expect([...allowedPackages].filter((location) => !inventory.packages.includes(location))).toEqual([]);
    expect(inventory.packages).toContain('node_modules/fastify');
    expect(inventory.links['node_modules/@mlms/service-kit']).toBe('/app/packages/service-kit');
  });

  it('stays within its size budget over the base image', async () => {
    // Given the image and the base it was built on

    // When podman reports their sizes (recorded in .system-test/image-size.json)
    const overBase = await sizeOverBase(image, baseImage, 'image-size.json');

    // Then what the service adds is small
    expect(overBase).toBeGreaterThan(0);
    expect(overBase).toBeLessThanOrEqual(sizeOverBaseBudget);
  });

  itIsALeanSafeImage(project, () => image);

  it('runs on a read-only root filesystem with a tmpfs /tmp, logging JSON lines though ENV=local asks for pretty', async () => {
    // Given a container whose root filesystem cannot be written (ENV=local: logPretty, but no pino-pretty in the image)
    const readOnly = await startContainer('read-only', ['--read-only', '--tmpfs', '/tmp']);

    // When a client searches by title
    const response = await fetch(`${readOnly.url}/api/search?title=${encodeURIComponent(searchTitle)}`);

    // Then it became ready and answers as usual, and said once that it logs JSON lines instead
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(JSON.stringify(expectedImageUrl));
    const logs = await podman(['logs', readOnly.name]);
    const warnings = `${logs.stdout}${logs.stderr}`.split('\n').filter((line) => line.includes('pino-pretty'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, name: 'art-search' });
  });

  it('serves the docs without upgrade-insecure-requests, which blanks them on plain-HTTP hosts', async () => {
    // Given the running container, which speaks plain HTTP as it will behind `docker run -p 80:8080`

    // When the docs page is fetched
    const response = await fetch(`${service.url}/docs`);

    // Then its CSP keeps the UI's scripts on the page's own scheme
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });

  it('runs a search from Swagger UI once "Try it out" is clicked', async () => {
    // Given headless Chromium on the docs page, with the search operation expanded
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${service.url}/docs`);
    const operation = page
      .locator('.opblock-get')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/api/search"]') });
    await operation.locator('.opblock-summary').click();

    // When the user clicks "Try it out", types a title and clicks "Execute"
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('input[placeholder="title"]').fill(searchTitle);
    await operation.getByRole('button', { name: 'Execute' }).click();
    const responseBody = operation.locator('.live-responses-table .response-col_description .highlight-code pre');
    await responseBody.first().waitFor();
    await responseBody.first().scrollIntoViewIfNeeded();
    mkdirSync(artifactsDir, { recursive: true });
    await operation.screenshot({ path: join(artifactsDir, 'art-search-swagger-try-it-out.png') });

    // Then the response panel shows status 200 and the image URL
    const status = await operation
      .locator('.live-responses-table tr.response .response-col_status')
      .first()
      .textContent();
    expect(status?.trim()).toBe('200');
    expect(await responseBody.first().textContent()).toContain(expectedImageUrl);
  });

  it('stops with exit code 0 when podman sends SIGTERM', async () => {
    // Given a second container of the image, ready
    const doomed = await startContainer('sigterm');

    // When podman stops it, allowing 10 s before it would resort to SIGKILL
    const { stop, exitCode } = await stopWithSigterm(doomed.name);

    // Then the service shut down by itself, cleanly
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(exitCode).toBe('0');
  });
});
