/**
 * Podman helpers for the system tests of the service images (services/<name>/tests/system): build on the local
 * stand-in base, run, inspect.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root (the build context of the service images). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where system tests leave what a person may want to look at afterwards (logs, screenshots); git-ignored. */
export const artifactsDir = join(repoRoot, '.system-test');
/** The project's podman wrapper (runc, project containers.conf), for tools that run podman themselves. */
export const podmanScript = join(repoRoot, 'scripts/container/podman.sh');
const standinScript = join(repoRoot, 'scripts/container/standin-base.sh');

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs podman through the project's wrapper (runc, project containers.conf) and resolves with its output and exit
 * code, whatever the code; callers decide what a failure means.
 */
export async function podman(args: string[]): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(podmanScript, args, { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; code?: number | string };
    if (typeof failure.code !== 'number') throw error;
    return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', exitCode: failure.code };
  }
}

/** Like {@link podman}, but rejects with podman's own message when it exits non-zero. */
export async function podmanOk(args: string[]): Promise<string> {
  const result = await podman(args);
  if (result.exitCode !== 0) {
    throw new Error(`podman ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** True when podman is installed; the system tests need it and say so instead of failing obscurely. */
export async function podmanAvailable(): Promise<boolean> {
  try {
    await execFileAsync('podman', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a long command (in `env`, default this process's) with its output in a log file under .system-test/ (a build
 * prints thousands of lines); rejects with the log's tail when the command fails.
 */
export async function runLogged(
  command: string,
  args: string[],
  logName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  const logPath = join(artifactsDir, logName);
  const log = createWriteStream(logPath);
  const exitCode = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
  await new Promise<void>((resolvePromise) => log.end(resolvePromise));
  if (exitCode !== 0) {
    const lines = readFileSync(logPath, 'utf8').split('\n');
    // npm follows its diagnosis with a long usage text, so the diagnosis is picked out before the tail.
    const diagnosis = lines.filter((line) => /^npm error (code|Missing|Invalid|`npm ci`)|^Error: /.test(line));
    const tail = lines.slice(-15);
    throw new Error(
      `${command} ${args.join(' ')} exited ${exitCode} (full log: ${logPath}):\n` +
        `${diagnosis.join('\n')}\n...\n${tail.join('\n')}`,
    );
  }
}

/** Imports (or reuses) the local stand-in for node:24-bookworm-slim; returns its reference. */
export async function ensureStandinBase(): Promise<string> {
  await runLogged(standinScript, [], 'standin-base.log');
  return 'localhost/node-standin:24';
}

export interface BuildImageOptions {
  /** Relative to the repository root, the build context. */
  dockerfile: string;
  tag: string;
  /** The NODE_IMAGE build argument: the base image of every stage. */
  nodeImage: string;
  /** Further build arguments. */
  buildArgs?: Record<string, string>;
  /** The build's log under .system-test/ (default: image-build.log). */
  logName?: string;
}

/** Builds a service image from the repository root with the given base image. */
export async function buildImage(options: BuildImageOptions): Promise<void> {
  const buildArgs = Object.entries({ NODE_IMAGE: options.nodeImage, ...options.buildArgs }).flatMap(([name, value]) => [
    '--build-arg',
    `${name}=${value}`,
  ]);
  await runLogged(
    podmanScript,
    [
      'build',
      '--network',
      'host',
      '--format',
      'docker',
      '--file',
      options.dockerfile,
      ...buildArgs,
      '--tag',
      options.tag,
      '.',
    ],
    options.logName ?? 'image-build.log',
  );
}

/** Image size in bytes, as podman reports it (uncompressed, all layers). */
export async function imageSize(image: string): Promise<number> {
  return Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
}

/** A loopback port nobody listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  return await new Promise<number>((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePromise(address.port);
        else reject(new Error('could not read the port of a loopback listener'));
      });
    });
  });
}

/**
 * Polls `url` until it answers 200 or `deadlineMs` passes; the error carries the last answer (or connection
 * error) and `describeFailure()` output, such as the container's logs.
 */
export async function waitFor200(
  url: string,
  deadlineMs: number,
  describeFailure: () => Promise<string>,
): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  let lastOutcome = 'no attempt';
  while (Date.now() < giveUpAt) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      lastOutcome = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      lastOutcome = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
  throw new Error(
    `${url} did not answer 200 within ${deadlineMs} ms (last: ${lastOutcome})\n${await describeFailure()}`,
  );
}
