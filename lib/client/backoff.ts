/**
 * When to try connecting again: exponential backoff with full jitter, and the retry budget.
 *
 * @module
 */

/** The bounds for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before reconnect attempt number `attempt` (0 for the first after a drop): exponential
 * backoff with full jitter, uniform between `minDelayMs` and a ceiling that doubles with each
 * attempt (`2 * minDelayMs` for attempt 0) until it reaches `maxDelayMs`.
 *
 * ```ts
 * backoffDelay(0, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 1); // 500
 * backoffDelay(9, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 1); // 10000
 * backoffDelay(9, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 0); // 250
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { minDelayMs: min, maxDelayMs: max } = options;
  const ceiling = Math.min(max, Math.max(min, 1) * 2 ** (Math.max(0, attempt) + 1));
  return min + random() * (Math.max(ceiling, min) - min);
}

/**
 * Throws unless `0 <= minDelayMs <= maxDelayMs` (which also rules out `NaN`).
 *
 * @throws {RangeError} naming both bounds.
 */
export function checkBackoff(options: BackoffOptions): void {
  const { minDelayMs: min, maxDelayMs: max } = options;
  if (!(min >= 0 && min <= max)) {
    throw new RangeError(`HubClient needs 0 <= minDelayMs <= maxDelayMs, got ${min} and ${max}`);
  }
}

/** Options for {@linkcode RetrySchedule}. */
export interface RetryOptions extends BackoffOptions {
  /** Retry at all; `false` gives up on the first drop. */
  reconnect: boolean;
  /** Consecutive failed attempts before giving up. */
  maxRetries: number;
  /** Uniform in [0, 1); injectable so that tests can pin the jitter. */
  random?: () => number;
}

/** The delays between consecutive reconnect attempts, and when to stop trying. */
export class RetrySchedule {
  #bounds: BackoffOptions;
  #reconnect: boolean;
  #maxRetries: number;
  #random: () => number;
  #attempt = 0;

  constructor(options: RetryOptions) {
    this.#bounds = { minDelayMs: options.minDelayMs, maxDelayMs: options.maxDelayMs };
    this.#reconnect = options.reconnect;
    this.#maxRetries = options.maxRetries;
    this.#random = options.random ?? Math.random;
  }

  /** Failed attempts since the last {@linkcode reset}. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * The delay before the next attempt (counting it), or `undefined` when the budget is spent.
   * With `immediate`, the first attempt since the last {@linkcode reset} gets no delay; later
   * ones back off as usual, so a server that keeps asking for haste cannot make a tight loop.
   */
  next(immediate = false): number | undefined {
    if (!this.#reconnect || this.#attempt >= this.#maxRetries) return undefined;
    const attempt = this.#attempt++;
    if (immediate && attempt === 0) return 0;
    return backoffDelay(attempt, this.#bounds, this.#random);
  }

  /** A connection succeeded (or the user asked to retry): the budget starts afresh. */
  reset(): void {
    this.#attempt = 0;
  }
}
