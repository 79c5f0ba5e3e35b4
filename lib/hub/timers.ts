/**
 * The clock and timers the hub runs on, injectable so that tests drive time by hand instead of
 * sleeping: DM requests expire and the heartbeat ticks on whatever {@link Timers} the hub is given.
 *
 * @module
 */

import type { TimerId } from "./session.ts";

/**
 * The longest delay a runtime timer keeps: Deno, like Node and browsers, stores it in 32 bits and
 * runs a timer asked for more after 1 ms instead (with a `TimeoutOverflowWarning`).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timers {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
  setInterval(callback: () => void, ms: number): TimerId;
  clearInterval(id: TimerId | undefined): void;
}

/**
 * The runtime's own clock and timers. Deno's timers return numbers; the type checker, which also
 * knows Node's typings, says `Timeout`, hence the casts.
 */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as TimerId,
  clearTimeout: (id) => clearTimeout(id),
  setInterval: (callback, ms) => setInterval(callback, ms) as unknown as TimerId,
  clearInterval: (id) => clearInterval(id),
};

/**
 * Timers that move only when told to, for tests: {@link advance} runs every timer that falls due,
 * in due order, with `now()` reading each one's due time while it runs.
 *
 * @example
 * ```ts
 * const timers = new ManualTimers(0);
 * let fired = false;
 * timers.setTimeout(() => fired = true, 100);
 * timers.advance(99); // fired === false
 * timers.advance(1); // fired === true
 * ```
 */
export class ManualTimers implements Timers {
  #now: number;
  #next = 1;
  readonly #due = new Map<TimerId, { at: number; every: number; callback: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    return this.#add(callback, ms, 0);
  }

  setInterval(callback: () => void, ms: number): TimerId {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(id: TimerId | undefined): void {
    if (id !== undefined) this.#due.delete(id);
  }

  clearInterval(id: TimerId | undefined): void {
    this.clearTimeout(id);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#due.size;
  }

  /** Moves the clock `ms` forward, firing every timer due by then. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let first: TimerId | undefined;
      for (const [id, timer] of this.#due) {
        if (timer.at <= until && (first === undefined || timer.at < this.#due.get(first)!.at)) {
          first = id;
        }
      }
      if (first === undefined) break;
      const timer = this.#due.get(first)!;
      this.#now = timer.at;
      if (timer.every > 0) timer.at += timer.every;
      else this.#due.delete(first);
      timer.callback();
    }
    this.#now = until;
  }

  #add(callback: () => void, ms: number, every: number): TimerId {
    // As the runtime does, so that code which forgets the limit fails here too.
    if (ms > MAX_TIMER_MS) ms = 1;
    const id = this.#next++;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), every, callback });
    return id;
  }
}
