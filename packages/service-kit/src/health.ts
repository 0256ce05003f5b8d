import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { z } from 'zod';

/** A readiness check: resolves when the dependency is usable, rejects with a reason when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthOptions {
  /** What this process needs to serve: any failing check makes `/health/ready` answer 503. */
  checks: Record<string, ReadinessCheck>;
  /**
   * Neighbours whose state is reported in `/health/ready`'s body (`dependencies`) without deciding readiness: when
   * one is down this process still serves (answering 503 for what needs it), and an outage of the neighbour must
   * not take every replica out of the load balancer.
   */
  dependencies?: Record<string, ReadinessCheck>;
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
  checks: z.record(z.string(), z.string()).describe('`ok`, or why the process cannot serve.'),
  dependencies: z
    .record(z.string(), z.string())
    .optional()
    .describe('`ok`, or why a neighbour is not usable; reported only, readiness does not depend on it.'),
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
    // The neighbours' last known state. A probe never waits on a slow neighbour (a probe timeout would make the
    // replica unready, which is what reporting them apart avoids): it answers with the last result and starts a
    // refresh when that is older than cacheMs. Only the very first probe waits, so the body is never empty.
    let dependencyState: { at: number; result: Record<string, string> } | undefined;
    let dependencyRefresh: Promise<Record<string, string>> | undefined;
    // Where the kit's metrics are registered, each neighbour's last state is a series too, for alerts and dashboards.
    const dependencyUp = app.hasDecorator('metrics')
      ? new Gauge({
          name: 'dependency_up',
          help: 'Whether a neighbour answered its last readiness check (1) or not (0); readiness does not depend on it.',
          labelNames: ['dependency'],
          registers: [app.metrics.registry],
        })
      : undefined;
    const checkDependencies = async (dependencies: Record<string, ReadinessCheck>) => {
      const results = await runChecks(dependencies);
      for (const [name, state] of Object.entries(results))
        dependencyUp?.set({ dependency: name }, state === 'ok' ? 1 : 0);
      return results;
    };
    app.decorate('markNotReady', () => {
      shuttingDown = true;
    });
    app.addHook('preClose', async () => {
      shuttingDown = true;
    });

    const runChecks = async (checks: Record<string, ReadinessCheck>): Promise<Record<string, string>> => {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
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
        if (!cached || now - cached.at >= options.cacheMs) cached = { at: now, result: runChecks(options.checks) };
        const { dependencies } = options;
        if (dependencies && !dependencyRefresh && (!dependencyState || now - dependencyState.at >= options.cacheMs)) {
          const refresh = checkDependencies(dependencies);
          dependencyRefresh = refresh;
          void refresh.then((result) => {
            dependencyState = { at: Date.now(), result };
            dependencyRefresh = undefined;
          });
        }
        const checks = { ...(await cached.result) };
        if (shuttingDown) checks.shutdown = 'shutting down';
        const ready = Object.values(checks).every((value) => value === 'ok');
        const body = { status: ready ? ('ready' as const) : ('not ready' as const), checks };
        if (!dependencies) return reply.code(ready ? 200 : 503).send(body);
        const known = dependencyState?.result ?? (await dependencyRefresh);
        return reply.code(ready ? 200 : 503).send({ ...body, dependencies: known });
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
