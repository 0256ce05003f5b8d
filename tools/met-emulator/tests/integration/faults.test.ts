import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botWallHtml, createMetEmulator, type MetEmulator, malformedBodies } from '../../src/index.js';

const api = '/public/collection/v1';
let emulator: MetEmulator;

beforeEach(async () => {
  emulator = await createMetEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('fault injection through the programmatic controls', () => {
  it('answers the configured status once with times=1, then recovers (the "retry once" case)', async () => {
    // Given a single 503 on search
    emulator.faults.set('search', { status: 503, times: 1 });

    // When the same search is sent twice
    const first = await emulator.app.inject(`${api}/search?q=sunflowers`);
    const second = await emulator.app.inject(`${api}/search?q=sunflowers`);

    // Then the first fails, the second succeeds, and both reached the server
    expect(first.statusCode).toBe(503);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ total: 1, objectIDs: [436524] });
    expect(emulator.stats.count('search')).toBe(2);
  });

  it('serves the Imperva-style HTML bot wall with 403 and text/html', async () => {
    // Given the bot wall on objects
    emulator.faults.set('object', { html403: true });

    // When an object is fetched
    const response = await emulator.app.inject(`${api}/objects/436535`);

    // Then it is an HTML page, not JSON
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toBe(botWallHtml);
    expect(response.body).toContain('Incapsula incident ID');
  });

  it('serves a truncated JSON body with 200 and a JSON content type', async () => {
    // Given malformed JSON on departments
    emulator.faults.set('departments', { malformedJson: true });

    // When departments are listed
    const response = await emulator.app.inject(`${api}/departments`);

    // Then the body claims to be JSON but does not parse
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toBe(malformedBodies.departments);
    expect(() => JSON.parse(response.body)).toThrow(SyntaxError);
  });

  it('applies a * fault to every API route but not to the admin routes', async () => {
    // Given a 502 on every route
    emulator.faults.set('*', { status: 502 });

    // When API and admin routes are called
    const statuses = await Promise.all(
      [`${api}/search?q=x`, `${api}/objects`, `${api}/objects/10`, `${api}/departments`, '/__emulator/health'].map(
        async (url) => (await emulator.app.inject(url)).statusCode,
      ),
    );

    // Then only the API routes fail
    expect(statuses).toEqual([502, 502, 502, 502, 200]);
  });

  it('rejects an injected request when the fault is reset', async () => {
    // Given a reset on objects
    emulator.faults.set('object', { reset: true, times: 1 });

    // When an object is fetched through inject
    const attempt = emulator.app.inject(`${api}/objects/10`);

    // Then the injected request fails like a dropped connection
    await expect(attempt).rejects.toMatchObject({ code: 'LIGHT_ECONNRESET' });
  });
});

describe('fault injection over a real loopback socket', () => {
  it('drops the connection without a response on reset, once', async () => {
    // Given a listening emulator with one reset on objects
    const url = await emulator.listen({ port: 0 });
    emulator.faults.set('object', { reset: true, times: 1 });

    // When the object is fetched twice
    const first = fetch(`${url}${api}/objects/10000`);
    await expect(first).rejects.toThrow(TypeError);
    const second = await fetch(`${url}${api}/objects/10000`);

    // Then the first attempt saw a dropped socket and the retry got the record
    expect(second.status).toBe(200);
    expect(((await second.json()) as { title: string }).title).toBe('Work Table');
  });

  it('holds the response back for latencyMs', async () => {
    // Given a long latency on search, applied once
    const url = await emulator.listen({ port: 0 });
    emulator.faults.set('search', { latencyMs: 10_000, times: 1 });

    // When a search is sent and the client gives up once the server has received it
    const client = new AbortController();
    const delayed = fetch(`${url}${api}/search?q=sunflowers`, { signal: client.signal });
    while (emulator.stats.count('search') === 0) await new Promise((resolve) => setImmediate(resolve));
    client.abort();
    const outcome = await delayed.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const next = await fetch(`${url}${api}/search?q=sunflowers`);

    // Then the delayed request was still unanswered, and the fault was used up by it
    expect(outcome).toBe('AbortError');
    expect(emulator.faults.list()).toEqual({});
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ total: 1, objectIDs: [436524] });
  });
});

describe('HTTP admin API', () => {
  it('sets, lists and clears faults', async () => {
    // Given a fault set over HTTP
    const put = await emulator.app.inject({
      method: 'PUT',
      url: '/__emulator/faults/search',
      payload: { status: 500, times: 3 },
    });

    // When the faults are listed, then cleared
    const listed = await emulator.app.inject('/__emulator/faults');
    const cleared = await emulator.app.inject({ method: 'DELETE', url: '/__emulator/faults' });

    // Then each step shows the expected state, and the programmatic view agrees
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ route: 'search', fault: { status: 500, times: 3 } });
    expect(listed.json()).toEqual({ faults: { search: { status: 500, times: 3 } } });
    expect(cleared.json()).toEqual({ faults: {} });
    expect(emulator.faults.list()).toEqual({});
  });

  it('clears the fault of a single route', async () => {
    // Given faults on two routes
    emulator.faults.set('search', { status: 500 });
    emulator.faults.set('object', { html403: true });

    // When one route is cleared over HTTP
    const response = await emulator.app.inject({ method: 'DELETE', url: '/__emulator/faults/search' });

    // Then the other stays
    expect(response.json()).toEqual({ faults: { object: { html403: true } } });
  });

  it.each([
    ['search', { status: 200 }, /status: Too small: expected number to be >=400/],
    ['search', { status: 503, html403: true }, /only one of status, html403, malformedJson, reset/],
    ['search', { times: 2 }, /must set latencyMs or one of/],
    ['search', { latencyMs: 'slow' }, /latencyMs: /],
    ['search', { probability: 2 }, /probability: /],
    ['search', { reset: true, bogus: 1 }, /bogus/],
    ['searches', { status: 500 }, /route "searches" is not a fault route; use one of search, object, objects/],
  ])('rejects PUT /__emulator/faults/%s %j with 400 and a clear message', async (route, payload, message) => {
    // Given an invalid fault
    // When it is sent
    const response = await emulator.app.inject({ method: 'PUT', url: `/__emulator/faults/${route}`, payload });

    // Then it is refused and nothing is activated
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
    expect(emulator.faults.list()).toEqual({});
  });

  it('rejects a PUT without a JSON body', async () => {
    // Given no body
    // When the fault route is called
    const response = await emulator.app.inject({ method: 'PUT', url: '/__emulator/faults/object' });

    // Then the message says a fault object is expected
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/invalid fault for object: \(body\): /);
  });

  it('counts requests per route, keeps their URLs and resets on DELETE', async () => {
    // Given a few API calls
    await emulator.app.inject(`${api}/search?q=garden&title=true`);
    await emulator.app.inject(`${api}/objects/437133`);
    await emulator.app.inject(`${api}/objects/436965`);
    await emulator.app.inject('/__emulator/faults');

    // When the statistics are read over HTTP, then reset
    const stats = await emulator.app.inject('/__emulator/stats');
    const reset = await emulator.app.inject({ method: 'DELETE', url: '/__emulator/stats' });

    // Then admin calls are not counted and the reset zeroes everything
    expect(stats.json()).toEqual({
      search: 1,
      object: 2,
      objects: 0,
      departments: 0,
      total: 3,
      recent: [
        { route: 'search', method: 'GET', url: `${api}/search?q=garden&title=true` },
        { route: 'object', method: 'GET', url: `${api}/objects/437133` },
        { route: 'object', method: 'GET', url: `${api}/objects/436965` },
      ],
    });
    expect(reset.json()).toMatchObject({ search: 0, object: 0, total: 0, recent: [] });
    expect(emulator.stats.snapshot().total).toBe(0);
  });
});

describe('createMetEmulator options', () => {
  it('starts with the faults it is given', async () => {
    // Given an emulator created with a departments fault
    const configured = await createMetEmulator({ faults: { departments: { status: 502, times: 1 } } });

    // When departments are listed twice
    const first = await configured.app.inject(`${api}/departments`);
    const second = await configured.app.inject(`${api}/departments`);
    await configured.close();

    // Then only the first fails
    expect([first.statusCode, second.statusCode]).toEqual([502, 200]);
  });

  it('refuses invalid start-up faults with a message naming the route', async () => {
    // Given a fault with two response kinds
    // When the emulator is created
    const creating = createMetEmulator({ faults: { search: { status: 500, reset: true } } });

    // Then creation fails and says why
    await expect(creating).rejects.toThrow(/invalid faults option: search: a fault may set only one of/);
  });
});
