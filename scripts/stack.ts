/**
 * `npm start`: runs the system locally on its offline defaults (ENV=local) from the TypeScript sources: the Met
 * emulator, art-search, the default housing price model (trained on first use), the model server and the price
 * orchestrator, each started once what it needs is ready (the two chains side by side), then one table of URLs.
 * `npm start -- <service> ...` runs only those and what they need; `npm run dev` (`--watch`) restarts a service when
 * its code changes; `--help` lists the names and settings. Ctrl-C or SIGTERM stops the services, dependents first.
 *
 * Each service logs to .cache/stack/<name>.log (STACK_LOG_DIR); its lines are also shown, tagged `[name]`, once the
 * table is out, so the table is never interleaved with them, on a terminal or in a file.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortFree, repoRoot, startTypeScript, waitForHttp } from './lib/processes.js';
import {
  formatSeconds,
  formatTable,
  formatTail,
  LineSplitter,
  LogTail,
  paint,
  prefixLine,
  type TableRow,
} from './lib/stack-output.js';
import {
  checkDistinctPorts,
  dependentsOf,
  type ModelStep,
  parseStackArgs,
  type ServiceStep,
  type StackStep,
  StackUsageError,
  selectSteps,
  serviceNames,
  stackSteps,
  usage,
} from './lib/stack-plan.js';

/** A child process of the stack (a service, or the trainer) with its log file and the tail of its output. */
interface Launched {
  name: string;
  child: ChildProcess;
  logPath: string;
  tail: LogTail;
  /** Settles once the process has exited and its output is read to the end. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isClosed: () => boolean;
}

/** A step that failed and was already reported, so the steps waiting on it give up quietly. */
class StepFailed extends Error {}

const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const logDir = process.env.STACK_LOG_DIR || join(repoRoot, '.cache', 'stack');
const readyTimeoutMs = Number(process.env.STACK_READY_TIMEOUT_MS || 60_000);
const stopTimeoutMs = Number(process.env.STACK_STOP_TIMEOUT_MS || 10_000);
const startedAt = performance.now();

let phase: 'starting' | 'up' | 'stopping' = 'starting';
/** Set once the table is out: from then on the services' lines are shown, tagged. */
let streaming = false;
let watch = false;
let selected: StackStep[] = [];
let tagWidth = 0;
const launched = new Map<string, Launched>();
const rows = new Map<string, TableRow>();
const logStreams: WriteStream[] = [];

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' ? '.' : inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}

async function main(): Promise<void> {
  let steps: StackStep[];
  let names: string[];
  try {
    steps = stackSteps(process.env);
    const args = parseStackArgs(process.argv.slice(2));
    if (args.help) {
      out(usage(steps));
      return;
    }
    watch = args.watch;
    names = args.names;
    selected = selectSteps(steps, names, serviceNames(steps));
    checkDistinctPorts(selected);
  } catch (error) {
    if (!(error instanceof StackUsageError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n\n${usage(stackSteps({}))}\n`);
    process.exit(2);
  }

  const services = selected.filter((step): step is ServiceStep => step.kind === 'service');
  const taken = [];
  for (const service of services) if (!(await isPortFree(service.port))) taken.push(service);
  if (taken.length > 0) {
    for (const service of taken) {
      process.stderr.write(
        `npm start: port ${service.port} for ${service.name} is already in use (is another \`npm start\` running?). ` +
          `Stop what listens there, or choose another port with ${service.portVariable}.\n`,
      );
    }
    process.exit(1);
  }

  mkdirSync(logDir, { recursive: true });
  tagWidth = Math.max(...selected.map((step) => step.name.length));
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by npm/tsx), and a second
  // signal without a handler would kill it before it has stopped the services.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // A closed stdout (`npm start | head`) must not take the stack down mid-stop.
  process.stdout.on('error', () => {});
  watchLaunchers();

  out(
    `npm start: ${selected.map((step) => step.name).join(', ')} (ENV=local${watch ? ', watching for changes' : ''}; ` +
      `logs in ${shown(logDir)}/)`,
  );
  // Every step waits for what it needs, so the independent chains (emulator → art-search, model → model server →
  // orchestrator) start side by side.
  const done = new Map<string, Promise<string | undefined>>();
  for (const step of selected) {
    const needs = step.needs.map((need) => done.get(need) as Promise<string | undefined>);
    done.set(
      step.name,
      Promise.all(needs).then((values) => runStep(step, values)),
    );
  }
  const results = await Promise.allSettled(done.values());
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    if (!(failure.reason instanceof StepFailed)) {
      process.stderr.write(`npm start: ${(failure.reason as Error).stack ?? failure.reason}\n`);
      await shutdown(1);
    }
    return;
  }
  // The services log the readiness probe's request just after answering it: let those lines reach the log files
  // before the table, rather than be the first ones shown under it.
  await sleep(100);
  if (phase !== 'starting') return;
  phase = 'up';
  printTable();
  streaming = true;
}

/**
 * Stops the stack when a process above it is gone. npm passes a SIGTERM on to the shell it runs the script in, and
 * that shell exits without passing it to tsx (npm/cli#5776): without this, `kill <npm>` would leave every service
 * running with nobody to stop it. Watches the parent (tsx) and its parent (that shell, or whatever ran tsx).
 */
function watchLaunchers(): void {
  if (process.platform === 'win32') return;
  let grandparent: number;
  try {
    grandparent = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(process.ppid)], { encoding: 'utf8' }).trim());
  } catch {
    return;
  }
  const watched = [process.ppid, grandparent].filter((pid) => Number.isInteger(pid) && pid > 1);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  setInterval(() => {
    const gone = watched.find((pid) => !alive(pid));
    if (gone !== undefined && phase !== 'stopping') {
      out(`npm start: the process that started this one (pid ${gone}) is gone; stopping`);
      void shutdown(0);
    }
  }, 500).unref();
}

/** Runs one step once its needs are ready; resolves with the model directory for the model step. */
async function runStep(step: StackStep, needs: (string | undefined)[]): Promise<string | undefined> {
  if (phase === 'stopping') throw new StepFailed();
  if (step.kind === 'model') return runModel(step);
  const modelDir = step.needs.includes('model') ? needs[step.needs.indexOf('model')] : undefined;
  await runService(step, modelDir);
  return undefined;
}

async function runModel(step: ModelStep): Promise<string> {
  const row = (url: string, status: string) => rows.set(step.name, { service: step.name, url, docs: '-', status });
  if (step.modelUri !== undefined) {
    row(step.modelUri, 'from MODEL_URI');
    return step.modelUri;
  }
  // Imported here: only this step needs the model package (and ONNX Runtime).
  const { DEFAULT_MODEL_DIR, isModelDirectory } = await import('@mlms/housing-price-model');
  if (await isModelDirectory(DEFAULT_MODEL_DIR)) {
    row(shown(DEFAULT_MODEL_DIR), 'reused');
    return DEFAULT_MODEL_DIR;
  }
  // Trained in a child process: the forest's threads and the ONNX export would otherwise hold this process's event
  // loop, which reads the services' output and answers Ctrl-C.
  out(
    `${prefixLine(step.name, tagWidth, `no current default model in ${shown(DEFAULT_MODEL_DIR)}: training it`, color)}`,
  );
  const started = performance.now();
  const trainer = launch(step.name, 'ml/housing-price-model/src/cli/train-default.ts', {}, true);
  const { code, signal } = await trainer.closed;
  if (phase === 'stopping') throw new StepFailed();
  if (code !== 0 || !(await isModelDirectory(DEFAULT_MODEL_DIR))) {
    await fail(
      trainer,
      `training the default model failed (${signal ?? `exit code ${code}`}), or wrote no current model to ${shown(DEFAULT_MODEL_DIR)}`,
    );
  }
  row(shown(DEFAULT_MODEL_DIR), `trained in ${formatSeconds(performance.now() - started)}`);
  return DEFAULT_MODEL_DIR;
}

async function runService(step: ServiceStep, modelDir: string | undefined): Promise<void> {
  const env: Record<string, string> = {
    ...step.env,
    // Pretty logs for a person at a terminal, JSON lines for a file; the user's own LOG_PRETTY wins.
    LOG_PRETTY: process.env.LOG_PRETTY ?? String(color),
    ...(modelDir === undefined ? {} : { MODEL_URI: modelDir }),
    // The services' stdout is a pipe to this process; without this, a CI variable would still turn colours on.
    ...(color ? {} : { NO_COLOR: '1' }),
  };
  const started = performance.now();
  const service = launch(step.name, step.entry, env, false);
  const ready = await waitForHttp(
    `http://127.0.0.1:${step.port}${step.readyPath}`,
    readyTimeoutMs,
    () => service.isClosed() || phase === 'stopping',
  );
  if (phase === 'stopping') throw new StepFailed();
  if (!ready) {
    if (service.isClosed()) {
      const { code, signal } = await service.closed;
      await fail(service, `exited (${signal ?? `exit code ${code}`}) before it was ready`);
    }
    await fail(
      service,
      `was not ready within ${formatSeconds(readyTimeoutMs)} (GET ${step.readyPath} on port ${step.port}; ` +
        'STACK_READY_TIMEOUT_MS sets the limit)',
    );
  }
  rows.set(step.name, {
    service: step.name,
    url: `http://localhost:${step.port}`,
    docs: step.docsPath ? `http://localhost:${step.port}${step.docsPath}` : '-',
    status: `ready in ${formatSeconds(performance.now() - started)}`,
  });
  void service.closed.then(async ({ code, signal }) => {
    if (phase !== 'stopping') await fail(service, `exited unexpectedly (${signal ?? `exit code ${code}`})`);
  });
}

/**
 * Starts a TypeScript entry in its own process group (so the terminal's Ctrl-C reaches only this process, which
 * then stops the services in order), its output going to its log file, the tail and, when `live` or once the
 * table is out, to this process's output, tagged.
 */
function launch(name: string, entry: string, env: Record<string, string>, live: boolean): Launched {
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  logStreams.push(log);
  const tail = new LogTail(20);
  const child = startTypeScript(entry, {
    env,
    watch: watch && !live,
    singleProcess: true,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream | null, target: NodeJS.WriteStream) => {
    const splitter = new LineSplitter();
    const show = (lines: string[]) => {
      for (const line of lines) {
        tail.push(line);
        if (live || streaming) target.write(`${prefixLine(name, tagWidth, line, color)}\n`);
      }
    };
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      log.write(chunk);
      show(splitter.push(chunk));
    });
    stream?.on('end', () => show(splitter.flush()));
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  let isClosed = false;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      isClosed = true;
      resolve({ code, signal });
    });
    // The spawn itself failed (no close follows an error without a process).
    child.once('error', (error) => {
      tail.push(`cannot start: ${error.message}`);
      if (child.pid === undefined) {
        isClosed = true;
        resolve({ code: null, signal: null });
      }
    });
  });
  const handle: Launched = { name, child, logPath, tail, closed, isClosed: () => isClosed };
  launched.set(name, handle);
  return handle;
}

/** Names the step and the tail of its log, stops the rest and exits non-zero; never returns. */
async function fail(step: Launched, what: string): Promise<never> {
  if (phase !== 'stopping') {
    const lines = step.tail.lines();
    process.stderr.write(
      `\n${paint(`npm start: ${step.name} ${what}.`, 'red', color)}\n` +
        `  Last ${lines.length} line${lines.length === 1 ? '' : 's'} of its log (${shown(step.logPath)}):\n` +
        `${formatTail(lines)}\n`,
    );
    await shutdown(1);
  }
  throw new StepFailed();
}

let shuttingDown: Promise<void> | undefined;

/** Stops every started process, each after the ones that need it (SIGTERM, SIGKILL after the timeout), then exits. */
function shutdown(exitCode: number): Promise<void> {
  if (shuttingDown) return shuttingDown;
  // After a failure the stops are told too, so the report says the others are down; a Ctrl-C during start-up
  // (nothing shown yet) stops quietly.
  const report = streaming || exitCode !== 0;
  phase = 'stopping';
  const stops = new Map<string, Promise<void>>();
  const stopStep = (name: string): Promise<void> => {
    let stop = stops.get(name);
    if (!stop) {
      stop = Promise.all(dependentsOf(selected, name).map((dependent) => stopStep(dependent.name))).then(() =>
        stopProcess(name, report),
      );
      stops.set(name, stop);
    }
    return stop;
  };
  shuttingDown = (async () => {
    const running = [...launched.values()].filter((target) => !target.isClosed()).map((target) => target.name);
    if (report && running.length > 0) out(`\nnpm start: stopping ${running.join(', ')}, dependents first`);
    await Promise.all(selected.map((step) => stopStep(step.name)));
    await Promise.all(logStreams.map((stream) => new Promise((resolve) => stream.end(resolve))));
    if (report) out(`npm start: stopped${exitCode === 0 ? '' : `, exit code ${exitCode}`}`);
    process.exit(exitCode);
  })();
  return shuttingDown;
}

async function stopProcess(name: string, report: boolean): Promise<void> {
  const target = launched.get(name);
  if (!target || target.isClosed()) return;
  const started = performance.now();
  const { child } = target;
  let killed = false;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, stopTimeoutMs, 'timeout').unref());
  if ((await Promise.race([target.closed, timeout])) === 'timeout') {
    killed = true;
    // The whole group: `tsx watch` runs the service in a child of its own.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
  const { code, signal } = await target.closed;
  if (report || killed) {
    const how = killed ? `killed after ${formatSeconds(stopTimeoutMs)}` : (signal ?? `exit code ${code}`);
    out(`npm start: stopped ${name} (${how}, ${formatSeconds(performance.now() - started)})`);
  }
}

function printTable(): void {
  const tableRows = selected.map((step) => rows.get(step.name) as TableRow);
  const names = new Set(selected.map((step) => step.name));
  const port = (name: string) => (selected.find((step) => step.name === name) as ServiceStep).port;
  const hints: string[] = [];
  if (names.has('art-search')) {
    const url = `http://localhost:${port('art-search')}`;
    hints.push(`  Search:  curl '${url}/api/search?title=The%20Death%20of%20Socrates'`);
    hints.push(`  MCP:     ${url}/mcp (Streamable HTTP; stdio: npm run -s mcp)`);
  }
  if (names.has('model-server')) {
    const modelDir = rows.get('model')?.url ?? '';
    const example = join(modelDir, 'serving_input_example.json');
    if (existsSync(example)) {
      hints.push(
        `  Predict: curl -X POST http://localhost:${port('model-server')}/invocations ` +
          `-H 'Content-Type: application/json' -d @${example}`,
      );
    }
  }
  if (names.has('price-orchestrator')) {
    hints.push(
      `  Price:   curl -X POST http://localhost:${port('price-orchestrator')}/api/v1/price/predict ` +
        `-H 'Content-Type: application/json' -d '{"id": 1, "grossLivingArea": 1710, "yearBuilt": 2003, "garageCars": 2}'`,
    );
  }
  out(
    [
      '',
      paint(`The stack is up in ${formatSeconds(performance.now() - startedAt)} (ENV=local):`, 'bold', color),
      '',
      formatTable(tableRows, color),
      '',
      ...hints,
      ...(names.has('art-search') || names.has('model-server') || names.has('price-orchestrator')
        ? ['  Metrics: /metrics on each service (not the emulator)']
        : []),
      `  Logs:    ${shown(logDir)}/<service>.log; from here on also below, as [<service>] lines`,
      `  ${watch ? 'Watching for changes. ' : ''}Press Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );
}

await main();
