import { type HealthOptions, healthPlugin, type ServiceApp } from '@mlms/service-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp } from './support/test-app.js';

let app: ServiceApp | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await app?.close();
  app = undefined;
});

async function appWithHealth(options: Partial<HealthOptions> & Pick<HealthOptions, 'checks'>): Promise<ServiceApp> {
  app = await createTestApp();
  await app.register(healthPlugin, { checkTimeoutMs: 1000, cacheMs: 0, ...options });
  await app.ready();
  return app;
}

describe('GET /health/live', () => {
  it('answers 200 {"status":"ok"} even when a dependency is down', async () => {
    // Given
    const service = await appWithHealth({ checks: { met: async () => Promise.reject(new Error('down')) } });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/live' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /health/ready', () => {
  it('answers 200 with every check "ok" when all checks pass', async () => {
    // Given
    const service = await appWithHealth({ checks: { x: async () => {}, y: async () => {} } });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { x: 'ok', y: 'ok' } });
  });

  it("answers 503 with the failing check's message and keeps the passing ones", async () => {
    // Given
    const service = await appWithHealth({
      checks: { x: async () => {}, met: async () => Promise.reject(new Error('Met answered HTTP 500.')) },
    });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', checks: { x: 'ok', met: 'Met answered HTTP 500.' } });
  });

  it('says "failed" for a check that rejects without a message, or throws before returning a promise', async () => {
    // Given
    const service = await appWithHealth({
      checks: {
        silent: async () => Promise.reject(new Error('')),
        synchronous: () => {
          throw new Error('config missing');
        },
      },
    });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual({ silent: 'failed', synchronous: 'config missing' });
  });

  it('fails a check that does not settle within checkTimeoutMs', async () => {
    // Given
    const service = await appWithHealth({ checks: { slow: () => new Promise<void>(() => {}) }, checkTimeoutMs: 20 });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual({ slow: 'slow check timed out after 20 ms' });
  });

  it('reuses a check result for cacheMs and runs the checks again afterwards', async () => {
    // Given
    vi.useFakeTimers({ toFake: ['Date'] });
    const check = vi.fn(async () => {});
    const service = await appWithHealth({ checks: { met: check }, cacheMs: 10_000 });

    // When
    await service.inject({ method: 'GET', url: '/health/ready' });
    vi.advanceTimersByTime(9_999);
    const cached = await service.inject({ method: 'GET', url: '/health/ready' });
    const callsWithinCache = check.mock.calls.length;
    vi.advanceTimersByTime(1);
    await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(cached.statusCode).toBe(200);
    expect(callsWithinCache).toBe(1);
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('reuses a failed result too, so probes do not hammer a broken dependency', async () => {
    // Given
    const check = vi.fn(async () => Promise.reject(new Error('down')));
    const service = await appWithHealth({ checks: { met: check }, cacheMs: 60_000 });

    // When
    const responses = await Promise.all([1, 2, 3].map(() => service.inject({ method: 'GET', url: '/health/ready' })));

    // Then
    expect(responses.map((response) => response.statusCode)).toEqual([503, 503, 503]);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('answers 503 with a shutdown entry after markNotReady, even with every check passing', async () => {
    // Given
    const service = await appWithHealth({ checks: { x: async () => {} } });
    const before = await service.inject({ method: 'GET', url: '/health/ready' });

    // When
    service.markNotReady();
    const after = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(before.statusCode).toBe(200);
    expect(after.statusCode).toBe(503);
    expect(after.json()).toEqual({ status: 'not ready', checks: { x: 'ok', shutdown: 'shutting down' } });
  });

  it('reports a failing dependency in the body but stays ready', async () => {
    // Given
    const service = await appWithHealth({
      checks: { model: async () => {} },
      dependencies: { modelServer: async () => Promise.reject(new Error('model server refused the connection')) },
    });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { model: 'ok' },
      dependencies: { modelServer: 'model server refused the connection' },
    });
  });

  it('given dependencies, when readiness is checked, then dependency_up says which answered', async () => {
    // Given
    const service = await appWithHealth({
      checks: {},
      dependencies: { met: async () => {}, modelServer: async () => Promise.reject(new Error('refused')) },
    });

    // When
    await service.inject({ method: 'GET', url: '/health/ready' });
    const metrics = await service.metrics.registry.getSingleMetricAsString('dependency_up');

    // Then
    expect(metrics).toContain('dependency_up{dependency="met",service="test-service"} 1');
    expect(metrics).toContain('dependency_up{dependency="modelServer",service="test-service"} 0');
  });

  it('given a neighbour that has become slow, when probed, then readiness answers at once with its last known state', async () => {
    // Given: the first check answers, every later one hangs past the check timeout
    let calls = 0;
    const service = await appWithHealth({
      checks: {},
      checkTimeoutMs: 5_000,
      dependencies: {
        met: async () => {
          calls += 1;
          if (calls > 1) await new Promise((resolve) => setTimeout(resolve, 4_000));
        },
      },
    });
    await service.inject({ method: 'GET', url: '/health/ready' });

    // When
    const started = performance.now();
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ dependencies: { met: 'ok' } });
    expect(calls).toBe(2);
  });

  it('answers 200 with no checks registered', async () => {
    // Given
    const service = await appWithHealth({ checks: {} });

    // When
    const response = await service.inject({ method: 'GET', url: '/health/ready' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: {} });
  });

  it('fails readiness once the app starts closing, answering a probe that was in flight', async () => {
    // Given
    let checkStarted = false;
    let releaseCheck: () => void = () => {};
    app = await createTestApp();
    await app.register(healthPlugin, {
      checks: {
        x: () => {
          checkStarted = true;
          return new Promise<void>((resolve) => {
            releaseCheck = resolve;
          });
        },
      },
      checkTimeoutMs: 5_000,
      cacheMs: 0,
    });
    // Registered after the health plugin's own hook, so the check ends only once shutdown has been noted.
    app.addHook('preClose', async () => releaseCheck());
    await app.ready();
    const probe = app.inject({ method: 'GET', url: '/health/ready' });
    await vi.waitFor(() => expect(checkStarted).toBe(true));

    // When
    const closing = app.close();
    const response = await probe;
    await closing;
    app = undefined;

    // Then
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', checks: { x: 'ok', shutdown: 'shutting down' } });
  });
});
