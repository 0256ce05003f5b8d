import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_HOUSE } from '../../../services/price-orchestrator/src/views/house-fields.js';
import { buildProjectImage, imageRef, projectImages } from './images.js';
import { ensureDefaultModelDir } from './model-server-image.js';
import {
  artifactsDir,
  ensureStandinBase,
  freeLoopbackPort,
  podman,
  podmanOk,
  podmanScript,
  repoRoot,
  runLogged,
  waitFor200,
} from './podman.js';
import { postJson, requirePodman, runHealthcheck } from './service-container.js';

const execFileAsync = promisify(execFile);

// deploy/compose.yaml brought up for real with podman-compose 1.0.3 (Debian 12's), on the images the other system
// tests build (same tags: a second build is a cache hit), on the project's bridge network, with published ports.
// podman-compose 1.0.3 knows no `profiles` (it would start both art-search variants), so the local profile's services
// are named; it ignores `depends_on` conditions and Podman cannot run HEALTHCHECK timers without systemd, so the test
// waits on the published health routes itself and runs each compose healthcheck once by hand.
const composeFile = join(repoRoot, 'deploy/compose.yaml');
const project = `mlms-compose-${process.pid}`;
const localProfileServices = ['met-emulator', 'art-search-local', 'price-orchestrator'];
// Every service of the local profile, with what podman-compose names its container.
const containers = ['model-server', ...localProfileServices].map((service) => `${project}_${service}_1`);

const searchTitle = 'The Death of Socrates';
const expectedImageUrl = 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg';
const upDeadlineMs = 90_000;

interface ComposeService {
  image: string;
  build: { context: string; dockerfile: string; args: Record<string, string> };
  ports: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[] };
  read_only: boolean;
  tmpfs: string[];
}

/** How the compose file spells a variable with a default: `${NAME:-fallback}`. */
function variable(name: string, fallback: string): string {
  return `\${${name}:-${fallback}}`;
}

async function podmanComposeAvailable(): Promise<boolean> {
  try {
    await execFileAsync('podman-compose', ['version']);
    return true;
  } catch {
    return false;
  }
}

describe('deploy/compose.yaml, local profile, with podman-compose', () => {
  const ports = { artSearch: 0, orchestrator: 0, modelServer: 0, emulator: 0 };
  let composeEnv: NodeJS.ProcessEnv = {};

  /** podman-compose on the project's podman wrapper, this run's project name and ports. */
  async function compose(args: string[], logName: string): Promise<void> {
    await runLogged(
      'podman-compose',
      ['--podman-path', podmanScript, '--file', composeFile, '--project-name', project, ...args],
      logName,
      composeEnv,
    );
  }

  async function logsOf(names: string[]): Promise<string> {
    const parts: string[] = [];
    for (const name of names) {
      const logs = await podman(['logs', name]);
      parts.push(`--- ${name}:\n${logs.stdout}${logs.stderr}`);
    }
    return parts.join('\n');
  }

  beforeAll(async () => {
    await requirePodman();
    if (!(await podmanComposeAvailable())) {
      throw new Error(
        'podman-compose is not installed; run scripts/system-deps.sh (apt-get install -y podman-compose)',
      );
    }
    const baseImage = await ensureStandinBase();
    await ensureDefaultModelDir();
    for (const image of Object.values(projectImages)) await buildProjectImage(image, baseImage);

    // Free ports instead of the defaults, so a developer's `npm start` or another run cannot collide.
    const taken = new Set<number>();
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) {
      let port = await freeLoopbackPort();
      while (taken.has(port)) port = await freeLoopbackPort();
      taken.add(port);
      ports[key] = port;
    }
    composeEnv = {
      ...process.env,
      ART_SEARCH_IMAGE: imageRef(projectImages.artSearch),
      MODEL_SERVER_IMAGE: imageRef(projectImages.modelServer),
      PRICE_ORCHESTRATOR_IMAGE: imageRef(projectImages.priceOrchestrator),
      MET_EMULATOR_IMAGE: imageRef(projectImages.metEmulator),
      NODE_IMAGE: baseImage,
      ART_SEARCH_PORT: String(ports.artSearch),
      PRICE_ORCHESTRATOR_PORT: String(ports.orchestrator),
      MODEL_SERVER_PORT: String(ports.modelServer),
      MET_EMULATOR_PORT: String(ports.emulator),
    };

    // The images exist, so podman-compose builds nothing (it builds only a missing image).
    await compose(['up', '--detach', ...localProfileServices], 'compose-up.log');
    const ready = [
      `http://127.0.0.1:${ports.emulator}/__emulator/health`,
      `http://127.0.0.1:${ports.modelServer}/health/ready`,
      `http://127.0.0.1:${ports.artSearch}/health/ready`,
      `http://127.0.0.1:${ports.orchestrator}/health/ready`,
    ];
    for (const url of ready) await waitFor200(url, upDeadlineMs, () => logsOf(containers));
  }, 900_000);

  afterAll(async () => {
    // Always down, whatever happened above; the logs are kept first, and the project network, which
    // podman-compose 1.0.3 leaves behind, goes too.
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, `${project}.log`), await logsOf(containers));
    try {
      await compose(['down'], 'compose-down.log');
    } finally {
      for (const name of containers) await podman(['rm', '--force', name]);
      await podman(['network', 'rm', '--force', `${project}_default`]);
    }
  }, 120_000);

  it('declares what Docker Compose needs: builds from the root, profiles, ports, health-gated start order', () => {
    // Given the compose file as Docker Compose reads it (YAML merge keys resolved)
    const { services } = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };

    // Then every service builds from its Dockerfile with the repository root as context and an overridable base
    const dockerfiles = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [name, service.build.dockerfile]),
    );
    expect(dockerfiles).toEqual({
      'model-server': 'services/model-server/Dockerfile',
      'price-orchestrator': 'services/price-orchestrator/Dockerfile',
      'art-search': 'services/art-search/Dockerfile',
      'met-emulator': 'tools/met-emulator/Dockerfile',
      'art-search-local': 'services/art-search/Dockerfile',
    });
    for (const service of Object.values(services)) {
      expect(service.build.context).toBe('..');
      expect(service.build.args.NODE_IMAGE).toBe(variable('NODE_IMAGE', 'node:24-bookworm-slim'));
      expect(service.healthcheck.test[0]).toBe('CMD-SHELL');
      expect([service.read_only, service.tmpfs]).toEqual([true, ['/tmp']]);
    }
    // And the default published ports are art-search 8000, orchestrator 8001, model server 8080, emulator 8090
    expect(services['art-search']?.ports).toEqual([`${variable('ART_SEARCH_PORT', '8000')}:8080`]);
    expect(services['art-search-local']?.ports).toEqual([`${variable('ART_SEARCH_PORT', '8000')}:8080`]);
    expect(services['price-orchestrator']?.ports).toEqual([`${variable('PRICE_ORCHESTRATOR_PORT', '8001')}:8080`]);
    expect(services['model-server']?.ports).toEqual([`${variable('MODEL_SERVER_PORT', '8080')}:8080`]);
    expect(services['met-emulator']?.ports).toEqual([`${variable('MET_EMULATOR_PORT', '8090')}:8090`]);
    // And the emulator and the art-search pointed at it make the local profile; the real Met's art-search is online
    expect(services['met-emulator']?.profiles).toEqual(['local']);
    expect(services['art-search-local']?.profiles).toEqual(['local']);
    expect(services['art-search-local']?.environment?.MET_API_URL).toBe('http://met-emulator:8090');
    expect(services['art-search']?.profiles).toEqual(['online']);
    expect(services['art-search']?.environment?.ENV).toBe('prod');
    // And a service starts once what it calls is healthy
    expect(services['price-orchestrator']?.depends_on).toEqual({ 'model-server': { condition: 'service_healthy' } });
    expect(services['art-search-local']?.depends_on).toEqual({ 'met-emulator': { condition: 'service_healthy' } });
  });

  it('answers an art search through the published art-search port, from the emulator', async () => {
    // Given the local profile up (art-search on the emulator, over the compose network)

    // When a client searches by title on the host's port
    const response = await fetch(
      `http://127.0.0.1:${ports.artSearch}/api/search?title=${encodeURIComponent(searchTitle)}`,
    );

    // Then the answer is the image URL of the best match
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(JSON.stringify(expectedImageUrl));
  });

  it('prices the example house through the published orchestrator port, scored by the model server', async () => {
    // Given the model server's model version, asked on its published port
    const metadata = await fetch(`http://127.0.0.1:${ports.modelServer}/v2/models/housing-price`);
    const { versions } = (await metadata.json()) as { versions: string[] };

    // When a client asks the orchestrator for the example house's price
    const response = await postJson(`http://127.0.0.1:${ports.orchestrator}/api/v1/price/predict`, EXAMPLE_HOUSE);

    // Then the house is priced by that model, in dollars and cents
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: unknown; predictedPrice: number; modelVersion: string };
    expect(body.id).toBe(EXAMPLE_HOUSE.id);
    expect(body.modelVersion).toBe(versions[0]);
    expect(body.predictedPrice).toBeGreaterThan(10_000);
    expect(body.predictedPrice).toBeLessThan(1_000_000);
  });

  it("passes every service's compose healthcheck, on a read-only root filesystem", async () => {
    // Given the four containers (no systemd here, so podman never schedules the checks itself)
    const outcomes: Record<string, { exitCode: number; status: string; readOnly: string }> = {};

    // When each compose healthcheck is run by hand
    for (const name of containers) {
      const { check, status } = await runHealthcheck(name);
      const readOnly = (await podmanOk(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', name])).trim();
      outcomes[name] = { exitCode: check.exitCode, status, readOnly };
    }

    // Then each passes and marks its container healthy, and none can write its root filesystem
    expect(outcomes).toEqual(
      Object.fromEntries(containers.map((name) => [name, { exitCode: 0, status: 'healthy', readOnly: 'true' }])),
    );
  });
});
