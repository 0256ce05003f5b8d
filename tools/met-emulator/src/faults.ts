import type { ApiRoute, Fault, FaultMap, FaultRoute } from './schemas.js';

/** Deterministic PRNG (mulberry32) so probabilistic faults replay identically for a given seed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Controls which faults are active per route. */
export interface FaultController {
  /** Activates `fault` on `route` (replacing any fault already there). */
  set(route: FaultRoute, fault: Fault): void;
  /** Clears the fault on `route`, or every fault when no route is given. */
  clear(route?: FaultRoute): void;
  /** The active faults, keyed by route (with `times` showing how many applications are left). */
  list(): FaultMap;
  /**
   * Decides whether a request to `route` gets a fault, consuming one of its `times` if so.
   * A fault on the route itself wins over a `*` fault. A fault limited to `objectIds` applies only to a
   * request for one of them (`objectId`, the object route's ID).
   */
  take(route: ApiRoute, objectId?: number): Fault | undefined;
}

/** Creates a fault controller; `seed` makes `probability` faults deterministic. */
export function createFaultController(initial: FaultMap = {}, seed = 1): FaultController {
  const active = new Map<FaultRoute, Fault>();
  const random = createRandom(seed);

  const controller: FaultController = {
    set(route, fault) {
      active.set(route, { ...fault });
    },
    clear(route) {
      if (route === undefined) active.clear();
      else active.delete(route);
    },
    list() {
      return Object.fromEntries([...active.entries()].map(([route, fault]) => [route, { ...fault }]));
    },
    take(route, objectId) {
      const key: FaultRoute | undefined = active.has(route) ? route : active.has('*') ? '*' : undefined;
      if (key === undefined) return undefined;
      const fault = active.get(key);
      if (fault === undefined) return undefined;
      if (fault.objectIds !== undefined && (objectId === undefined || !fault.objectIds.includes(objectId))) {
        return undefined;
      }
      if (fault.probability !== undefined && random() >= fault.probability) return undefined;
      if (fault.times !== undefined) {
        if (fault.times <= 1) active.delete(key);
        else active.set(key, { ...fault, times: fault.times - 1 });
      }
      return fault;
    },
  };
  for (const [route, fault] of Object.entries(initial) as [FaultRoute, Fault][]) controller.set(route, fault);
  return controller;
}
