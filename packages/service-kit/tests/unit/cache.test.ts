import { createServiceMetrics, type ServiceMetrics, TtlCache, type TtlCacheOptions } from '@mlms/service-kit';
import { describe, expect, it, vi } from 'vitest';
import { sampleValue } from './support/prometheus.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

function cacheWith(options: Partial<TtlCacheOptions> = {}): {
  cache: TtlCache<string>;
  metrics: ServiceMetrics;
  lookups: (result: string) => Promise<number>;
} {
  const metrics = createServiceMetrics('cache-test');
  const cache = new TtlCache<string>({ name: 'objects', enabled: true, maxEntries: 10, metrics, ...options });
  const lookups = async (result: string) =>
    sampleValue(await metrics.registry.metrics(), 'cache_lookups_total', { cache: 'objects', result }) ?? 0;
  return { cache, metrics, lookups };
}

/** A promise the test settles by hand, to hold a load in flight. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve: (value: T) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

describe('TtlCache.getOrLoad', () => {
  it('loads on a miss, then answers from the cache and counts a miss and a hit', async () => {
    // Given
    const { cache, lookups } = cacheWith();
    const load = vi.fn(async () => 'socrates');

    // When
    const first = await cache.getOrLoad('436105', 60_000, load);
    const second = await cache.getOrLoad('436105', 60_000, load);

    // Then
    expect([first, second]).toEqual(['socrates', 'socrates']);
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);
    expect(await lookups('miss')).toBe(1);
    expect(await lookups('hit')).toBe(1);
  });

  it('calls the loader once for N concurrent identical lookups and counts the others as coalesced', async () => {
    // Given
    const { cache, lookups } = cacheWith();
    const pending = deferred<string>();
    const load = vi.fn(() => pending.promise);

    // When
    const results = Promise.all(Array.from({ length: 10 }, () => cache.getOrLoad('q=cat', 60_000, load)));
    pending.resolve('cats');

    // Then
    expect(await results).toEqual(Array(10).fill('cats'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(await lookups('miss')).toBe(1);
    expect(await lookups('coalesced')).toBe(9);
  });

  it('loads different keys independently', async () => {
    // Given
    const { cache } = cacheWith();
    const load = vi.fn(async () => 'value');

    // When
    await Promise.all([cache.getOrLoad('a', 1000, load), cache.getOrLoad('b', 1000, load)]);

    // Then
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(2);
  });

  it('expires an entry once its TTL has passed, and not a moment before', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now });
    let version = 0;
    const load = vi.fn(async () => `v${++version}`);
    await cache.getOrLoad('k', 1000, load);

    // When
    clock.advance(999);
    const beforeExpiry = await cache.getOrLoad('k', 1000, load);
    clock.advance(1);
    const atExpiry = await cache.getOrLoad('k', 1000, load);

    // Then
    expect(beforeExpiry).toBe('v1');
    expect(atExpiry).toBe('v2');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('evicts the least recently used entry when it holds maxEntries', async () => {
    // Given
    const { cache } = cacheWith({ maxEntries: 2 });
    const load = vi.fn(async () => 'loaded');
    await cache.getOrLoad('a', 60_000, load);
    await cache.getOrLoad('b', 60_000, load);
    await cache.getOrLoad('a', 60_000, load); // a is now more recently used than b

    // When
    await cache.getOrLoad('c', 60_000, load);
    load.mockClear();
    await cache.getOrLoad('a', 60_000, load);
    await cache.getOrLoad('c', 60_000, load);
    const loadsForKeptKeys = load.mock.calls.length;
    await cache.getOrLoad('b', 60_000, load);

    // Then
    expect(cache.size).toBe(2);
    expect(loadsForKeptKeys).toBe(0);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('sends every lookup to the loader when disabled: nothing stored, nothing coalesced, nothing counted', async () => {
    // Given
    const { cache, lookups } = cacheWith({ enabled: false });
    const pending = deferred<string>();
    const load = vi.fn(() => pending.promise);

    // When
    const concurrent = Promise.all([cache.getOrLoad('k', 60_000, load), cache.getOrLoad('k', 60_000, load)]);
    pending.resolve('value');
    const results = await concurrent;
    load.mockImplementation(async () => 'again');
    const later = await cache.getOrLoad('k', 60_000, load);

    // Then
    expect(results).toEqual(['value', 'value']);
    expect(later).toBe('again');
    expect(load).toHaveBeenCalledTimes(3);
    expect(cache.size).toBe(0);
    expect([await lookups('hit'), await lookups('miss'), await lookups('coalesced')]).toEqual([0, 0, 0]);
  });

  it('does not store a value loaded with a TTL of zero', async () => {
    // Given
    const { cache } = cacheWith();
    const load = vi.fn(async () => 'fresh');

    // When
    await cache.getOrLoad('k', 0, load);
    await cache.getOrLoad('k', 0, load);

    // Then
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('does not cache a failed load: every waiter gets the error and the next caller loads again', async () => {
    // Given
    const { cache } = cacheWith();
    const pending = deferred<string>();
    const failing = vi.fn(() => pending.promise);

    // When
    const waiters = [cache.getOrLoad('k', 60_000, failing), cache.getOrLoad('k', 60_000, failing)];
    pending.reject(new Error('Met answered HTTP 500.'));
    const outcomes = await Promise.allSettled(waiters);
    const retried = await cache.getOrLoad('k', 60_000, async () => 'recovered');

    // Then
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(retried).toBe('recovered');
    expect(cache.size).toBe(1);
  });

  it('forgets every entry on clear()', async () => {
    // Given
    const { cache } = cacheWith();
    await cache.getOrLoad('a', 60_000, async () => 'A');
    await cache.getOrLoad('b', 60_000, async () => 'B');

    // When
    cache.clear();
    const reloaded = await cache.getOrLoad('a', 60_000, async () => 'A2');

    // Then
    expect(reloaded).toBe('A2');
    expect(cache.size).toBe(1);
  });

  it('works without metrics', async () => {
    // Given
    const cache = new TtlCache<number>({ name: 'plain', enabled: true, maxEntries: 1 });

    // When
    const first = await cache.getOrLoad('k', 1000, async () => 1);
    const second = await cache.getOrLoad('k', 1000, async () => 2);

    // Then
    expect([first, second]).toEqual([1, 1]);
  });
});

describe('TtlCache serve-stale', () => {
  const failing = () => Promise.reject(new Error('upstream down'));
  const always = () => true;

  it('answers a failed load from an expired entry within maxStaleMs and counts it as stale', async () => {
    // Given
    const clock = manualClock();
    const { cache, lookups } = cacheWith({ now: clock.now, maxStaleMs: 5000 });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(4000);

    // When
    const value = await cache.getOrLoad('a', 1000, failing, { serveStale: always });

    // Then
    expect(value).toBe('A1');
    expect(await lookups('stale')).toBe(1);
    expect(cache.peek('a')).toEqual({ value: 'A1', stale: true });
  });

  it('fails once the entry is older than its TTL plus maxStaleMs', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now, maxStaleMs: 5000 });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(6000);

    // When / Then
    await expect(cache.getOrLoad('a', 1000, failing, { serveStale: always })).rejects.toThrow('upstream down');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('fails when serveStale refuses the error, or is not given', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now, maxStaleMs: 5000 });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(2000);

    // When / Then
    await expect(cache.getOrLoad('a', 1000, failing, { serveStale: () => false })).rejects.toThrow('upstream down');
    await expect(cache.getOrLoad('a', 1000, failing)).rejects.toThrow('upstream down');
  });

  it('reloads an expired entry when the load succeeds, and serves the new value', async () => {
    // Given
    const clock = manualClock();
    const { cache, lookups } = cacheWith({ now: clock.now, maxStaleMs: 5000 });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(2000);

    // When
    const value = await cache.getOrLoad('a', 1000, async () => 'A2', { serveStale: always });

    // Then
    expect(value).toBe('A2');
    expect(cache.peek('a')).toEqual({ value: 'A2', stale: false });
    expect(await lookups('stale')).toBe(0);
  });

  it('gives the stale value to callers coalesced with the failing load', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now, maxStaleMs: 5000 });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(2000);
    const load = deferred<string>();

    // When
    const first = cache.getOrLoad('a', 1000, () => load.promise, { serveStale: always });
    const second = cache.getOrLoad('a', 1000, failing, { serveStale: always });
    load.reject(new Error('down'));

    // Then
    expect(await Promise.all([first, second])).toEqual(['A1', 'A1']);
  });

  it('drops expired entries at once without maxStaleMs', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now });
    await cache.getOrLoad('a', 1000, async () => 'A1');
    clock.advance(1000);

    // When / Then
    expect(cache.peek('a')).toBeUndefined();
    await expect(cache.getOrLoad('a', 1000, failing, { serveStale: always })).rejects.toThrow('upstream down');
  });

  it('stores each value for the TTL its policy picks, and a zero TTL removes the stale entry', async () => {
    // Given
    const clock = manualClock();
    const { cache } = cacheWith({ now: clock.now, maxStaleMs: 60_000 });
    const ttl = (value: string) => (value.startsWith('gone') ? 0 : value === 'short' ? 100 : 1000);
    await cache.getOrLoad('s', ttl, async () => 'short');
    await cache.getOrLoad('a', ttl, async () => 'A1');
    clock.advance(1500);

    // When
    await cache.getOrLoad('a', ttl, async () => 'gone now');

    // Then
    expect(cache.peek('s')).toEqual({ value: 'short', stale: true });
    expect(cache.peek('a')).toBeUndefined();
    await expect(cache.getOrLoad('a', ttl, failing, { serveStale: always })).rejects.toThrow('upstream down');
  });
});

describe('TtlCache construction', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %s', (maxEntries) => {
    // Given
    const options = { name: 'bad', enabled: true, maxEntries };

    // When
    const build = () => new TtlCache(options);

    // Then
    expect(build).toThrow(RangeError);
    expect(build).toThrow(`maxEntries must be a positive integer, got ${maxEntries}`);
  });

  it.each([-1, Number.NaN])('refuses maxStaleMs %s', (maxStaleMs) => {
    // When
    const build = () => new TtlCache({ name: 'bad', enabled: true, maxEntries: 1, maxStaleMs });

    // Then
    expect(build).toThrow(`maxStaleMs must be 0 or more, got ${maxStaleMs}`);
  });
});
