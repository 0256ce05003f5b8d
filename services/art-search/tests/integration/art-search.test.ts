import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningStack, startStack } from '../support/stack.js';

const SOCRATES_IMAGE = 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg';

describe('art-search against the Met emulator over loopback', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack({ met: { timeoutMs: 400, retryBaseDelayMs: 1 } });
  });
  afterEach(() => {
    stack.emulator.faults.clear();
    stack.emulator.stats.reset();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers the canonical search with the image URL as a JSON string', async () => {
    // When
    const response = await stack.get('/api/search?title=The%20Death%20of%20Socrates');

    // Then
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(SOCRATES_IMAGE));
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('matches titles case-insensitively', async () => {
    // When
    const response = await stack.get('/api/search?title=the%20death%20of%20SOCRATES');

    // Then
    expect(response.json()).toBe(SOCRATES_IMAGE);
  });

  it('answers the v1 search with the artwork details', async () => {
    // When
    const response = await stack.get('/api/v1/artworks/search?title=Wheat%20Field%20with%20Cypresses');

    // Then
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({
      objectId: 436535,
      title: 'Wheat Field with Cypresses',
      artist: 'Vincent van Gogh',
      department: 'European Paintings',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP-42549-001.jpg',
    });
  });

  it('restricts the v1 search to a department', async () => {
    // Given: van Gogh's Madame Roulin is in the Robert Lehman Collection (15), not European Paintings (11)
    const inLehman = await stack.get('/api/v1/artworks/search?title=Madame%20Roulin&departmentId=15');
    const inEuropean = await stack.get('/api/v1/artworks/search?title=Madame%20Roulin&departmentId=11');

    // Then
    expect(inLehman.json()).toMatchObject({ objectId: 459123, department: 'The Robert Lehman Collection' });
    expect(inEuropean.status).toBe(404);
  });

  it('skips a top hit without an image and answers with the next one that has one', async () => {
    // Given: the emulator's first "garden" hit is Monet's Garden at Sainte-Adresse (437133), which has no
    // open-access image; the second is Manet's The Monet Family in Their Garden at Argenteuil (436965)

    // When
    const response = await stack.get('/api/v1/artworks/search?title=garden');

    // Then
    expect(response.json()).toMatchObject({
      objectId: 436965,
      primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP-25465-001.jpg',
      totalResults: 3,
    });
    expect(stack.emulator.stats.snapshot().recent.map((entry) => entry.url)).toContain(
      '/public/collection/v1/objects/437133',
    );
  });

  it('answers 404 {"detail":"No results found."} when nothing matches', async () => {
    // When
    const response = await stack.get('/api/search?title=qwertyuiop%20no%20such%20painting');

    // Then
    expect(response.status).toBe(404);
    expect(response.body).toBe('{"detail":"No results found."}');
  });

  it('looks up one artwork by object ID', async () => {
    // When
    const response = await stack.get('/api/v1/artworks/10000');

    // Then
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({
      objectId: 10000,
      title: 'Work Table',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ad/original/17653.jpg',
    });
  });

  it('answers 404 for an object the Met does not know', async () => {
    // When
    const response = await stack.get('/api/v1/artworks/999999999');

    // Then
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ detail: 'No artwork with object ID 999999999.' });
  });

  it('lists the 19 departments', async () => {
    // When
    const response = await stack.get('/api/v1/departments');

    // Then
    expect(response.status).toBe(200);
    const departments = response.json() as { id: number; name: string }[];
    expect(departments).toHaveLength(19);
    expect(departments).toContainEqual({ id: 11, name: 'European Paintings' });
  });

  it('answers 422 before calling the Met when the title is blank', async () => {
    // When
    const response = await stack.get('/api/search?title=%20');

    // Then
    expect(response.status).toBe(422);
    expect(stack.emulator.stats.snapshot().total).toBe(0);
  });

  it('is ready while the Met answers', async () => {
    // When
    const response = await stack.get('/health/ready');

    // Then
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: {}, dependencies: { met: 'ok' } });
  });

  describe('with faults injected into the Met', () => {
    it('answers 504 when the Met is slower than the timeout', async () => {
      // Given
      stack.emulator.faults.set('search', { latencyMs: 2000 });

      // When
      const response = await stack.get('/api/search?title=Socrates');

      // Then
      expect(response.status).toBe(504);
      expect(response.json()).toEqual({ detail: 'Met Collection API did not answer within 400 ms.' });
    });

    it('answers 502 when the Met keeps answering 5xx, after one retry', async () => {
      // Given
      stack.emulator.faults.set('search', { status: 503 });

      // When
      const response = await stack.get('/api/search?title=Socrates');

      // Then
      expect(response.status).toBe(502);
      expect(response.json()).toEqual({ detail: 'Met Collection API answered HTTP 503.' });
      expect(stack.emulator.stats.count('search')).toBe(2);
    });

    it('recovers from a single 5xx by retrying', async () => {
      // Given
      stack.emulator.faults.set('object', { status: 500, times: 1 });

      // When
      const response = await stack.get('/api/search?title=The%20Death%20of%20Socrates');

      // Then
      expect(response.status).toBe(200);
      expect(response.json()).toBe(SOCRATES_IMAGE);
    });

    it('answers 502 for the HTML bot-protection page', async () => {
      // Given
      stack.emulator.faults.set('search', { html403: true });

      // When
      const response = await stack.get('/api/search?title=Socrates');

      // Then
      expect(response.status).toBe(502);
      expect((response.json() as { detail: string }).detail).toMatch(/bot-protection page \(HTTP 403\)/);
    });

    it('answers 502 for malformed JSON', async () => {
      // Given
      stack.emulator.faults.set('object', { malformedJson: true });

      // When
      const response = await stack.get('/api/v1/artworks/436105');

      // Then
      expect(response.status).toBe(502);
      expect(response.json()).toEqual({ detail: 'Met Collection API answered with a body that is not valid JSON.' });
    });

    it('answers 502 when the Met keeps resetting the connection', async () => {
      // Given
      stack.emulator.faults.set('departments', { reset: true });

      // When
      const response = await stack.get('/api/v1/departments');

      // Then
      expect(response.status).toBe(502);
      expect(response.json()).toEqual({ detail: 'Met Collection API dropped the connection.' });
    });

    it('recovers from a single connection reset by retrying', async () => {
      // Given
      stack.emulator.faults.set('departments', { reset: true, times: 1 });

      // When
      const response = await stack.get('/api/v1/departments');

      // Then
      expect(response.status).toBe(200);
    });

    it('stays ready while the Met fails (it can still answer from the cache), naming the reason', async () => {
      // Given
      stack.emulator.faults.set('departments', { status: 503 });

      // When: probed until a probe has seen the refreshed state (a probe answers with the last known one at once)
      const statuses: number[] = [];
      const response = await vi.waitFor(async () => {
        const probe = await stack.get('/health/ready');
        statuses.push(probe.status);
        expect(probe.json()).toMatchObject({ dependencies: { met: 'Met Collection API answered HTTP 503.' } });
        return probe;
      });

      // Then: ready all along
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(response.json()).toEqual({
        status: 'ready',
        checks: {},
        dependencies: { met: 'Met Collection API answered HTTP 503.' },
      });
    });
  });
});

describe('art-search caching against the emulator', () => {
  let stack: RunningStack;
  afterEach(async () => {
    await stack.close();
  });

  it('serves a repeated search from the cache: one upstream search and one object fetch', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true });
    await stack.get('/api/search?title=The%20Death%20of%20Socrates');

    // When
    const again = await stack.get('/api/search?title=The%20Death%20of%20Socrates');

    // Then
    expect(again.json()).toBe(SOCRATES_IMAGE);
    expect(stack.emulator.stats.count('search')).toBe(1);
    expect(stack.emulator.stats.count('object')).toBe(1);
    const metrics = (await stack.get('/metrics')).body;
    expect(metrics).toMatch(/cache_lookups_total\{[^}]*result="hit"[^}]*\} 2/);
  });

  it('coalesces 20 concurrent identical searches into one upstream search', async () => {
    // Given: a slow Met, so all requests overlap and none can be answered from a stored entry
    stack = await startStack({ cacheEnabled: true });
    stack.emulator.faults.set('search', { latencyMs: 150 });

    // When
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => stack.get('/api/search?title=The%20Death%20of%20Socrates')),
    );

    // Then
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(stack.emulator.stats.count('search')).toBe(1);
  });

  it('asks the Met for every search when caching is off, even concurrent identical ones', async () => {
    // Given
    stack = await startStack({ cacheEnabled: false });
    stack.emulator.faults.set('search', { latencyMs: 50 });
    await stack.get('/api/search?title=The%20Death%20of%20Socrates');

    // When
    await Promise.all([1, 2, 3].map(() => stack.get('/api/search?title=The%20Death%20of%20Socrates')));

    // Then
    expect(stack.emulator.stats.count('search')).toBe(4);
  });

  it('records request and upstream metrics by route template and outcome', async () => {
    // Given
    stack = await startStack();
    await stack.get('/api/v1/artworks/436105');
    await stack.get('/api/v1/artworks/999999999');

    // When
    const metrics = (await stack.get('/metrics')).body;

    // Then
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/artworks\/:objectId"[^}]*status_code="200"/);
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/artworks\/:objectId"[^}]*status_code="404"/);
    expect(metrics).toMatch(/upstream_request_duration_seconds_count\{[^}]*endpoint="object"[^}]*outcome="ok"/);
    expect(metrics).toMatch(/upstream_request_duration_seconds_count\{[^}]*endpoint="object"[^}]*outcome="http_404"/);
  });
});

describe('art-search when the Met is unreachable', () => {
  it('answers 502, stays ready and reports the Met down', async () => {
    // Given: the emulator is stopped, so its port refuses connections
    const stack = await startStack();
    await stack.emulator.close();

    // When
    const search = await stack.get('/api/search?title=Socrates');
    const ready = await stack.get('/health/ready');

    // Then
    expect(search.status).toBe(502);
    expect(search.json()).toEqual({ detail: 'Met Collection API refused the connection.' });
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ dependencies: { met: 'Met Collection API refused the connection.' } });
    expect((await stack.get('/metrics')).body).toMatch(/dependency_up\{dependency="met",service="art-search"\} 0/);
    await stack.app.close();
  });
});
