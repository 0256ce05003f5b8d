import { type ApiRoute, apiRoutes } from './schemas.js';

/** How many requests each Collection API route received, plus the most recent request URLs. */
export interface RequestStatsSnapshot {
  search: number;
  object: number;
  objects: number;
  departments: number;
  total: number;
  /** The last requests (oldest first), at most {@link recentLimit} of them. */
  recent: { route: ApiRoute; method: string; url: string }[];
}

/** How many recent request URLs the statistics keep. */
export const recentLimit = 100;

/** Request counters, used by tests to prove caching and request coalescing in clients. */
export interface RequestStats {
  /** Counts one request (faulted requests count too: they reached the server). */
  record(route: ApiRoute, method: string, url: string): void;
  /** The counters and recent URLs right now. */
  snapshot(): RequestStatsSnapshot;
  /** How many requests `route` received. */
  count(route: ApiRoute): number;
  /** Resets every counter and forgets the recent URLs. */
  reset(): void;
}

/** Creates empty request statistics. */
export function createRequestStats(): RequestStats {
  const counts = new Map<ApiRoute, number>();
  let recent: RequestStatsSnapshot['recent'] = [];
  return {
    record(route, method, url) {
      counts.set(route, (counts.get(route) ?? 0) + 1);
      recent.push({ route, method, url });
      if (recent.length > recentLimit) recent = recent.slice(-recentLimit);
    },
    snapshot() {
      const perRoute = Object.fromEntries(apiRoutes.map((route) => [route, counts.get(route) ?? 0])) as Record<
        ApiRoute,
        number
      >;
      const total = apiRoutes.reduce((sum, route) => sum + perRoute[route], 0);
      return { ...perRoute, total, recent: recent.map((entry) => ({ ...entry })) };
    },
    count(route) {
      return counts.get(route) ?? 0;
    },
    reset() {
      counts.clear();
      recent = [];
    },
  };
}
