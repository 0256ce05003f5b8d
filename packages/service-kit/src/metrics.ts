import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per app instance (not prom-client's global one), so several apps in one test
 * process never share or double-register metrics.
 */
export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  upstreamRequestDuration: Histogram<'upstream' | 'endpoint' | 'outcome'>;
  cacheLookups: Counter<'cache' | 'result'>;
}

const METRICS_RENDER_REUSE_MS = 1000;

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Creates the metrics every service exports, in a registry of their own. */
export function createServiceMetrics(serviceName: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests handled, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    upstreamRequestDuration: new Histogram({
      name: 'upstream_request_duration_seconds',
      help: 'Time spent on calls to upstream services, by endpoint and outcome (ok, not_found, timeout, error...).',
      labelNames: ['upstream', 'endpoint', 'outcome'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'cache_lookups_total',
      help:
        'Cache lookups by cache and result: hit, miss, coalesced (joined an identical in-flight lookup), ' +
        'or stale (a failed load answered from an expired entry).',
      labelNames: ['cache', 'result'],
      registers: [registry],
    }),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

/** Records every request's count and latency and serves the registry at `GET /metrics`. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { metrics: ServiceMetrics }) => {
    const { metrics } = options;
    app.decorate('metrics', metrics);

    app.addHook('onResponse', (request, reply, done) => {
      // The route template keeps label cardinality bounded: /api/v1/artworks/:objectId, not one label per id.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    // Rendering every series (with the process and GC collectors) costs far more than an ordinary request, so a
    // rendering is reused for a second: scrapers poll every 10-60 s, and a flood of /metrics requests costs one
    // rendering per second rather than one each.
    let rendered: { at: number; text: Promise<string> } | undefined;
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const now = performance.now();
      if (rendered === undefined || now - rendered.at >= METRICS_RENDER_REUSE_MS) {
        const text = metrics.registry.metrics();
        rendered = { at: now, text };
        // A failed rendering is not reused.
        text.catch(() => {
          if (rendered?.text === text) rendered = undefined;
        });
      }
      reply.header('content-type', metrics.registry.contentType);
      return rendered.text;
    });
  },
  { name: 'service-kit-metrics', fastify: '5.x' },
);
