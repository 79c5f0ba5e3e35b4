/**
 * Token buckets for per-session flood control. Each session owns its buckets, so one client's
 * flood can never spend another client's budget.
 *
 * @module
 */

/**
 * A token bucket refilled continuously at `rate` tokens per second up to `burst`.
 * A rate of 0 means unlimited: `take()` always succeeds.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(20, 40);
 * if (!bucket.take(performance.now())) console.log("rate_limited");
 * ```
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last = -1;

  constructor(rate: number, burst: number) {
    this.#rate = rate / 1000;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Takes one token at time `nowMs` (monotonic milliseconds); false when the bucket is empty. */
  take(nowMs: number): boolean {
    if (this.#rate === 0) return true;
    if (this.#last >= 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#last) * this.#rate);
    }
    this.#last = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Tracks how long a session has been over its limits, so a client that keeps flooding is
 * disconnected while one that bursts briefly is only told to slow down. A flood at twice the rate
 * still gets every other frame through, so "over the limit" means rejections keep coming, with no
 * quiet gap of `clearMs` between them, not that every frame is rejected.
 */
export class Offence {
  #since = -1;
  #last = -1;
  constructor(readonly graceMs: number, readonly clearMs = 1000) {}

  /** Records a rejected frame; true once rejections have kept coming for `graceMs`. */
  rejected(nowMs: number): boolean {
    if (this.#last < 0 || nowMs - this.#last > this.clearMs) this.#since = nowMs;
    this.#last = nowMs;
    return nowMs - this.#since >= this.graceMs;
  }
}
