/**
 * The services and floors a bench measures, each in its own Node process started from the TypeScript sources, and
 * stopped together at the end however the bench ends.
 */
import type { ChildProcess } from 'node:child_process';
import { startTypeScript, stopChild, waitForHttp } from '../../lib/processes.js';

const READY_WITHIN_MS = 60_000;
const STOP_GRACE_MS = 5000;

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

export class BenchProcesses {
  private readonly children: ChildProcess[] = [];

  /**
   * Starts `entry` and resolves once `readyUrl` answers below 500. It runs as one process (no tsx wrapper), so its
   * pid's CPU time is the server's own; its logs are produced (and paid for) but go nowhere.
   *
   * @throws Error when something already answers at `readyUrl` (it would be measured instead), or when the process
   *   exits or does not answer within a minute.
   */
  async start(entry: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
    if (await answers(readyUrl)) {
      throw new Error(`${readyUrl} answers before ${entry} started: the port is taken (choose others with --port)`);
    }
    const child = startTypeScript(entry, { env, stdio: ['ignore', 'ignore', 'inherit'], singleProcess: true });
    this.children.push(child);
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    if (!(await waitForHttp(readyUrl, READY_WITHIN_MS, exited))) {
      throw new Error(
        `${entry} ${exited() ? 'exited' : `did not answer within ${READY_WITHIN_MS / 1000} s`} (${readyUrl})`,
      );
    }
    return child;
  }

  /** Stops one process before the others (a bench that measures servers one after another). */
  stop(child: ChildProcess): Promise<void> {
    return stopChild(child, STOP_GRACE_MS);
  }

  /** Stops every process started here. */
  async stopAll(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child, STOP_GRACE_MS)));
  }
}
