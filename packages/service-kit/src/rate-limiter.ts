/**
 * A token bucket: at most `ratePerSecond` acquisitions per second on average, with bursts up to `burst`.
 * Callers over the rate wait their turn instead of failing, which keeps us polite to an upstream that
 * publishes a request budget (the Met asks for fewer than 80 requests per second).
 */
export class RateLimiter {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst = Math.max(1, Math.ceil(ratePerSecond / 4)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = this.now();
  }

  /** False for a rate of 0 or less: every acquisition resolves at once. */
  get limited(): boolean {
    return this.ratePerSecond > 0;
  }

  /** Resolves when the caller may make one request. A rate of 0 or less means unlimited. */
  acquire(): Promise<void> {
    if (this.ratePerSecond <= 0) return Promise.resolve();
    // Chaining keeps waiters in arrival order, so no caller starves behind later ones.
    const turn = this.queue.then(() => this.takeToken());
    this.queue = turn;
    return turn;
  }

  private async takeToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.tokens) / this.ratePerSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
    }
  }
}
