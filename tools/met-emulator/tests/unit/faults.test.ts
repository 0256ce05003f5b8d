import { describe, expect, it } from 'vitest';
import { createFaultController } from '../../src/faults.js';

describe('createFaultController', () => {
  it('applies a fault with times=N to the next N requests only, then clears it', () => {
    // Given a 503 fault for the next two search requests
    const faults = createFaultController({ search: { status: 503, times: 2 } });

    // When three search requests arrive
    const applied = [faults.take('search'), faults.take('search'), faults.take('search')];

    // Then the first two get it and the fault is gone afterwards
    expect(applied).toEqual([{ status: 503, times: 2 }, { status: 503, times: 1 }, undefined]);
    expect(faults.list()).toEqual({});
  });

  it('prefers a route fault over the * fault and uses * for other routes', () => {
    // Given a wildcard latency and a search-specific 502
    const faults = createFaultController({ '*': { latencyMs: 10 }, search: { status: 502 } });

    // When search and object requests arrive
    // Then each gets the most specific fault
    expect(faults.take('search')).toEqual({ status: 502 });
    expect(faults.take('object')).toEqual({ latencyMs: 10 });
  });

  it('replays the same probabilistic decisions for the same seed', () => {
    // Given two controllers with the same seed and a 50% fault
    const first = createFaultController({ object: { status: 500, probability: 0.5 } }, 42);
    const second = createFaultController({ object: { status: 500, probability: 0.5 } }, 42);

    // When 200 requests go through each
    const decide = (controller: typeof first) =>
      Array.from({ length: 200 }, () => controller.take('object') !== undefined);
    const firstRun = decide(first);
    const secondRun = decide(second);

    // Then the decisions are identical and some but not all requests were faulted
    expect(firstRun).toEqual(secondRun);
    const faulted = firstRun.filter(Boolean).length;
    expect(faulted).toBeGreaterThan(50);
    expect(faulted).toBeLessThan(150);
  });

  it('clears one route or all routes', () => {
    // Given faults on two routes
    const faults = createFaultController({ search: { status: 500 }, departments: { html403: true } });

    // When one is cleared, then all
    faults.clear('search');
    const afterOne = faults.list();
    faults.clear();

    // Then the lists reflect each step
    expect(afterOne).toEqual({ departments: { html403: true } });
    expect(faults.list()).toEqual({});
  });
});
