import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  healthPlugin,
  runService,
  runServiceMain,
  type ServiceApp,
  type ServiceMainOptions,
  ServiceResources,
} from '@mlms/service-kit';
import { afterEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createTestApp } from './support/test-app.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./support/run-service-child.ts', import.meta.url));
const MAIN_CHILD_SCRIPT = fileURLToPath(new URL('./support/service-main-child.ts', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

/** A GET on a fresh connection (no keep-alive pool shared between tests). */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** Occupies a loopback port, so a service asked to listen there fails. */
async function occupiedPort(): Promise<number> {
  const blocker: TcpServer = createTcpServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const address = blocker.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function stubExit(): MockInstance<typeof process.exit> {
  return vi.spyOn(process, 'exit').mockImplementation((() => undefined) as typeof process.exit);
}

/** Runs `start` and returns the SIGTERM and SIGINT handlers it installed; they are removed after the test. */
async function withSignalHandlers(
  start: () => Promise<void>,
): Promise<{ onSigterm: (signal: NodeJS.Signals) => void; onSigint: (signal: NodeJS.Signals) => void }> {
  const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
  await start();
  const added = (signal: 'SIGTERM' | 'SIGINT') =>
    process.listeners(signal).filter((listener) => !before[signal].includes(listener));
  const [onSigterm] = added('SIGTERM');
  const [onSigint] = added('SIGINT');
  cleanups.push(() => {
    if (onSigterm) process.removeListener('SIGTERM', onSigterm);
    if (onSigint) process.removeListener('SIGINT', onSigint);
  });
  if (!onSigterm || !onSigint) throw new Error('no SIGTERM and SIGINT handlers were installed');
  return { onSigterm, onSigint };
}

describe('runService in this process', () => {
  let exit: MockInstance<typeof process.exit>;

  /** Runs the service with process.exit stubbed, and returns the signal handlers runService installed. */
  async function run(app: ServiceApp, options: Partial<Parameters<typeof runService>[1]> = {}) {
    exit = stubExit();
    return withSignalHandlers(() =>
      runService(app, { host: '127.0.0.1', port: 0, shutdownGraceMs: 5_000, ...options }),
    );
  }

  async function ownedApp(): Promise<ServiceApp> {
    const app = await createTestApp();
    cleanups.push(() => app.close());
    return app;
  }

  function portOf(app: ServiceApp): number {
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('app is not listening on TCP');
    return address.port;
  }

  it('listens on the given host and port and logs each banner line with the base URL', async () => {
    // Given
    const app = await ownedApp();
    const info = vi.spyOn(app.log, 'info');

    // When
    await run(app, { banner: (url) => [`listening on ${url}`, `docs at ${url}/docs`] });

    // Then
    const port = portOf(app);
    expect(info).toHaveBeenCalledWith(`listening on http://127.0.0.1:${port}`);
    expect(info).toHaveBeenCalledWith(`docs at http://127.0.0.1:${port}/docs`);
    expect((await httpGet(`http://127.0.0.1:${port}/health/unknown`)).status).toBe(404);
    expect(exit).not.toHaveBeenCalled();
  });

  it('shows an address a browser can open in the banner when listening on every interface', async () => {
    // Given
    const app = await ownedApp();
    const info = vi.spyOn(app.log, 'info');

    // When
    await run(app, { host: '0.0.0.0', banner: (url) => [`at ${url}`] });

    // Then
    const bannerLines = info.mock.calls.map(([line]) => line).filter((line) => String(line).startsWith('at '));
    expect(bannerLines).toEqual([
      expect.stringMatching(new RegExp(`^at http://(localhost|127\\.0\\.0\\.1):${portOf(app)}$`)),
    ]);
  });

  it('on SIGTERM lets an in-flight request finish, closes the app and exits 0', async () => {
    // Given
    const app = await ownedApp();
    let requestStarted = false;
    let finishRequest: () => void = () => {};
    app.get('/slow', async () => {
      requestStarted = true;
      await new Promise<void>((resolve) => {
        finishRequest = resolve;
      });
      return { finished: true };
    });
    const info = vi.spyOn(app.log, 'info');
    const { onSigterm } = await run(app);
    const inFlight = httpGet(`http://127.0.0.1:${portOf(app)}/slow`);
    await vi.waitFor(() => expect(requestStarted).toBe(true));

    // When
    onSigterm('SIGTERM');
    await vi.waitFor(() => expect(info).toHaveBeenCalledWith({ signal: 'SIGTERM' }, 'shutting down'));
    finishRequest();
    const response = await inFlight;
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(response).toEqual({ status: 200, body: '{"finished":true}' });
    expect(exit.mock.calls).toEqual([[0]]);
    expect(info).toHaveBeenCalledWith('stopped');
  });

  it('handles SIGINT the same way, and only the first signal', async () => {
    // Given
    const app = await ownedApp();
    const close = vi.spyOn(app, 'close');
    const { onSigterm, onSigint } = await run(app);

    // When
    onSigint('SIGINT');
    onSigterm('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(close).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('on SIGTERM with a drain period: readiness 503 at once, still serving (asking clients to close), then exits 0', async () => {
    // Given
    const app = await ownedApp();
    await app.register(healthPlugin, { checks: {}, checkTimeoutMs: 1000, cacheMs: 0 });
    app.get('/work', async () => ({ done: true }));
    const { onSigterm } = await run(app, { shutdownDrainMs: 1_000 });
    const base = `http://127.0.0.1:${portOf(app)}`;
    expect((await httpGet(`${base}/health/ready`)).status).toBe(200);

    // When
    onSigterm('SIGTERM');
    const readiness = await httpGet(`${base}/health/ready`);
    const duringDrain = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      get(`${base}/work`, { agent: false }, (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }),
        );
      }).on('error', reject);
    });
    const exitedDuringDrain = exit.mock.calls.length > 0;
    await vi.waitFor(() => expect(exit).toHaveBeenCalled(), { timeout: 5_000 });

    // Then
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body).checks).toEqual({ shutdown: 'shutting down' });
    expect(duringDrain).toEqual({ status: 200, connection: 'close' });
    expect(exitedDuringDrain).toBe(false);
    expect(exit.mock.calls).toEqual([[0]]);
    await expect(httpGet(`${base}/work`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('ends the drain early on a second signal', async () => {
    // Given
    const app = await ownedApp();
    const { onSigterm, onSigint } = await run(app, { shutdownDrainMs: 60_000 });

    // When
    onSigterm('SIGTERM');
    onSigint('SIGINT');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('exits 1 when in-flight requests outlast the grace period', async () => {
    // Given
    const app = await ownedApp();
    let requestStarted = false;
    let finishRequest: () => void = () => {};
    app.get('/stuck', async () => {
      requestStarted = true;
      await new Promise<void>((resolve) => {
        finishRequest = resolve;
      });
      return { finished: true };
    });
    const error = vi.spyOn(app.log, 'error');
    const { onSigterm } = await run(app, { shutdownGraceMs: 50 });
    const inFlight = httpGet(`http://127.0.0.1:${portOf(app)}/stuck`);
    await vi.waitFor(() => expect(requestStarted).toBe(true));

    // When
    onSigterm('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(exit.mock.calls[0]).toEqual([1]);
    expect(error).toHaveBeenCalledWith({ graceMs: 50 }, 'in-flight requests did not finish in time; exiting');
    finishRequest();
    await inFlight;
  });

  it('exits 1 when closing the app fails', async () => {
    // Given
    const app = await ownedApp();
    app.addHook('onClose', async () => {
      throw new Error('pool did not close');
    });
    const error = vi.spyOn(app.log, 'error');
    const { onSigterm } = await run(app);

    // When
    onSigterm('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(exit.mock.calls).toEqual([[1]]);
    expect(error).toHaveBeenCalledWith({ err: expect.any(Error) }, 'error while shutting down');
  });

  it('logs a fatal error and exits 1 when it cannot listen', async () => {
    // Given
    const port = await occupiedPort();
    const app = await ownedApp();
    const fatal = vi.spyOn(app.log, 'fatal');

    // When
    await run(app, { port });

    // Then
    expect(exit.mock.calls).toEqual([[1]]);
    expect(fatal).toHaveBeenCalledWith(
      { err: expect.objectContaining({ code: 'EADDRINUSE' }), host: '127.0.0.1', port },
      'could not start listening',
    );
  });
});

describe('runServiceMain in this process', () => {
  const config = { host: '127.0.0.1', port: 0, shutdownDrainMs: 0, shutdownGraceMs: 5_000, label: 'blue' };

  /** Starts with process.exit and stderr stubbed; returns the exit codes asked for and all that went to stderr. */
  async function start(
    options: Pick<ServiceMainOptions<typeof config>, 'loadConfig' | 'buildApp'>,
  ): Promise<{ exitCodes: unknown[]; stderr: string }> {
    const exit = stubExit();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runServiceMain({ name: 'my-service', ...options });
    return {
      exitCodes: exit.mock.calls.map(([code]) => code),
      stderr: stderr.mock.calls.map(([text]) => String(text)).join(''),
    };
  }

  it('given loadConfig throws a ConfigError, when starting, then it writes "<name>: <message>" and exits 78', async () => {
    // Given
    const buildApp = vi.fn(() => createTestApp());
    const loadConfig = () => {
      throw new ConfigError('Invalid configuration in my.yaml for ENV=local:\n  - port: too big');
    };

    // When
    const { exitCodes, stderr } = await start({ loadConfig, buildApp });

    // Then
    expect(exitCodes).toEqual([78]);
    expect(stderr).toBe('my-service: Invalid configuration in my.yaml for ENV=local:\n  - port: too big\n');
    expect(buildApp).not.toHaveBeenCalled();
  });

  it('given an async buildApp that throws a ConfigError, when starting, then it exits 78 with the message', async () => {
    // Given
    const buildApp = async () => {
      await Promise.resolve();
      throw new ConfigError('Model file /models/m.onnx does not exist.');
    };

    // When
    const { exitCodes, stderr } = await start({ loadConfig: () => config, buildApp });

    // Then
    expect(exitCodes).toEqual([78]);
    expect(stderr).toBe('my-service: Model file /models/m.onnx does not exist.\n');
  });

  it('given buildApp fails otherwise, when starting, then it writes the error with its stack and exits 1', async () => {
    // Given
    const buildApp = () => {
      throw new TypeError('model weights are corrupt');
    };

    // When
    const { exitCodes, stderr } = await start({ loadConfig: () => config, buildApp });

    // Then
    expect(exitCodes).toEqual([1]);
    expect(stderr).toMatch(/^my-service: could not start: TypeError: model weights are corrupt\n {4}at /);
    expect(stderr.endsWith('\n')).toBe(true);
  });

  it('given something other than an Error is thrown, when starting, then it says what and exits 1', async () => {
    // Given
    const loadConfig = () => {
      throw 'no config today';
    };

    // When
    const { exitCodes, stderr } = await start({ loadConfig, buildApp: () => createTestApp() });

    // Then
    expect(exitCodes).toEqual([1]);
    expect(stderr).toBe('my-service: could not start: no config today\n');
  });

  it('given an afterListen check that rejects with a ConfigError, when started, then it closes the app and exits 78', async () => {
    // Given
    const exit = stubExit();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let app: ServiceApp | undefined;
    const buildApp = async () => {
      app = await createTestApp();
      cleanups.push(() => app?.close());
      return app;
    };
    const afterListen = async () => {
      throw new ConfigError('the model server signature differs: Lot_Area is missing');
    };

    // When
    await withSignalHandlers(() =>
      runServiceMain({ name: 'my-service', loadConfig: () => config, buildApp, afterListen }),
    );

    // Then
    expect(exit.mock.calls.map(([code]) => code)).toEqual([78]);
    expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toBe(
      'my-service: the model server signature differs: Lot_Area is missing\n',
    );
    expect(app?.server.listening).toBe(false);
  });

  it('given an afterListen check that resolves, when started, then the service keeps running', async () => {
    // Given
    const exit = stubExit();
    let app: ServiceApp | undefined;
    const buildApp = async () => {
      app = await createTestApp();
      cleanups.push(() => app?.close());
      return app;
    };
    const afterListen = vi.fn(async () => {});

    // When
    await withSignalHandlers(() =>
      runServiceMain({ name: 'my-service', loadConfig: () => config, buildApp, afterListen }),
    );

    // Then
    expect(afterListen).toHaveBeenCalledWith(app, config);
    expect(exit).not.toHaveBeenCalled();
    expect(app?.server.listening).toBe(true);
  });

  it('given a valid configuration, when started, then it listens where configured and logs the banner', async () => {
    // Given
    const exit = stubExit();
    let app: ServiceApp | undefined;
    let info: MockInstance | undefined;
    const buildApp = async (loaded: typeof config) => {
      app = await createTestApp({ name: loaded.label });
      cleanups.push(() => app?.close());
      info = vi.spyOn(app.log, 'info');
      return app;
    };

    // When
    await withSignalHandlers(() =>
      runServiceMain({
        name: 'my-service',
        loadConfig: () => config,
        buildApp,
        banner: (url, loaded) => [`${loaded.label} listening on ${url}`],
      }),
    );

    // Then
    const address = app?.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening on TCP');
    expect(info).toHaveBeenCalledWith(`blue listening on http://127.0.0.1:${address.port}`);
    expect((await httpGet(`http://127.0.0.1:${address.port}/health/unknown`)).status).toBe(404);
    expect(exit).not.toHaveBeenCalled();
  });

  it('given a running service with resources, when SIGTERM arrives, then they close in reverse order and it exits 0', async () => {
    // Given
    const exit = stubExit();
    const closed: string[] = [];
    const resources = new ServiceResources();
    const closeable = (name: string) => ({ close: async () => void closed.push(name) });
    let error: MockInstance | undefined;
    const { onSigterm } = await withSignalHandlers(() =>
      runServiceMain({
        name: 'my-service',
        loadConfig: () => config,
        buildApp: async () => {
          resources.closeOnShutdown(closeable('pool'));
          const app = await createTestApp({ resources });
          cleanups.push(() => app.close());
          resources.closeOnShutdown({ close: () => Promise.reject(new Error('still flushing')) }, 'cache');
          resources.closeOnShutdown(closeable('model'));
          error = vi.spyOn(app.log, 'error');
          return app;
        },
      }),
    );

    // When
    onSigterm('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());

    // Then
    expect(exit.mock.calls).toEqual([[0]]);
    expect(closed).toEqual(['model', 'pool']);
    expect(error).toHaveBeenCalledWith({ err: expect.any(Error), resource: 'cache' }, 'could not close resource');
  });
});

/** A child process running a support script (run-service-child.ts unless told), its JSON log lines collected. */
class ServiceChild {
  readonly logs: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;
  private stderr = '';
  private waiters: (() => void)[] = [];

  constructor(args: string[], script = CHILD_SCRIPT) {
    this.process = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((text) => text.trim() !== '')) {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: line });
        }
      }
      this.notify();
    });
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = once(this.process, 'exit').then(([code, signal]) => {
      this.notify();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    cleanups.push(async () => {
      if (this.process.exitCode === null && this.process.signalCode === null) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    });
  }

  errorOutput(): string {
    return this.stderr;
  }

  messages(): string[] {
    return this.logs.map((entry) => String(entry.msg));
  }

  /** Resolves with the first log line whose message matches; rejects if the child exits first. */
  async waitForMessage(pattern: RegExp): Promise<string> {
    for (;;) {
      const found = this.messages().find((message) => pattern.test(message));
      if (found !== undefined) return found;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`child exited before logging ${pattern}; stdout: ${this.messages()}; stderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

describe('runService as a process', () => {
  it('on a real SIGTERM completes the in-flight request with 200 and exits 0', { timeout: 60_000 }, async () => {
    // Given
    const child = new ServiceChild(['0', '10000', 'finishes']);
    const banner = await child.waitForMessage(/^child listening on /);
    const baseUrl = banner.replace('child listening on ', '');
    const inFlight = httpGet(`${baseUrl}/slow`);
    await child.waitForMessage(/^slow request started$/);

    // When
    child.kill('SIGTERM');
    const [response, exit] = await Promise.all([inFlight, child.exited]);

    // Then
    expect(response).toEqual({ status: 200, body: '{"finished":true}' });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.messages()).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('exits 1 when in-flight requests outlast the grace period', { timeout: 60_000 }, async () => {
    // Given
    const child = new ServiceChild(['0', '300', 'hangs']);
    const baseUrl = (await child.waitForMessage(/^child listening on /)).replace('child listening on ', '');
    const inFlight = httpGet(`${baseUrl}/slow`).catch((error: Error) => error);
    await child.waitForMessage(/^slow request started$/);

    // When
    child.kill('SIGTERM');
    const exit = await child.exited;

    // Then
    expect(exit).toEqual({ code: 1, signal: null });
    expect(child.messages()).toContain('in-flight requests did not finish in time; exiting');
    expect(await inFlight).toBeInstanceOf(Error);
  });

  it('exits 1 with a fatal log line when its port is already in use', { timeout: 60_000 }, async () => {
    // Given
    const port = await occupiedPort();

    // When
    const child = new ServiceChild([String(port), '1000', 'finishes']);
    const exit = await child.exited;

    // Then
    expect(exit).toEqual({ code: 1, signal: null });
    const fatal = child.logs.find((entry) => entry.msg === 'could not start listening');
    expect(fatal).toMatchObject({ level: 60, port, host: '127.0.0.1' });
  });
});

describe('runServiceMain as a process', { timeout: 60_000 }, () => {
  it.each<[given: string, code: number, scenario: string, stderr: RegExp]>([
    [
      'an invalid configuration',
      78,
      'config-error',
      /^main-child: Invalid configuration in child\.yaml:\n {2}- port: too big\n$/,
    ],
    [
      'an async buildApp that throws a ConfigError',
      78,
      'build-config-error',
      /^main-child: Model file \/models\/missing\.onnx does not exist\.\n$/,
    ],
    [
      'a buildApp that fails otherwise',
      1,
      'build-fails',
      /^main-child: could not start: Error: model weights are corrupt\n {4}at /,
    ],
  ])('given %s, when started, then it exits %i saying why on stderr', async (_given, code, scenario, stderr) => {
    // Given
    const child = new ServiceChild([scenario], MAIN_CHILD_SCRIPT);

    // When
    const exit = await child.exited;

    // Then
    expect(exit).toEqual({ code, signal: null });
    expect(child.errorOutput()).toMatch(stderr);
  });

  it('given a running service, when it gets SIGTERM, then it closes its resources last first and exits 0', async () => {
    // Given
    const child = new ServiceChild(['runs'], MAIN_CHILD_SCRIPT);
    const banner = await child.waitForMessage(/^child listening on /);

    // When
    child.kill('SIGTERM');
    const exit = await child.exited;

    // Then
    expect(banner).toMatch(/^child listening on http:\/\/127\.0\.0\.1:\d+ with a grace of 5000 ms$/);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.messages().filter((message) => message.startsWith('closed '))).toEqual([
      'closed model',
      'closed pool',
    ]);
    const failure = child.logs.find((entry) => entry.msg === 'could not close resource');
    expect(failure).toMatchObject({ level: 50, resource: 'cache', err: { message: 'cache is still flushing' } });
    expect(child.messages()).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });
});
