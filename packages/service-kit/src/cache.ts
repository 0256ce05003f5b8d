import type { ServiceMetrics } from './metrics.js';

export interface TtlCacheOptions {
  /** Label for metrics and logs. */
  name: string;
  /** When false every lookup goes to the loader: nothing is stored and nothing is coalesced. */
  enabled: boolean;
  /** Upper bound on stored entries; the least recently used one is evicted first. */
  maxEntries: number;
  metrics?: ServiceMetrics | undefined;
  /** Injectable clock for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
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
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the cached value for `key`, or loads it once and stores it for `ttlMs`.
   * Failed loads are not cached: the next caller tries again.
   */
  async getOrLoad(key: string, ttlMs: number, load: () => Promise<V>): Promise<V> {
    if (!this.options.enabled) return load();
    const cached = this.lookup(key);
    if (cached) {
      this.count('hit');
      return cached.value;
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
        this.store(key, value, ttlMs);
        return value;
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, loading);
    return loading;
  }

  clear(): void {
    this.entries.clear();
  }

  private lookup(key: string): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-inserting moves the key to the end of the Map's order, which is what makes eviction least-recently-used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private store(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  private count(result: 'hit' | 'miss' | 'coalesced'): void {
    this.options.metrics?.cacheLookups.inc({ cache: this.options.name, result });
  }
}
