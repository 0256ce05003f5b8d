import type { FastifyInstance } from 'fastify';
import { type BaseServiceConfig, ConfigError } from './config.js';

/** Exit status for a configuration error (sysexits.h EX_CONFIG): the configuration, not the code, is wrong. */
const EX_CONFIG = 78;

export interface RunServiceOptions {
  host: string;
  port: number;
  /** After SIGTERM: readiness 503 and the listener still open, for this long (0 = close at once). */
  shutdownDrainMs?: number;
  shutdownGraceMs: number;
  /** Extra lines to print once listening (docs URL, sample request). */
  banner?: (baseUrl: string) => string[];
}

/**
 * Starts listening and owns the process lifecycle. On SIGTERM or SIGINT it drains, then closes:
 * 1. readiness answers 503 at once, and for `shutdownDrainMs` the listener stays open and every request is still
 *    served (each answer asks its client to close the connection), so load balancers take the replica out of
 *    rotation before a single connection is refused;
 * 2. the listener closes and in-flight requests finish (every resource closes in its own `onClose` hook), then the
 *    process exits 0; if that takes longer than `shutdownGraceMs` it exits 1.
 * A second signal during the drain skips the rest of it. A failed `listen` logs and exits 1.
 * The lower-level piece of `runServiceMain`, for an app that is already built.
 */
export async function runService(app: FastifyInstance, options: RunServiceOptions): Promise<void> {
  const drainMs = options.shutdownDrainMs ?? 0;
  let phase: 'serving' | 'draining' | 'closing' = 'serving';
  let drainTimer: NodeJS.Timeout | undefined;

  const close = () => {
    phase = 'closing';
    clearTimeout(drainTimer);
    app.log.info({ graceMs: options.shutdownGraceMs }, 'closing the listener; waiting for in-flight requests');
    const force = setTimeout(() => {
      app.log.error({ graceMs: options.shutdownGraceMs }, 'in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, options.shutdownGraceMs);
    force.unref();
    app.close().then(
      () => {
        clearTimeout(force);
        app.log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(force);
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: NodeJS.Signals) => {
    if (phase === 'closing') return;
    if (phase === 'draining') {
      app.log.info({ signal }, 'second signal: ending the drain early');
      close();
      return;
    }
    phase = 'draining';
    if (app.hasDecorator('beginDrain')) app.beginDrain();
    else if (app.hasDecorator('markNotReady')) app.markNotReady();
    if (drainMs === 0) {
      app.log.info({ signal }, 'shutting down');
      close();
      return;
    }
    app.log.info({ signal, drainMs }, 'shutting down: draining (readiness 503, still serving)');
    drainTimer = setTimeout(close, drainMs);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    const address = await app.listen({ host: options.host, port: options.port });
    for (const line of options.banner?.(displayUrl(address)) ?? []) app.log.info(line);
  } catch (error) {
    app.log.fatal({ err: error, host: options.host, port: options.port }, 'could not start listening');
    process.exit(1);
  }
}

type LifecycleConfig = Pick<BaseServiceConfig, 'host' | 'port' | 'shutdownDrainMs' | 'shutdownGraceMs'>;

export interface ServiceMainOptions<Config extends LifecycleConfig> {
  /** Used as the prefix of start-up error messages: `<name>: <message>`. */
  name: string;
  loadConfig: () => Config;
  /** May be async (e.g. loads a model before the port opens); a ConfigError thrown here also exits 78. */
  buildApp: (config: Config) => Promise<FastifyInstance> | FastifyInstance;
  /** Extra lines to log once listening (docs URL, sample request), given the base URL a browser can open. */
  banner?: (baseUrl: string, config: Config) => string[];
  /**
   * A start-up check that needs the port open (e.g. waiting for a neighbouring service while readiness says "not
   * ready"). A `ConfigError` rejection closes the app and exits 78 with the message; any other rejection exits 1.
   */
  afterListen?: (app: FastifyInstance, config: Config) => Promise<void>;
}

/**
 * A service's whole process entry: loads the configuration, builds the app, then listens and shuts down
 * gracefully as `runService` does. A `ConfigError` from `loadConfig` or `buildApp` writes `<name>: <message>` to
 * stderr and exits 78 (EX_CONFIG); any other start-up error writes `<name>: could not start: <stack>` and exits 1.
 *
 * ```ts
 * await runServiceMain({ name: 'my-service', loadConfig: loadMyConfig, buildApp, banner: (url) => [`${url}/docs`] });
 * ```
 */
export async function runServiceMain<Config extends LifecycleConfig>(
  options: ServiceMainOptions<Config>,
): Promise<void> {
  let config: Config;
  let app: FastifyInstance;
  try {
    config = options.loadConfig();
    app = await options.buildApp(config);
  } catch (error) {
    exitOnStartupError(options.name, error);
    return;
  }
  const { banner, afterListen } = options;
  await runService(app, {
    host: config.host,
    port: config.port,
    shutdownDrainMs: config.shutdownDrainMs,
    shutdownGraceMs: config.shutdownGraceMs,
    banner: banner && ((baseUrl) => banner(baseUrl, config)),
  });
  if (!afterListen) return;
  try {
    await afterListen(app, config);
  } catch (error) {
    app.log.fatal({ err: error }, 'start-up check failed');
    await app.close().catch(() => undefined);
    exitOnStartupError(options.name, error);
  }
}

/** No logger exists before the app does, so start-up errors go to stderr; a ConfigError's message says it all. */
function exitOnStartupError(name: string, error: unknown): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(EX_CONFIG);
    return;
  }
  const description = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${name}: could not start: ${description}\n`);
  process.exit(1);
}

function displayUrl(address: string): string {
  // 0.0.0.0 and [::] are not addresses a browser can open; show localhost with the same port.
  return address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');
}
