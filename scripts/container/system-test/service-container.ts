/**
 * What the system tests of the service images do alike with a running container: start it on a free loopback port
 * and wait for it, keep its logs and remove it afterwards, and ask podman the facts each test checks (HEALTHCHECK,
 * process user, SIGTERM exit, size over the base image).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  artifactsDir,
  type CommandResult,
  freeLoopbackPort,
  imageSize,
  podman,
  podmanAvailable,
  podmanOk,
  waitFor200,
} from './podman.js';

export interface RunningContainer {
  name: string;
  url: string;
}

export interface RunOptions {
  /** The loopback port the service listens on (PORT); default: a free one. */
  port?: number;
  /** Environment besides PORT and HOST (127.0.0.1). */
  env?: Record<string, string>;
  /** Further `podman run` options (volumes, --read-only, ...). */
  options?: string[];
}

/** Fails the run at once, naming what to install, when podman is missing. */
export async function requirePodman(packages = 'podman runc'): Promise<void> {
  if (!(await podmanAvailable())) {
    throw new Error(`podman is not installed; run scripts/system-deps.sh (apt-get install -y ${packages})`);
  }
}

/**
 * The containers one test file starts, named `<prefix>-<pid>-<role>`, on the host network; {@link removeAll} keeps
 * each one's logs under .system-test/ and removes it.
 */
export class ContainerSet {
  private readonly names: string[] = [];

  constructor(private readonly prefix: string) {}

  /** Runs `image` detached, listening on the loopback; does not wait for it. */
  async run(role: string, image: string, { port, env = {}, options = [] }: RunOptions = {}): Promise<RunningContainer> {
    const name = `${this.prefix}-${process.pid}-${role}`;
    const listenPort = port ?? (await freeLoopbackPort());
    this.names.push(name);
    const environment = Object.entries({ PORT: String(listenPort), HOST: '127.0.0.1', ...env }).flatMap(
      ([key, value]) => ['--env', `${key}=${value}`],
    );
    await podmanOk(['run', '--detach', '--name', name, '--network', 'host', ...environment, ...options, image]);
    return { name, url: `http://127.0.0.1:${listenPort}` };
  }

  /** Waits up to 30 s for `path` to answer 200; the error carries the container's logs. */
  async waitUntil200(container: RunningContainer, path: string): Promise<void> {
    await waitFor200(`${container.url}${path}`, 30_000, async () => {
      const logs = await podman(['logs', container.name]);
      return `logs of ${container.name}:\n${logs.stdout}${logs.stderr}`;
    });
  }

  /** Runs `image` and waits until it is ready (/health/ready answers 200). */
  async start(role: string, image: string, options: RunOptions = {}): Promise<RunningContainer> {
    const container = await this.run(role, image, options);
    await this.waitUntil200(container, '/health/ready');
    return container;
  }

  /** Writes each container's logs to .system-test/<name>.log and removes it. */
  async removeAll(): Promise<void> {
    mkdirSync(artifactsDir, { recursive: true });
    for (const name of this.names) {
      const logs = await podman(['logs', name]);
      writeFileSync(join(artifactsDir, `${name}.log`), `${logs.stdout}${logs.stderr}`);
      await podman(['rm', '--force', name]);
    }
  }
}

/** The image's HEALTHCHECK run by hand (no systemd here, so podman never schedules it), and the status it leaves. */
export async function runHealthcheck(name: string): Promise<{ check: CommandResult; status: string }> {
  const check = await podman(['healthcheck', 'run', name]);
  const status = await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', name]);
  return { check, status: status.trim() };
}

/** The user running the process whose arguments contain `command` (`podman top`), and the uid of a new process. */
export async function containerUsers(
  name: string,
  command: string,
): Promise<{ serviceUser: string | undefined; execUid: string }> {
  const top = await podmanOk(['top', name, 'user', 'args']);
  const uid = await podmanOk(['exec', name, 'id', '-u']);
  const serviceProcess = top.split('\n').find((line) => line.includes(command));
  return { serviceUser: serviceProcess?.trim().split(/\s+/)[0], execUid: uid.trim() };
}

/** `podman stop` (SIGTERM, SIGKILL only after 10 s), and the exit code the container then had. */
export async function stopWithSigterm(name: string): Promise<{ stop: CommandResult; exitCode: string }> {
  const stop = await podman(['stop', '--time', '10', name]);
  const exitCode = await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name]);
  return { stop, exitCode: exitCode.trim() };
}

const megabyte = 1_000_000;

/** Bytes `image` adds over `baseImage`, as podman reports them; recorded in .system-test/`reportName` and logged. */
export async function sizeOverBase(image: string, baseImage: string, reportName: string): Promise<number> {
  const size = await imageSize(image);
  const base = await imageSize(baseImage);
  const overBase = size - base;
  const report = { image, size, baseImage, baseSize: base, overBase };
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(join(artifactsDir, reportName), `${JSON.stringify(report, null, 2)}\n`);
  console.info(
    `image ${image}: ${(size / megabyte).toFixed(1)} MB; ` +
      `base ${baseImage}: ${(base / megabyte).toFixed(1)} MB; over base: ${(overBase / megabyte).toFixed(1)} MB`,
  );
  return overBase;
}

/** POSTs `body` as JSON, giving up after 10 s. */
export async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

/** What `podman image inspect` says about an image's metadata: its labels, user and HEALTHCHECK. */
export interface ImageMetadata {
  labels: Record<string, string>;
  /** The USER the image runs as (`uid:gid`), empty when it runs as root. */
  user: string;
  /** The HEALTHCHECK command (`["CMD", ...]`), undefined when the image declares none. */
  healthcheck: string[] | undefined;
}

export async function imageMetadata(image: string): Promise<ImageMetadata> {
  const output = await podmanOk([
    'image',
    'inspect',
    '--format',
    '{"labels":{{json .Config.Labels}},"user":{{json .Config.User}},"healthcheck":{{json .HealthCheck}}}',
    image,
  ]);
  const parsed = JSON.parse(output) as {
    labels: Record<string, string> | null;
    user: string | null;
    healthcheck: { Test?: string[] } | null;
  };
  return { labels: parsed.labels ?? {}, user: parsed.user ?? '', healthcheck: parsed.healthcheck?.Test ?? undefined };
}

/** The OCI labels every project image carries, with the values its build was given. */
export function expectedOciLabels(title: string, values: { VERSION: string; REVISION: string; SOURCE_URL: string }) {
  return {
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.version': values.VERSION,
    'org.opencontainers.image.revision': values.REVISION,
    'org.opencontainers.image.source': values.SOURCE_URL,
  };
}

/** A numeric `uid[:gid]` other than 0: what orchestrators need to verify runAsNonRoot without reading /etc/passwd. */
export function isNumericNonRootUser(user: string): boolean {
  const match = /^(\d+)(:\d+)?$/.exec(user);
  return match !== null && Number(match[1]) !== 0;
}
