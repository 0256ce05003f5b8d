import { currentDeadline, type RequestDeadline, runWithinDeadline } from './deadline.js';

/** Does the work of several items in one call: one result per item, in the items' order. */
export type BatchCall<Item, Result> = (items: readonly Item[]) => Promise<Result[]>;

export interface MicroBatcherOptions<Item> {
  /** Off: every item is its own call, made at once. */
  enabled: boolean;
  /** Largest total size of the items merged into one call; a single larger item is still called, alone. */
  maxSize: number;
  /** An item's size toward `maxSize` (default 1: the size of a call is its number of items). */
  sizeOf?: (item: Item) => number;
  /**
   * Whether the items of a failed merged call are called again one by one, so that one bad item fails only itself
   * (default: always). Answer false for failures that are not about the items (the upstream is down, a deadline
   * passed): every item of the call then gets that error at once instead of repeating the call item by item.
   */
  retryAlone?: (error: unknown) => boolean;
  /** Called with the total size and the item count of every call, retries included (for metrics). */
  onCall?: (size: number, items: number) => void;
}

interface Pending<Item, Result> {
  item: Item;
  size: number;
  deadline: RequestDeadline | undefined;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges concurrent work into fewer calls without adding latency: one call at a time, and the items submitted while
 * it is in flight queue and go together into the next call (up to `maxSize`). An item that finds no call in flight
 * is called in the same event-loop turn, with any others submitted in that turn; no timer ever holds an item, so a
 * lone request waits for nothing. Under load the calls grow by themselves: the slower a call, the more items the
 * next one carries.
 *
 * The model server batches ONNX Runtime runs with it; the price orchestrator batches the single-house requests it
 * sends the model server.
 *
 * A call runs under the earliest request deadline of its items (see `runWithDeadline`), so an upstream call bounded
 * by the deadline answers every item's request in time.
 */
export class MicroBatcher<Item, Result> {
  private readonly queue: Pending<Item, Result>[] = [];
  private running = false;
  private readonly sizeOf: (item: Item) => number;

  constructor(
    private readonly call: BatchCall<Item, Result>,
    private readonly options: MicroBatcherOptions<Item>,
  ) {
    this.sizeOf = options.sizeOf ?? (() => 1);
  }

  /** The result for `item`, from a call it may share with other items. */
  submit(item: Item): Promise<Result> {
    const size = this.sizeOf(item);
    const deadline = currentDeadline();
    if (!this.options.enabled) return this.callAlone(item, size, deadline);
    return new Promise((resolve, reject) => {
      this.queue.push({ item, size, deadline, resolve, reject });
      if (!this.running) {
        // The first call starts in the check phase of this event-loop turn (setImmediate, not a timer), so the items
        // submitted in the same I/O phase (requests whose bodies arrived together) go into it too.
        this.running = true;
        setImmediate(() => this.callNext());
      }
    });
  }

  /**
   * Calls the next group. When a call ends, the next one is made before the ended call's items are answered, so an
   * upstream already works on it while this thread writes those answers.
   */
  private callNext(): void {
    if (this.queue.length === 0) {
      this.running = false;
      return;
    }
    const group = this.takeGroup();
    this.settle(group).then(
      (answer) => {
        this.callNext();
        answer();
      },
      // Only a throwing `retryAlone` gets here; the queue must go on all the same.
      (error: unknown) => {
        this.callNext();
        for (const pending of group) pending.reject(error);
      },
    );
  }

  /** Makes the group's call (and, after a failure, its retries); resolves with what answers the group's items. */
  private async settle(group: Pending<Item, Result>[]): Promise<() => void> {
    if (group.length === 1) {
      const [only] = group as [Pending<Item, Result>];
      try {
        const result = await this.callAlone(only.item, only.size, only.deadline);
        return () => only.resolve(result);
      } catch (error) {
        return () => only.reject(error);
      }
    }
    return this.callMerged(group);
  }

  /** The queued items that fit in one call, in submission order (always at least one). */
  private takeGroup(): Pending<Item, Result>[] {
    let size = 0;
    let count = 0;
    for (const pending of this.queue) {
      if (count > 0 && size + pending.size > this.options.maxSize) break;
      size += pending.size;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async callMerged(group: Pending<Item, Result>[]): Promise<() => void> {
    let size = 0;
    let deadline: RequestDeadline | undefined;
    for (const pending of group) {
      size += pending.size;
      if (pending.deadline && (deadline === undefined || pending.deadline.expiresAt < deadline.expiresAt)) {
        deadline = pending.deadline;
      }
    }
    try {
      const results = await this.counted(
        group.map((pending) => pending.item),
        size,
        deadline,
      );
      return () => {
        for (let index = 0; index < group.length; index++) {
          (group[index] as Pending<Item, Result>).resolve(results[index] as Result);
        }
      };
    } catch (error) {
      if (!(this.options.retryAlone?.(error) ?? true)) {
        return () => {
          for (const pending of group) pending.reject(error);
        };
      }
      // Each item alone, answered as soon as its own call ends.
      for (const pending of group) {
        await this.callAlone(pending.item, pending.size, pending.deadline).then(pending.resolve, pending.reject);
      }
      return () => {};
    }
  }

  private async callAlone(item: Item, size: number, deadline: RequestDeadline | undefined): Promise<Result> {
    return (await this.counted([item], size, deadline))[0] as Result;
  }

  private async counted(items: Item[], size: number, deadline: RequestDeadline | undefined): Promise<Result[]> {
    this.options.onCall?.(size, items.length);
    // Awaited inside an async function, so a call that throws synchronously still rejects only this call.
    const results = await runWithinDeadline(deadline, () => this.call(items));
    if (results.length !== items.length) {
      throw new RangeError(`a batch call answered ${results.length} results for ${items.length} items`);
    }
    return results;
  }
}
