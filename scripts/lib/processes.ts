/** Child-process helpers shared by the dev stack runner and the benchmarks: start a TypeScript entry, wait, stop. */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsxCli = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

export interface StartTypeScriptOptions {
  env?: Record<string, string>;
  stdio?: StdioOptions;
  /** Restart the entry when its sources change (`tsx watch`). */
  watch?: boolean;
  /**
   * Load the entry with `node --import tsx` instead of the tsx CLI: one process instead of a tsx parent relaying
   * signals to a node child, so the entry starts sooner and receives signals itself. Ignored with `watch`.
   */
  singleProcess?: boolean;
  /** Its own process group, so a Ctrl-C on the terminal reaches only the parent, which stops it in its turn. */
  detached?: boolean;
  /** Command-line arguments for the entry. */
  args?: readonly string[];
}

/** Runs a TypeScript entry from the workspace sources (`source` export condition) in its own Node process. */
export function startTypeScript(entry: string, options: StartTypeScriptOptions = {}): ChildProcess {
  const args = options.watch
    ? [tsxCli, 'watch', '--clear-screen=false', '--conditions=source', entry]
    : options.singleProcess
      ? ['--import', 'tsx', '--conditions=source', entry]
      : [tsxCli, '--conditions=source', entry];
  args.push(...(options.args ?? []));
  return spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: options.stdio ?? 'inherit',
    detached: options.detached ?? false,
  });
}

/**
 * Polls a URL until it answers below 500.
 *
 * @returns false when `timeoutMs` passed first, or `shouldStop()` said to give up.
 */
export async function waitForHttp(url: string, timeoutMs = 30_000, shouldStop = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !shouldStop()) {
    try {
      if ((await fetch(url)).status < 500) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return false;
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(graceMs)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Whether nothing listens on `port` of `host` (the services' local default host is 127.0.0.1). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)))
      .listen(port, host);
  });
}

/** A port nothing listens on right now, for a test that must name its ports up front (another process may take it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
      .once('error', reject)
      .listen(0, host, () => {
        const address = probe.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        probe.close(() => resolve(port));
      });
  });
}

export interface CapturedProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Runs a service's process entry from the sources, as a user would, capturing its output (for process tests). */
export function startCapturedTypeScript(
  entry: string,
  env: Record<string, string> = {},
  args: readonly string[] = [],
): CapturedProcess {
  let output = '';
  const child = startTypeScript(entry, { env, args, stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { child, output: () => output };
}

/**
 * Waits until the captured output matches `pattern`.
 *
 * @throws Error with the output when the process exits first.
 */
export async function waitForOutput({ child, output }: CapturedProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited early:\n${output()}`);
    await sleep(50);
  }
}
