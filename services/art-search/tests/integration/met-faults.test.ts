import { afterEach, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../support/stack.js';

/**
 * How art-search answers each way the Met misbehaves, through the emulator over loopback (see the README's
 * "When the Met misbehaves"). The emulator's "portrait" title search lists 337844, 436286, 437386, 436532, in that
 * order, each with an image.
 */
const PORTRAIT = '/api/v1/artworks/search?title=portrait';
const SOCRATES_IMAGE = 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const objectIdOf = (response: { json: () => unknown }) => (response.json() as { objectId: number }).objectId;

let stack: RunningStack;
afterEach(async () => {
  await stack.close();
});

describe('a transient 404 does not poison the cache', () => {
  it.each([
    ['a JSON 404 that is not the Met\'s "ObjectID not found"', { status: 404, times: 1 }],
    ['an HTML 404', { status: 404, statusBody: 'html', times: 1 } as const],
    ['an empty 404', { status: 404, statusBody: 'empty', times: 1 } as const],
  ])('answers 502 for %s, then 200 once the Met serves the object', async (_name, fault) => {
    // Given
    stack = await startStack({ cacheEnabled: true });
    stack.emulator.faults.set('object', fault);

    // When
    const failed = await stack.get('/api/v1/artworks/337844');
    const served = await stack.get('/api/v1/artworks/337844');
    const searched = await stack.get(PORTRAIT);

    // Then
    expect(failed.status).toBe(502);
    expect(failed.json()).toEqual({ detail: 'Met Collection API answered HTTP 404.' });
    expect(served.status).toBe(200);
    expect(objectIdOf(served)).toBe(337844);
    expect(objectIdOf(searched)).toBe(337844);
  });

  it('caches the Met\'s own "ObjectID not found" for cacheNotFoundTtlSeconds only', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true, cacheNotFoundTtlSeconds: 1 });
    stack.emulator.faults.set('object', { objectNotFound: true, times: 1 });

    // When
    const gone = await stack.get('/api/v1/artworks/337844');
    const stillGone = await stack.get('/api/v1/artworks/337844');
    await sleep(1100);
    const back = await stack.get('/api/v1/artworks/337844');

    // Then
    expect(gone.status).toBe(404);
    expect(gone.json()).toEqual({ detail: 'No artwork with object ID 337844.' });
    expect(stillGone.status).toBe(404);
    expect(back.status).toBe(200);
    expect(stack.emulator.stats.count('object')).toBe(2);
  });
});

describe('serving stale answers while the Met fails', () => {
  it.each([
    ['answers 5xx', { status: 503 }],
    ['shows its bot wall', { html403: true as const }],
    ['is slower than the timeout', { latencyMs: 1000 }],
  ])('answers from expired entries when the Met %s, and counts them as stale', async (_name, fault) => {
    // Given: entries that expire after 1 s and may be served up to 60 s past that
    stack = await startStack({
      cacheEnabled: true,
      cacheObjectTtlSeconds: 1,
      cacheSearchTtlSeconds: 1,
      cacheMaxStaleSeconds: 60,
      met: { timeoutMs: 300, refusalCooldownMs: 60_000 },
    });
    await stack.get('/api/search?title=The%20Death%20of%20Socrates');
    await sleep(1100);
    stack.emulator.faults.set('*', fault);

    // When
    const stale = await stack.get('/api/search?title=The%20Death%20of%20Socrates');
    const metrics = (await stack.get('/metrics')).body;

    // Then
    expect(stale.status).toBe(200);
    expect(stale.json()).toBe(SOCRATES_IMAGE);
    expect(metrics).toMatch(/cache_lookups_total\{[^}]*result="stale"[^}]*\} 2/);
  });

  it('answers 502 when the expired entry is older than cacheMaxStaleSeconds allows', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true, cacheObjectTtlSeconds: 1, cacheMaxStaleSeconds: 0 });
    await stack.get('/api/v1/artworks/436105');
    await sleep(1100);
    stack.emulator.faults.set('object', { status: 503 });

    // When
    const response = await stack.get('/api/v1/artworks/436105');

    // Then
    expect(response.status).toBe(502);
  });
});

describe('the Met quirks art-search survives', () => {
  it('skips an object the search listed but the Met then says it does not know, and answers the next one', async () => {
    // Given
    stack = await startStack();
    stack.emulator.faults.set('object', { objectNotFound: true, objectIds: [337844] });

    // When
    const response = await stack.get(PORTRAIT);

    // Then
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ objectId: 436286, totalResults: 4 });
  });

  it('skips "Not a valid object" in a search, answers 404 for it by ID, and does not cache it', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true });
    stack.emulator.faults.set('object', { notValidObject: true, objectIds: [337844], times: 2 });

    // When
    const searched = await stack.get(PORTRAIT);
    const byId = await stack.get('/api/v1/artworks/337844');
    const later = await stack.get('/api/v1/artworks/337844');

    // Then
    expect(objectIdOf(searched)).toBe(436286);
    expect(byId.status).toBe(404);
    expect(byId.json()).toEqual({ detail: 'No artwork with object ID 337844.' });
    expect(later.status).toBe(200);
  });

  it('skips a public-domain object whose primaryImage is empty, and shows it by ID with a null image', async () => {
    // Given
    stack = await startStack();
    stack.emulator.faults.set('object', { noImage: true, objectIds: [337844] });

    // When
    const searched = await stack.get(PORTRAIT);
    const byId = await stack.get('/api/v1/artworks/337844');

    // Then
    expect(objectIdOf(searched)).toBe(436286);
    expect(byId.status).toBe(200);
    expect(byId.json()).toMatchObject({ objectId: 337844, primaryImage: null, primaryImageSmall: null });
  });

  it('skips IDs in objectIDs that 404 and answers the first real match', async () => {
    // Given
    stack = await startStack();
    stack.emulator.faults.set('search', { phantomIds: [999000001, 999000002] });

    // When
    const response = await stack.get('/api/v1/artworks/search?title=The%20Death%20of%20Socrates');

    // Then
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ objectId: 436105, totalResults: 3 });
    expect(stack.emulator.stats.count('object')).toBe(3);
  });

  it('answers 404 "No results found." when every listed ID 404s', async () => {
    // Given
    stack = await startStack();
    stack.emulator.faults.set('search', { phantomIds: [999000001] });

    // When
    const response = await stack.get('/api/search?title=qwertyuiop');

    // Then
    expect(response.status).toBe(404);
    expect(response.body).toBe('{"detail":"No results found."}');
  });

  it('answers a search the same way every time although the Met answers to parameter order', async () => {
    // Given: the Met rotates its IDs by where q sits; art-search always sends q last, after title and hasImages
    stack = await startStack();
    stack.emulator.faults.set('search', { reorder: 'byParamOrder' });

    // When
    const first = await stack.get(PORTRAIT);
    const second = await stack.get(PORTRAIT);

    // Then
    expect(objectIdOf(first)).toBe(437386);
    expect(objectIdOf(second)).toBe(437386);
    expect(stack.emulator.stats.snapshot().recent[0]?.url).toBe(
      '/public/collection/v1/search?title=true&hasImages=true&q=portrait',
    );
  });

  it('answers a search whose results change between calls from the cache while it is fresh', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true });
    stack.emulator.faults.set('search', { reorder: 'perCall' });

    // When
    const first = await stack.get(PORTRAIT);
    const second = await stack.get(PORTRAIT);

    // Then
    expect(objectIdOf(second)).toBe(objectIdOf(first));
    expect(stack.emulator.stats.count('search')).toBe(1);
  });

  it("follows the Met's current order when caching is off", async () => {
    // Given
    stack = await startStack();
    stack.emulator.faults.set('search', { reorder: 'perCall' });

    // When
    const first = await stack.get(PORTRAIT);
    const second = await stack.get(PORTRAIT);

    // Then
    expect([objectIdOf(first), objectIdOf(second)]).toEqual([337844, 436286]);
  });
});

describe('the bot wall', () => {
  it('stays under a wall of 30 requests in 50 ms through a burst of 200 searches, thanks to the token bucket', async () => {
    // Given: 60 requests per second with bursts of 15 send at most 18 requests in any 50 ms, well under 30
    stack = await startStack({ cacheEnabled: true, met: { maxRequestsPerSecond: 60 } });
    stack.emulator.botWall.set({ maxRequests: 30, windowMs: 50, cooldownMs: 60_000 });
    // 200 different spellings of "socrates": 200 searches, all answered by the same (cached) object
    const titles = Array.from({ length: 200 }, (_, index) =>
      [...'socrates'].map((letter, bit) => ((index >> bit) & 1 ? letter.toUpperCase() : letter)).join(''),
    );

    // When
    const responses = await Promise.all(titles.map((title) => stack.get(`/api/search?title=${title}`)));

    // Then
    expect(responses.map((response) => response.status)).toEqual(titles.map(() => 200));
    expect(stack.emulator.botWall.state().blocked).toBe(false);
    expect(stack.emulator.stats.count('search')).toBe(200);
  });

  it('runs into a wall of 30 requests in 10 s with the same burst and no token bucket, then backs off', async () => {
    // Given
    stack = await startStack({ cacheEnabled: true, met: { maxRequestsPerSecond: 0, refusalCooldownMs: 60_000 } });
    stack.emulator.botWall.set({ maxRequests: 30, windowMs: 10_000, cooldownMs: 60_000 });
    const titles = Array.from({ length: 200 }, (_, index) =>
      [...'socrates'].map((letter, bit) => ((index >> bit) & 1 ? letter.toUpperCase() : letter)).join(''),
    );

    // When
    const responses = await Promise.all(titles.map((title) => stack.get(`/api/search?title=${title}`)));

    const sent = stack.emulator.stats.snapshot().total;
    const afterwards = await stack.get('/api/search?title=socrates%20again');

    // Then: the 31st request met the wall, and art-search stopped calling the Met
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(30);
    expect(statuses.filter((status) => status === 502).length).toBeGreaterThanOrEqual(170);
    expect(stack.emulator.botWall.state().blocked).toBe(true);
    expect(afterwards.status).toBe(502);
    expect(afterwards.body).toMatch(/not calling it again/);
    expect(stack.emulator.stats.snapshot().total).toBe(sent);
  });

  it('stops calling the Met for its cooldown after the wall, then recovers', async () => {
    // Given: a wall after 4 requests for 300 ms; art-search backs off for 500 ms
    stack = await startStack({ met: { refusalCooldownMs: 500 } });
    stack.emulator.botWall.set({ maxRequests: 4, windowMs: 60_000, cooldownMs: 300 });
    const search = () => stack.get('/api/search?title=The%20Death%20of%20Socrates');
    const before = [await search(), await search()];

    // When
    const walled = await search();
    const backingOff = await Promise.all([search(), search(), search()]);
    const calledDuringCooldown = stack.emulator.stats.snapshot().total;
    await sleep(600);
    const recovered = await search();

    // Then
    expect(before.map((response) => response.status)).toEqual([200, 200]);
    expect(walled.status).toBe(502);
    expect((walled.json() as { detail: string }).detail).toMatch(/bot-protection page \(HTTP 403\)/);
    expect(backingOff.map((response) => response.status)).toEqual([502, 502, 502]);
    expect(backingOff[0]?.body).toMatch(/not calling it again/);
    expect(calledDuringCooldown).toBe(5);
    expect(recovered.status).toBe(200);
    expect(recovered.json()).toBe(SOCRATES_IMAGE);
  });
});
