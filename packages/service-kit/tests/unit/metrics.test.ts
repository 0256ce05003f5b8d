import { createServiceMetrics, type ServiceApp } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseSamples, sampleValue } from './support/prometheus.js';
import { createTestApp } from './support/test-app.js';

const apps: ServiceApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function appWithItemRoute(name?: string): Promise<ServiceApp> {
  const app = await createTestApp(name ? { name } : {});
  apps.push(app);
  app.get('/items/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => ({
    id: request.params.id,
  }));
  return app;
}

describe('metrics plugin', () => {
  it('serves Prometheus text at /metrics counting requests by route template, not raw URL', async () => {
    // Given
    const app = await appWithItemRoute();
    await app.inject({ method: 'GET', url: '/items/42' });
    await app.inject({ method: 'GET', url: '/items/43' });

    // When
    const response = await app.inject({ method: 'GET', url: '/metrics' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(
      sampleValue(response.body, 'http_requests_total', {
        method: 'GET',
        route: '/items/:id',
        status_code: '200',
        service: 'test-service',
      }),
    ).toBe(2);
    expect(response.body).not.toContain('/items/42');
    expect(response.body).not.toContain('/items/43');
  });

  it('given /metrics was just rendered, when asked again within a second, then the same rendering is served', async () => {
    // Given
    const app = await appWithItemRoute();
    const first = await app.inject({ method: 'GET', url: '/metrics' });
    await app.inject({ method: 'GET', url: '/items/1' });

    // When
    const second = await app.inject({ method: 'GET', url: '/metrics' });

    // Then
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
  });

  it('records the latency histogram with the same labels', async () => {
    // Given
    const app = await appWithItemRoute();
    await app.inject({ method: 'GET', url: '/items/7' });

    // When
    const text = await app.metrics.registry.metrics();

    // Then
    const labels = { method: 'GET', route: '/items/:id', status_code: '200', service: 'test-service' };
    expect(sampleValue(text, 'http_request_duration_seconds_count', labels)).toBe(1);
    expect(sampleValue(text, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
  });

  it('labels requests that match no route as "unmatched", so random URLs add no label values', async () => {
    // Given
    const app = await appWithItemRoute();
    await app.inject({ method: 'GET', url: '/wp-admin/setup.php' });
    await app.inject({ method: 'GET', url: '/.env' });

    // When
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;

    // Then
    expect(sampleValue(text, 'http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(2);
    expect(text).not.toContain('wp-admin');
  });

  it('keeps the metrics of two apps in one process apart', async () => {
    // Given
    const first = await appWithItemRoute('first');
    const second = await appWithItemRoute('second');
    await first.inject({ method: 'GET', url: '/items/1' });

    // When
    const secondText = (await second.inject({ method: 'GET', url: '/metrics' })).body;
    const firstText = (await first.inject({ method: 'GET', url: '/metrics' })).body;

    // Then
    expect(sampleValue(secondText, 'http_requests_total', { route: '/items/:id' })).toBeUndefined();
    expect(sampleValue(firstText, 'http_requests_total', { route: '/items/:id', service: 'first' })).toBe(1);
    expect(parseSamples(secondText).every((sample) => sample.labels.service === 'second')).toBe(true);
  });

  it('exposes metrics passed in by the service, including ones recorded outside the app', async () => {
    // Given
    const metrics = createServiceMetrics('shared');
    const app = await createTestApp({ name: 'shared', metrics });
    apps.push(app);
    metrics.cacheLookups.inc({ cache: 'objects', result: 'hit' });
    metrics.upstreamRequestDuration.observe({ upstream: 'Met', endpoint: 'search', outcome: 'ok' }, 0.02);

    // When
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;

    // Then
    expect(app.metrics).toBe(metrics);
    expect(sampleValue(text, 'cache_lookups_total', { cache: 'objects', result: 'hit', service: 'shared' })).toBe(1);
    expect(
      sampleValue(text, 'upstream_request_duration_seconds_count', {
        upstream: 'Met',
        endpoint: 'search',
        outcome: 'ok',
      }),
    ).toBe(1);
  });
});

describe('createServiceMetrics', () => {
  it('registers the default process metrics with the service label', async () => {
    // Given
    const metrics = createServiceMetrics('art-search');

    // When
    const text = await metrics.registry.metrics();

    // Then
    expect(sampleValue(text, 'process_cpu_user_seconds_total', { service: 'art-search' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, 'nodejs_eventloop_lag_seconds', { service: 'art-search' })).toBeGreaterThanOrEqual(0);
  });
});
