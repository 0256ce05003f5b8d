import { RateLimiter } from '@mlms/service-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Starts `count` acquisitions and records, in order, which of them have been let through. */
function acquireMany(limiter: RateLimiter, count: number): { granted: number[]; all: Promise<unknown> } {
  const granted: number[] = [];
  const all = Promise.all(
    Array.from({ length: count }, (_unused, index) => limiter.acquire().then(() => void granted.push(index))),
  );
  return { granted, all };
}

describe('RateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([0, -1])('lets every caller through at once when the rate is %i (unlimited)', async (rate) => {
    // Given
    const limiter = new RateLimiter(rate);

    // When
    const { granted } = acquireMany(limiter, 1000);
    await vi.advanceTimersByTimeAsync(0);

    // Then
    expect(granted).toHaveLength(1000);
  });

  it('lets a burst through at once and makes the (burst+1)-th caller wait for a refill', async () => {
    // Given 10 per second (one token per 100 ms) with bursts of 3
    const limiter = new RateLimiter(10, 3, () => Date.now());

    // When
    const { granted, all } = acquireMany(limiter, 4);
    await vi.advanceTimersByTimeAsync(0);
    const grantedAtOnce = [...granted];
    await vi.advanceTimersByTimeAsync(99);
    const grantedBeforeRefill = [...granted];
    await vi.advanceTimersByTimeAsync(1);
    await all;

    // Then
    expect(grantedAtOnce).toEqual([0, 1, 2]);
    expect(grantedBeforeRefill).toEqual([0, 1, 2]);
    expect(granted).toEqual([0, 1, 2, 3]);
  });

  it('keeps to the rate over time and lets waiters through in arrival order', async () => {
    // Given 5 per second with bursts of 1
    const limiter = new RateLimiter(5, 1, () => Date.now());

    // When
    const { granted, all } = acquireMany(limiter, 6);
    await vi.advanceTimersByTimeAsync(0);
    const atStart = granted.length;
    await vi.advanceTimersByTimeAsync(600);
    const afterSixHundredMs = granted.length;
    await vi.advanceTimersByTimeAsync(400);
    await all;

    // Then
    expect(atStart).toBe(1);
    expect(afterSixHundredMs).toBe(4);
    expect(granted).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('does not let a later caller overtake a waiting one, even when it would need a shorter wait', async () => {
    // Given 3 per second with bursts of 1, and a clock with sub-millisecond precision like performance.now()
    let fraction = 0;
    const limiter = new RateLimiter(3, 1, () => Date.now() + fraction);
    const order: string[] = [];
    const acquireAs = (name: string) => limiter.acquire().then(() => void order.push(name));
    const first = acquireAs('first'); // takes the only token
    const waiting = acquireAs('waiting'); // needs 333.3 ms of refill, so sleeps 334 ms
    await vi.advanceTimersByTimeAsync(100);
    fraction = 0.5;

    // When a caller arrives whose own rounded wait would end before the waiting caller's
    const late = acquireAs('late');
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all([first, waiting, late]);

    // Then
    expect(order).toEqual(['first', 'waiting', 'late']);
  });

  it('refills up to the burst only, however long it stayed idle', async () => {
    // Given
    const limiter = new RateLimiter(10, 2, () => Date.now());
    await vi.advanceTimersByTimeAsync(60_000);

    // When
    const { granted } = acquireMany(limiter, 5);
    await vi.advanceTimersByTimeAsync(0);

    // Then
    expect(granted).toEqual([0, 1]);
  });

  it('defaults the burst to a quarter of the rate, at least 1', async () => {
    // Given
    const fast = new RateLimiter(80, undefined, () => Date.now());
    const slow = new RateLimiter(1, undefined, () => Date.now());

    // When
    const fastCallers = acquireMany(fast, 21);
    const slowCallers = acquireMany(slow, 2);
    await vi.advanceTimersByTimeAsync(0);

    // Then
    expect(fastCallers.granted).toHaveLength(20);
    expect(slowCallers.granted).toHaveLength(1);
  });

  it('uses the monotonic performance clock by default', async () => {
    // Given
    const limiter = new RateLimiter(10, 1);

    // When
    const { granted, all } = acquireMany(limiter, 2);
    await vi.advanceTimersByTimeAsync(0);
    const grantedAtOnce = granted.length;
    await vi.advanceTimersByTimeAsync(100);
    await all;

    // Then
    expect(grantedAtOnce).toBe(1);
    expect(granted).toEqual([0, 1]);
  });
});
