import { randomUUID } from 'node:crypto';
import { createServiceApp, currentDeadline, remainingMs, type ServiceApp } from '@mlms/service-kit';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quietServiceTestSettings } from '../../../../test-support/config.js';
import { createTestApp, TEST_OPENAPI } from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let app: ServiceApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function appWithEchoRoutes(): Promise<ServiceApp> {
  app = await createTestApp();
  app.get('/request-id', async (request) => ({ id: request.id }));
  app.post('/echo', { schema: { body: z.object({ text: z.string() }) } }, async (request) => ({
    length: request.body.text.length,
  }));
  app.get('/things/:name', { schema: { params: z.object({ name: z.string() }) } }, async (request) => ({
    name: request.params.name,
  }));
  return app;
}

describe('createServiceApp request ids', () => {
  it('echoes a safe incoming x-request-id and uses it as the request id', async () => {
    // Given
    const service = await appWithEchoRoutes();
    const incoming = 'trace-42.abc:DEF_1';

    // When
    const response = await service.inject({ method: 'GET', url: '/request-id', headers: { 'x-request-id': incoming } });

    // Then
    expect(response.headers['x-request-id']).toBe(incoming);
    expect(response.json()).toEqual({ id: incoming });
  });

  it.each([
    ['spaces and quotes', 'id with "quotes"'],
    ['a forged log field', 'x","level":"fatal'],
    ['more than 128 characters', 'a'.repeat(129)],
  ])('replaces an incoming id with %s by a fresh UUID', async (_case, incoming) => {
    // Given
    const service = await appWithEchoRoutes();

    // When
    const response = await service.inject({ method: 'GET', url: '/request-id', headers: { 'x-request-id': incoming } });

    // Then
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(response.json().id).toBe(response.headers['x-request-id']);
  });

  it('generates a different UUID for each request without an id, on error responses too', async () => {
    // Given
    const service = await appWithEchoRoutes();

    // When
    const first = await service.inject({ method: 'GET', url: '/request-id' });
    const second = await service.inject({ method: 'GET', url: '/request-id' });
    const notFound = await service.inject({ method: 'GET', url: '/missing' });

    // Then
    expect(first.headers['x-request-id']).toMatch(UUID);
    expect(second.headers['x-request-id']).toMatch(UUID);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    expect(notFound.headers['x-request-id']).toMatch(UUID);
  });
});

describe('createServiceApp limits', () => {
  it('refuses a body over 1 MiB with 413', async () => {
    // Given
    const service = await appWithEchoRoutes();
    const payload = JSON.stringify({ text: 'x'.repeat(1_048_576) });

    // When
    const response = await service.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload,
    });

    // Then
    expect(response.statusCode).toBe(413);
    expect(typeof response.json().detail).toBe('string');
  });

  it('accepts path parameters up to 200 characters and refuses longer ones with 414 in the FastAPI shape', async () => {
    // Given
    const service = await appWithEchoRoutes();

    // When
    const accepted = await service.inject({ method: 'GET', url: `/things/${'n'.repeat(200)}` });
    const refused = await service.inject({ method: 'GET', url: `/things/${'n'.repeat(201)}` });

    // Then
    expect(accepted.statusCode).toBe(200);
    expect(refused.statusCode).toBe(414);
    // The reason phrase, not the router's message, which quotes the path.
    expect(refused.json()).toEqual({ detail: 'URI Too Long' });
    expect(refused.headers['x-request-id']).toMatch(UUID);
  });

  it('answers a path with malformed %-encoding with 400 in the FastAPI shape', async () => {
    // Given
    const url = '/things/%E0%A4%A';

    // When
    const response = await (await appWithEchoRoutes()).inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'Bad Request' });
  });

  it('sets explicit timeouts on the HTTP server', async () => {
    // Given
    const service = await appWithEchoRoutes();

    // When
    const { timeout, requestTimeout, keepAliveTimeout } = service.server;

    // Then
    expect({ timeout, requestTimeout, keepAliveTimeout }).toEqual({
      timeout: 60_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 10_000,
    });
  });
});

describe('createServiceApp server bounds and deadline', () => {
  it('given the config, when the app is built, then the server caps connections and header time as configured', async () => {
    // Given
    const config = {
      ...quietServiceTestSettings,
      maxOpenConnections: 7,
      headersTimeoutMs: 3000,
      keepAliveTimeoutMs: 4000,
    };

    // When
    app = await createServiceApp({ name: 'bounded', config, openApi: TEST_OPENAPI });

    // Then
    expect(app.server.maxConnections).toBe(7);
    expect(app.server.headersTimeout).toBe(3000);
    expect(app.server.keepAliveTimeout).toBe(4000);
  });

  it('given a POST with a body, when its handler runs, then the request deadline is set from requestTimeoutMs', async () => {
    // Given
    app = await createServiceApp({
      name: 'deadline',
      config: { ...quietServiceTestSettings, requestTimeoutMs: 1234 },
      openApi: TEST_OPENAPI,
    });
    app.post('/work', { schema: { body: z.object({ text: z.string() }) } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const deadline = currentDeadline();
      return { budgetMs: deadline?.budgetMs, left: deadline ? remainingMs(deadline) : undefined };
    });

    // When
    const response = await app.inject({ method: 'POST', url: '/work', payload: { text: 'x' } });

    // Then
    const body = response.json() as { budgetMs: number; left: number };
    expect(body.budgetMs).toBe(1234);
    expect(body.left).toBeGreaterThan(0);
    expect(body.left).toBeLessThan(1234);
    expect(currentDeadline()).toBeUndefined();
  });

  it('given upstreamDeadlines off, when a handler runs, then no deadline is carried', async () => {
    // Given
    app = await createServiceApp({
      name: 'no-upstreams',
      config: quietServiceTestSettings,
      openApi: TEST_OPENAPI,
      upstreamDeadlines: false,
    });
    app.get('/work', async () => ({ carried: currentDeadline() !== undefined }));

    // When
    const response = await app.inject({ method: 'GET', url: '/work' });

    // Then
    expect(response.json()).toEqual({ carried: false });
  });

  it('given the drain has begun, when a request is answered, then the answer asks the client to close', async () => {
    // Given
    app = await createTestApp();
    app.get('/work', async () => ({ ok: true }));
    const before = await app.inject({ method: 'GET', url: '/work' });

    // When
    app.beginDrain();
    const during = await app.inject({ method: 'GET', url: '/work' });

    // Then
    expect(before.headers.connection).not.toBe('close');
    expect(during.headers.connection).toBe('close');
    expect(app.draining).toBe(true);
  });
});

describe('createServiceApp logging', () => {
  it('logs at the configured level under the service name', async () => {
    // Given
    const name = `svc-${randomUUID()}`;

    // When
    app = await createServiceApp({
      name,
      config: { ...quietServiceTestSettings, logLevel: 'warn' },
      openApi: TEST_OPENAPI,
    });

    // Then
    const logger = app.log as unknown as Logger;
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('warn')).toBe(true);
    expect(logger.bindings()).toEqual({ name });
  });

  it('builds a working app when logPretty loads the pino-pretty transport', async () => {
    // Given
    const config = { ...quietServiceTestSettings, logPretty: true };

    // When
    app = await createServiceApp({ name: 'pretty', config, openApi: TEST_OPENAPI });
    const response = await app.inject({ method: 'GET', url: '/health/none' });

    // Then
    expect(response.statusCode).toBe(404);
  });
});
