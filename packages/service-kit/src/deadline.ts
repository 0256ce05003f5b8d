import { AsyncLocalStorage } from 'node:async_hooks';

/** When the request being served must be answered by, on the `performance.now()` clock. */
export interface RequestDeadline {
  readonly expiresAt: number;
  /** The whole budget, for messages: "did not answer within the request's deadline of 5000 ms". */
  readonly budgetMs: number;
}

// The deadline travels with the request's async work rather than through every provider and service signature:
// every upstream call a request makes, however deep, shares the one budget without the layers between knowing.
const storage = new AsyncLocalStorage<RequestDeadline>();

/** Runs `work` with a deadline `budgetMs` from `startedAt` (default now); upstream calls made inside share it. */
export function runWithDeadline<T>(budgetMs: number, work: () => T, startedAt = performance.now()): T {
  return storage.run({ expiresAt: startedAt + budgetMs, budgetMs }, work);
}

/**
 * Runs `work` under an existing deadline, or outside any when it is `undefined`. For work done on behalf of requests
 * that are no longer the current async context (a call shared by several queued requests), which must not inherit
 * the deadline of whichever request happened to schedule it.
 */
export function runWithinDeadline<T>(deadline: RequestDeadline | undefined, work: () => T): T {
  return deadline === undefined ? storage.exit(work) : storage.run(deadline, work);
}

/** The deadline of the request being served, if any (none outside a request, e.g. start-up checks). */
export function currentDeadline(): RequestDeadline | undefined {
  return storage.getStore();
}

/** Milliseconds left before the deadline (≤ 0 once it has passed). */
export function remainingMs(deadline: RequestDeadline): number {
  return deadline.expiresAt - performance.now();
}

/**
 * How long an upstream call may take: its own timeout, or less when the request's deadline comes first.
 * `deadline` is set only when it is the deadline that binds, so a timeout can name the right limit.
 */
export function callBudget(timeoutMs: number): { budgetMs: number; deadline: RequestDeadline | undefined } {
  const deadline = storage.getStore();
  if (deadline === undefined) return { budgetMs: timeoutMs, deadline: undefined };
  const left = Math.floor(remainingMs(deadline));
  return left < timeoutMs ? { budgetMs: Math.max(0, left), deadline } : { budgetMs: timeoutMs, deadline: undefined };
}
