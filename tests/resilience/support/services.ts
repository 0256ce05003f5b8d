/**
 * Real service processes for the resilience tests: each runs its process entry from the sources (one Node process,
 * so a signal reaches the server itself and its PID is the server's), on a port the test names, with its
 * configuration's `local` section plus the overrides a scenario needs, written to a temporary CONFIG_FILE.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { freePort, repoRoot, startTypeScript } from '../../../scripts/lib/processes.js';

export type ServiceName = 'art-search' | 'model-server' | 'price-orchestrator' | 'met-emulator';

const ENTRIES: Record<ServiceName, string> = {
  'art-search': 'services/art-search/src/server.ts',
  'model-server': 'services/model-server/src/server.ts',
  'price-orchestrator': 'services/price-orchestrator/src/server.ts',
  'met-emulator': 'tools/met-emulator/src/main.ts',
};

/** What says a process is ready to serve: the services' readiness probe, the emulator's admin health route. */
const READY_PATHS: Record<ServiceName, string> = {
  'art-search': '/health/ready',
  'model-server': '/health/ready',
  'price-orchestrator': '/health/ready',
  'met-emulator': '/__emulator/health',
};

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `performance.now()` when the exit was seen. */
  at: number;
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** The last part of what the process wrote, for failure messages. */
  output(): string;
  exited: Promise<Exit>;
  alive(): boolean;
  /** SIGKILL if still running, and wait for the exit. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Merged over the `local` section of the service's config.yaml (nested blocks key by key). */
  config?: Record<string, unknown>;
  port?: number;
  readyTimeoutMs?: number;
}

const OUTPUT_TAIL = 20_000;

/** Starts a service from its sources and waits until it answers its readiness path with 200. */
export async function startService(name: ServiceName, options: StartOptions = {}): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    ENV: 'local',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    ...options.env,
  };
  if (name === 'met-emulator') env.MET_EMULATOR_PORT = String(port);
  if (options.config) env.CONFIG_FILE = await configFile(name, options.config);
  const child = startTypeScript(ENTRIES[name], { env, singleProcess: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    name,
    child,
    pid: child.pid as number,
    port,
    url,
    output: () => output,
    exited,
    alive,
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${name} exited before it was ready:\n${output}`);
    try {
      if ((await fetch(url + READY_PATHS[name])).status === 200) return service;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  await service.kill();
  throw new Error(`${name} was not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
}

let scratch: string | undefined;

/** A temporary directory for this test file's configuration files; `removeScratch` deletes it. */
async function scratchDir(): Promise<string> {
  scratch ??= await mkdtemp(join(tmpdir(), 'resilience-'));
  return scratch;
}

export async function removeScratch(): Promise<void> {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
}

/**
 * The service's `local` section with the overrides merged in, as a one-environment YAML file: keys without a
 * `${VAR}` placeholder (the deadline, the grace, upstream limits) can only be changed this way, and the placeholders
 * that stay are still resolved from the environment.
 */
async function configFile(name: ServiceName, overrides: Record<string, unknown>): Promise<string> {
  if (name === 'met-emulator') throw new Error('the emulator is configured with flags and environment variables');
  const source = join(repoRoot, 'services', name, 'src/config/config.yaml');
  const document = parse(await readFile(source, 'utf8'), { merge: true }) as Record<string, Record<string, unknown>>;
  const local = mergeDeep(document.local as Record<string, unknown>, overrides);
  const file = join(await scratchDir(), `${name}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ local }));
  return file;
}

function mergeDeep(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = result[key];
    result[key] =
      isRecord(current) && isRecord(value) ? mergeDeep(current, value) : (value as Record<string, unknown>[string]);
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resident set size of a process, read by the OS (Linux /proc, else ps), in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: ask ps.
  }
  const { execFileSync } = await import('node:child_process');
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) * 1024
  );
}

/** Megabytes with one decimal, for the summary lines. */
export const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
