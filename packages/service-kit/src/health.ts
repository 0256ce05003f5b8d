import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';

/** A readiness check: resolves when the dependency is usable, rejects with a reason when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  /** A check slower than this counts as failed. */
  checkTimeoutMs: number;
  /**
   * Reuse a check result for this long. Probes arrive every few seconds from every orchestrator replica;
   * without this, each probe would be a call to a rate-limited upstream.
   */
  cacheMs: number;
}

const liveSchema = z.object({ status: z.literal('ok') });
const readySchema = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.string()).describe('`ok`, or why the dependency is not usable.'),
});

declare module 'fastify' {
  interface FastifyInstance {
    /** Makes `/health/ready` fail from now on, so load balancers stop sending traffic before shutdown. */
    markNotReady(): void;
  }
}

/**
 * `/health/live` answers as long as the event loop does; `/health/ready` also checks the dependencies,
 * and fails once shutdown has begun.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance, options: HealthOptions) => {
    let shuttingDown = false;
    let cached: { at: number; result: Promise<Record<string, string>> } | undefined;
    app.decorate('markNotReady', () => {
      shuttingDown = true;
    });
    app.addHook('preClose', async () => {
      shuttingDown = true;
    });

    const runChecks = async (): Promise<Record<string, string>> => {
      const entries = await Promise.all(
        Object.entries(options.checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), options.checkTimeoutMs, name);
            return [name, 'ok'] as const;
          } catch (error) {
            return [name, (error as Error).message || 'failed'] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    };

    app.get(
      '/health/live',
      { schema: { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: liveSchema } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: dependencies are reachable and the service is not shutting down',
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_request, reply) => {
        const now = Date.now();
        if (!cached || now - cached.at >= options.cacheMs) cached = { at: now, result: runChecks() };
        const checks = { ...(await cached.result) };
        if (shuttingDown) checks.shutdown = 'shutting down';
        const ready = Object.values(checks).every((value) => value === 'ok');
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
      },
    );
  },
  { name: 'service-kit-health', fastify: '5.x' },
);

function withTimeout(promise: Promise<void>, timeoutMs: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} check timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
