import type { ServiceMetrics } from './metrics.js';

export interface TtlCacheOptions {
  /** Label for metrics and logs. */
  name: string;
  /** When false every lookup goes to the loader: nothing is stored and nothing is coalesced. */
  enabled: boolean;
  /** Upper bound on stored entries; the least recently used one is evicted first. */
  maxEntries: number;
  metrics?: ServiceMetrics | undefined;
  /**
   * How long an expired entry is kept after its TTL (default 0: dropped on expiry), to be served by a
   * `getOrLoad` whose load fails with an error its `serveStale` accepts.
   */
  maxStaleMs?: number | undefined;
  /** Injectable clock for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/** How long a loaded value is kept: one TTL for every value, or a TTL chosen per value (0 = not stored). */
export type TtlPolicy<V> = number | ((value: V) => number);

export interface GetOrLoadOptions {
  /**
   * Decides whether a failed load may be answered from an expired entry (at most `maxStaleMs` past its TTL).
   * Without it a failed load always fails the lookup.
   */
  serveStale?: ((error: unknown) => boolean) | undefined;
}

/**
 * A size-bounded, in-memory TTL cache with request coalescing: while a value is being loaded, every other
 * caller asking for the same key waits for that one load instead of starting its own. That is what keeps a
 * burst of identical searches down to one upstream call.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: TtlCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    if (options.maxStaleMs !== undefined && !(options.maxStaleMs >= 0)) {
      throw new RangeError(`maxStaleMs must be 0 or more, got ${options.maxStaleMs}`);
    }
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the cached value for `key`, or loads it once and stores it for `ttlMs` (a number, or a function of
   * the loaded value). Failed loads are not cached: the next caller tries again. When a load fails, an expired
   * entry still within `maxStaleMs` and an error that `options.serveStale` accepts, the expired value is the
   * answer (counted as `stale`), for this caller and every caller coalesced with it.
   */
  async getOrLoad(key: string, ttl: TtlPolicy<V>, load: () => Promise<V>, options: GetOrLoadOptions = {}): Promise<V> {
    if (!this.options.enabled) return load();
    const { fresh, stale } = this.lookup(key);
    if (fresh) {
      this.count('hit');
      return fresh.value;
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.count('coalesced');
      return pending;
    }
    this.count('miss');
    const loading = load().then(
      (value) => {
        this.inFlight.delete(key);
        this.store(key, value, typeof ttl === 'function' ? ttl(value) : ttl);
        return value;
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        const servable = stale !== undefined && options.serveStale?.(error) === true;
        // The entry may have been evicted or replaced while the load ran: serve only what is still stored.
        if (servable && this.entries.get(key) === stale && this.withinStaleness(stale)) {
          this.count('stale');
          return stale.value;
        }
        throw error;
      },
    );
    this.inFlight.set(key, loading);
    return loading;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Peeks at `key` without loading: its value, and whether it is past its TTL (but within `maxStaleMs`). */
  peek(key: string): { value: V; stale: boolean } | undefined {
    const entry = this.entries.get(key);
    if (!entry || !this.withinStaleness(entry)) return undefined;
    return { value: entry.value, stale: entry.expiresAt <= this.now() };
  }

  /** The fresh entry for `key`, or else its expired entry still within `maxStaleMs`; older ones are dropped. */
  private lookup(key: string): { fresh?: Entry<V>; stale?: Entry<V> } {
    const entry = this.entries.get(key);
    if (!entry) return {};
    if (entry.expiresAt <= this.now()) {
      if (this.withinStaleness(entry)) return { stale: entry };
      this.entries.delete(key);
      return {};
    }
    // Re-inserting moves the key to the end of the Map's order, which is what makes eviction least-recently-used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { fresh: entry };
  }

  private withinStaleness(entry: Entry<V>): boolean {
    return entry.expiresAt + (this.options.maxStaleMs ?? 0) > this.now();
  }

  private store(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  private count(result: 'hit' | 'miss' | 'coalesced' | 'stale'): void {
    this.options.metrics?.cacheLookups.inc({ cache: this.options.name, result });
  }
}
