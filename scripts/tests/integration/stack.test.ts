import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CapturedProcess,
  freePort,
  isPortFree,
  repoRoot,
  startCapturedTypeScript,
  waitForOutput,
} from '../../lib/processes.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is looked for
const ansi = /\u001b\[/;

describe('npm start (scripts/stack.ts) as a process', () => {
  let scratch: string;
  let running: ChildProcess | undefined;
  let blocker: Server | undefined;

  /** The runner as `npm start` runs it (tsx CLI, from the sources) with its output captured, so not a terminal. */
  function startStack(args: string[], env: Record<string, string>, logDir: string): CapturedProcess {
    const stack = startCapturedTypeScript('scripts/stack.ts', { STACK_LOG_DIR: join(scratch, logDir), ...env }, args);
    running = stack.child;
    return stack;
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stack-test-'));
  });
  afterEach(async () => {
    // A failed assertion must not leave services behind: SIGTERM makes the runner stop them.
    if (running && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGTERM');
      await once(running, 'exit');
    }
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('starts art-search after the emulator and prints one table; SIGTERM stops art-search first, exit 0', async () => {
    // Given
    const emulatorPort = await freePort();
    const artSearchPort = await freePort();
    const stack = startStack(
      ['art-search'],
      { MET_EMULATOR_PORT: String(emulatorPort), ART_SEARCH_PORT: String(artSearchPort) },
      'up',
    );
    await waitForOutput(stack, /Press Ctrl-C to stop\.\n/);
    const shownAtStart = stack.output();

    // When
    const response = await fetch(`http://127.0.0.1:${artSearchPort}/api/search?title=The%20Death%20of%20Socrates`);
    const body = await response.json();
    await waitForOutput(stack, /\[art-search\] +\{.*\/api\/search/);
    stack.child.kill('SIGTERM');
    const [code] = await once(stack.child, 'exit');

    // Then
    expect(response.status).toBe(200);
    expect(body).toBe('https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg');
    expect(code).toBe(0);
    const lines = shownAtStart.split('\n');
    const header = lines.findIndex((line) => /^ {2}SERVICE +URL +DOCS +STATUS$/.test(line));
    expect(lines.slice(0, header + 4)).toEqual([
      expect.stringMatching(/^npm start: met-emulator, art-search \(ENV=local; logs in .*\/up\/\)$/),
      '',
      expect.stringMatching(/^The stack is up in \d+\.\d s \(ENV=local\):$/),
      '',
      lines[header],
      expect.stringMatching(
        new RegExp(`^ {2}met-emulator +http://localhost:${emulatorPort} +- +ready in \\d+\\.\\d s$`),
      ),
      expect.stringMatching(
        new RegExp(
          `^ {2}art-search +http://localhost:${artSearchPort} +http://localhost:${artSearchPort}/docs +ready in`,
        ),
      ),
      '',
    ]);
    // The services' own lines come only after the table, tagged; nothing in colour when not on a terminal.
    expect(shownAtStart).not.toContain('[art-search]');
    expect(shownAtStart).not.toContain('[met-emulator]');
    expect(stack.output()).not.toMatch(ansi);
    expect(stack.output().match(/^npm start: stopped( \S+)?/gm)).toEqual([
      'npm start: stopped art-search',
      'npm start: stopped met-emulator',
      'npm start: stopped',
    ]);
    expect(stack.output()).toMatch(/^\[met-emulator\] +met-emulator stopped \(SIGTERM\)$/m);
    expect(await isPortFree(artSearchPort)).toBe(true);
    expect(await isPortFree(emulatorPort)).toBe(true);
    expect(await readFile(join(scratch, 'up', 'met-emulator.log'), 'utf8')).toContain(
      `met-emulator listening on http://127.0.0.1:${emulatorPort}`,
    );
  }, 60_000);

  it('stops the services when the shell that npm runs it in dies of a SIGTERM it does not pass on', async () => {
    // Given: `; true` keeps sh from exec'ing, as npm's shell does not, so sh stands between its parent and tsx.
    const emulatorPort = await freePort();
    const artSearchPort = await freePort();
    const command = `"${process.execPath}" node_modules/tsx/dist/cli.mjs --conditions=source scripts/stack.ts art-search; true`;
    const shell = spawn('sh', ['-c', command], {
      cwd: repoRoot,
      env: {
        ...process.env,
        MET_EMULATOR_PORT: String(emulatorPort),
        ART_SEARCH_PORT: String(artSearchPort),
        STACK_LOG_DIR: join(scratch, 'orphan'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    shell.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const stack = { child: shell, output: () => output };
    await waitForOutput(stack, /Press Ctrl-C to stop\.\n/);

    // When: the pipe stays open until the runner, which inherited it from the shell, has exited too.
    const ended = once(shell.stdout, 'end');
    shell.kill('SIGTERM');
    await once(shell, 'exit');
    await ended;

    // Then
    expect(output).toMatch(/npm start: the process that started this one \(pid \d+\) is gone; stopping/);
    expect(output.match(/^npm start: stopped( \S+)?/gm)).toEqual([
      'npm start: stopped art-search',
      'npm start: stopped met-emulator',
      'npm start: stopped',
    ]);
    expect(await isPortFree(artSearchPort)).toBe(true);
    expect(await isPortFree(emulatorPort)).toBe(true);
  }, 60_000);

  it('names a service that exits while starting with the tail of its log, stops the others, exit 1', async () => {
    // Given: the orchestrator's chain fails at the model server (MODEL_URI is no model) while art-search's starts.
    const missing = join(scratch, 'no-model-here');
    const stack = startStack(
      ['price-orchestrator', 'art-search'],
      {
        MODEL_URI: missing,
        MET_EMULATOR_PORT: String(await freePort()),
        ART_SEARCH_PORT: String(await freePort()),
        MODEL_SERVER_PORT: String(await freePort()),
        PRICE_ORCHESTRATOR_PORT: String(await freePort()),
      },
      'failing',
    );

    // When
    const [code] = await once(stack.child, 'exit');

    // Then
    expect(code).toBe(1);
    const output = stack.output();
    expect(output).toContain('npm start: model-server exited (exit code 78) before it was ready.');
    expect(output).toMatch(/Last \d+ lines? of its log \(.*failing\/model-server\.log\):\n/);
    expect(output).toContain(`    model-server: cannot serve the model: ${missing}: no such directory`);
    expect(output).not.toContain('The stack is up');
    expect(output).toContain('npm start: stopped, exit code 1');
    // The orchestrator needs the model server, so it never started.
    expect(await readdir(join(scratch, 'failing'))).not.toContain('price-orchestrator.log');
  }, 60_000);

  it('refuses to start when a port is taken, naming the service and the variable', async () => {
    // Given
    blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const address = blocker.address();
    const takenPort = typeof address === 'object' && address ? address.port : 0;
    const stack = startStack(
      ['art-search'],
      { MET_EMULATOR_PORT: String(await freePort()), ART_SEARCH_PORT: String(takenPort) },
      'taken',
    );

    // When
    const [code] = await once(stack.child, 'exit');

    // Then
    expect(code).toBe(1);
    expect(stack.output()).toContain(
      `npm start: port ${takenPort} for art-search is already in use (is another \`npm start\` running?). ` +
        'Stop what listens there, or choose another port with ART_SEARCH_PORT.',
    );
    expect(stack.output()).not.toContain('met-emulator listening');
  });

  it('answers an unknown service name with the usage and the names, exit 2', async () => {
    // Given
    const stack = startStack(['art-serch'], {}, 'unknown');

    // When
    const [code] = await once(stack.child, 'exit');

    // Then
    expect(code).toBe(2);
    expect(stack.output()).toContain('npm start: Unknown service: art-serch.');
    expect(stack.output()).toContain('Services: met-emulator, art-search, model-server, price-orchestrator');
  });
});
