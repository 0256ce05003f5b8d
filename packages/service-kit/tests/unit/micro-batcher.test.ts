import { currentDeadline, MicroBatcher, type RequestDeadline, runWithDeadline } from '@mlms/service-kit';
import { describe, expect, it, vi } from 'vitest';

interface Call {
  items: readonly number[];
  deadline: RequestDeadline | undefined;
  resolve: (results: string[]) => void;
  reject: (error: unknown) => void;
}

/** A call that waits until the test settles it, recording its items and the deadline it ran under. */
function controllableCall() {
  const calls: Call[] = [];
  const call = vi.fn(
    (items: readonly number[]) =>
      new Promise<string[]>((resolve, reject) => calls.push({ items, deadline: currentDeadline(), resolve, reject })),
  );
  return { calls, call };
}

const answer = (call: Call | undefined) => call?.resolve(call.items.map((item) => `result ${item}`));

/** Ends this event-loop turn: the check phase where an idle batcher makes its first call. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await Promise.resolve();
}

describe('MicroBatcher', () => {
  it('given items submitted during a call, when it ends, then the next call carries them all, each its own result', async () => {
    // Given
    const { calls, call } = controllableCall();
    const batcher = new MicroBatcher(call, { enabled: true, maxSize: 10 });
    const first = batcher.submit(1);
    await nextTurn();
    const queued = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];

    // When
    answer(calls[0]);
    await settle();
    answer(calls[1]);

    // Then
    expect(calls.map((made) => made.items)).toEqual([[1], [2, 3, 4]]);
    expect(await first).toBe('result 1');
    expect(await Promise.all(queued)).toEqual(['result 2', 'result 3', 'result 4']);
  });

  it('given queued items of several requests, when they share a call, then it runs under the earliest deadline', async () => {
    // Given
    const { calls, call } = controllableCall();
    const batcher = new MicroBatcher(call, { enabled: true, maxSize: 10 });
    const first = runWithDeadline(100_000, () => batcher.submit(1));
    await nextTurn();
    const started = performance.now();
    const later = runWithDeadline(9_000, () => batcher.submit(2), started);
    const earlier = runWithDeadline(5_000, () => batcher.submit(3), started);
    const none = batcher.submit(4);

    // When
    answer(calls[0]);
    await settle();

    // Then: not the deadline of the request whose call scheduled this one (100 s), nor the latest.
    expect(calls[1]?.deadline).toEqual({ expiresAt: started + 5_000, budgetMs: 5_000 });
    answer(calls[1]);
    await Promise.all([first, later, earlier, none]);
  });

  it('given items without a deadline, when called after a request that had one, then the call runs under none', async () => {
    // Given
    const { calls, call } = controllableCall();
    const batcher = new MicroBatcher(call, { enabled: true, maxSize: 10 });
    const first = runWithDeadline(60_000, () => batcher.submit(1));
    await nextTurn();
    const second = batcher.submit(2);

    // When
    answer(calls[0]);
    await settle();

    // Then
    expect(calls[0]?.deadline?.budgetMs).toBe(60_000);
    expect(calls[1]?.deadline).toBeUndefined();
    answer(calls[1]);
    await Promise.all([first, second]);
  });

  it('given retryAlone refuses an error, when a merged call fails with it, then every item gets it with no retry', async () => {
    // Given
    const { calls, call } = controllableCall();
    const down = new Error('upstream refused the connection');
    const batcher = new MicroBatcher(call, { enabled: true, maxSize: 10, retryAlone: (error) => error !== down });
    const items = [batcher.submit(1), batcher.submit(2), batcher.submit(3)];
    await nextTurn();

    // When
    calls[0]?.reject(down);
    const outcomes = await Promise.allSettled(items);

    // Then
    expect(call).toHaveBeenCalledTimes(1);
    expect(outcomes).toEqual(items.map(() => ({ status: 'rejected', reason: down })));
  });

  it('given retryAlone accepts an error, when a merged call fails, then each item is called alone', async () => {
    // Given
    const { calls, call } = controllableCall();
    const onCall = vi.fn();
    const batcher = new MicroBatcher(call, { enabled: true, maxSize: 10, retryAlone: () => true, onCall });
    const items = [batcher.submit(1), batcher.submit(2)];
    await nextTurn();

    // When
    calls[0]?.reject(new Error('row 1 is not a number'));
    await settle();
    calls[1]?.reject(new Error('not a number'));
    await settle();
    answer(calls[2]);
    const outcomes = await Promise.allSettled(items);

    // Then
    expect(calls.map((made) => made.items)).toEqual([[1, 2], [1], [2]]);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: new Error('not a number') },
      { status: 'fulfilled', value: 'result 2' },
    ]);
    expect(onCall.mock.calls).toEqual([
      [2, 2],
      [1, 1],
      [1, 1],
    ]);
  });

  it('given a call that answers fewer results than items, when it ends, then its items fail with a RangeError', async () => {
    // Given
    const batcher = new MicroBatcher(async () => ['only one'], { enabled: true, maxSize: 10, retryAlone: () => false });

    // When
    const outcomes = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);

    // Then
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('answered 1 results for 2 items');
  });

  it('given batching is off, when items are submitted together, then each is called at once under its own deadline', async () => {
    // Given
    const { calls, call } = controllableCall();
    const batcher = new MicroBatcher(call, { enabled: false, maxSize: 10 });

    // When
    const items = [runWithDeadline(1_000, () => batcher.submit(1)), runWithDeadline(2_000, () => batcher.submit(2))];

    // Then: no turn needed
    expect(calls.map((made) => [made.items, made.deadline?.budgetMs])).toEqual([
      [[1], 1_000],
      [[2], 2_000],
    ]);
    for (const made of calls) answer(made);
    expect(await Promise.all(items)).toEqual(['result 1', 'result 2']);
  });
});

describe('MicroBatcher when a call ends', () => {
  it('given items queued behind a call, when it ends, then the next call is made before its items are answered', async () => {
    // Given
    const events: string[] = [];
    const { calls, call } = controllableCall();
    const batcher = new MicroBatcher(
      (items: readonly number[]) => {
        events.push(`call ${items.join(',')}`);
        return call(items);
      },
      { enabled: true, maxSize: 10 },
    );
    const first = batcher.submit(1).then(() => events.push('answered 1'));
    await nextTurn();
    const second = batcher.submit(2).then(() => events.push('answered 2'));

    // When
    answer(calls[0]);
    await settle();
    answer(calls[1]);
    await Promise.all([first, second]);

    // Then
    expect(events).toEqual(['call 1', 'call 2', 'answered 1', 'answered 2']);
  });

  it('given a retryAlone that throws, when a merged call fails, then its items get that error and the queue goes on', async () => {
    // Given
    const { calls, call } = controllableCall();
    const broken = new Error('retryAlone is broken');
    const batcher = new MicroBatcher(call, {
      enabled: true,
      maxSize: 10,
      retryAlone: () => {
        throw broken;
      },
    });
    const merged = [batcher.submit(1), batcher.submit(2)];
    await nextTurn();
    const later = batcher.submit(3);

    // When
    calls[0]?.reject(new Error('call failed'));
    const outcomes = await Promise.allSettled(merged);
    await settle();
    answer(calls[1]);

    // Then
    expect(outcomes).toEqual([
      { status: 'rejected', reason: broken },
      { status: 'rejected', reason: broken },
    ]);
    expect(await later).toBe('result 3');
  });
});
