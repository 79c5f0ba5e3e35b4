/**
 * The timer functions the client's parts use, as one injectable object, so that unit tests can
 * drive timeouts and intervals with a fake clock instead of sleeping.
 *
 * @module
 */

/**
 * A timer's handle, only ever handed back to the timers that made it. A program that imports any
 * `node:` module types the global timers' handles as Node's `Timeout`, so both are allowed, and a
 * fake clock can use plain numbers either way.
 */
export type TimerId = ReturnType<typeof setTimeout> | number;

/** The subset of the global timer functions the client needs. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId | undefined): void;
}

/** The global timers; looked up on each call so that globals replaced later are honoured. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id),
};

/** Longer timer delays overflow and fire at once; callers treat them as "never". */
export const MAX_TIMER_MS = 0x7fffffff;
