/**
 * Time as the edge reads it: a monotonic clock and one-shot timers. The edge takes them as one
 * object so that tests can step through its grace periods by hand instead of sleeping through them.
 *
 * @module
 */

/**
 * A timer's handle, only ever handed back to the clock that made it. Deno's timers return numbers,
 * but a program that imports any `node:` module types them as Node's `Timeout`, so the handle
 * allows both, and a clock driven by hand can use plain numbers either way.
 */
export type TimerId = ReturnType<typeof setTimeout> | number;

/** A monotonic clock in milliseconds and the timers that run on it. */
export interface Clock {
  /** Milliseconds from an arbitrary start; never goes back. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; `undefined` and timers that already ran are ignored. */
  clearTimeout(id: TimerId | undefined): void;
}

/** The runtime's own clock and timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};
