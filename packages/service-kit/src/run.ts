import type { FastifyInstance } from 'fastify';

export interface RunServiceOptions {
  host: string;
  port: number;
  shutdownGraceMs: number;
  /** Extra lines to print once listening (docs URL, sample request). */
  banner?: (baseUrl: string) => string[];
}

/**
 * Starts listening and owns the process lifecycle: on SIGTERM or SIGINT it stops accepting connections,
 * lets in-flight requests finish (every resource closes in its own `onClose` hook), and exits 0; if that
 * takes longer than the grace period it exits 1. A failed `listen` logs and exits 1.
 */
export async function runService(app: FastifyInstance, options: RunServiceOptions): Promise<void> {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal, graceMs: options.shutdownGraceMs }, 'shutting down');
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
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  try {
    const address = await app.listen({ host: options.host, port: options.port });
    for (const line of options.banner?.(displayUrl(address)) ?? []) app.log.info(line);
  } catch (error) {
    app.log.fatal({ err: error, host: options.host, port: options.port }, 'could not start listening');
    process.exit(1);
  }
}

function displayUrl(address: string): string {
  // 0.0.0.0 and [::] are not addresses a browser can open; show localhost with the same port.
  return address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');
}
