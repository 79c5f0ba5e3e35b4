/**
 * A manual clock implementing the client's {@linkcode Timers}, so that unit tests move time
 * with `advance()` instead of sleeping. Test-only.
 *
 * @module
 */

import type { TimerId, Timers } from "../timers.ts";

interface Due {
  at: number;
  fn: () => void;
  /** The period of an interval; `undefined` for a timeout. */
  every: number | undefined;
}

/** Timers that fire only inside {@linkcode advance}, in due order. */
export class FakeTimers implements Timers {
  #now = 0;
  #nextId = 1;
  #due = new Map<TimerId, Due>();

  /** Milliseconds advanced so far. */
  get now(): number {
    return this.#now;
  }

  /** Timeouts and intervals still scheduled. */
  get scheduled(): number {
    return this.#due.size;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    return this.#schedule(fn, ms, undefined);
  }

  clearTimeout(id: TimerId | undefined): void {
    if (id !== undefined) this.#due.delete(id);
  }

  setInterval(fn: () => void, ms: number): TimerId {
    return this.#schedule(fn, ms, Math.max(1, ms));
  }

  clearInterval(id: TimerId | undefined): void {
    this.clearTimeout(id);
  }

  /** Moves the clock `ms` ahead, firing what falls due on the way (and what that schedules). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let nextId: TimerId | undefined;
      let next: Due | undefined;
      for (const [id, due] of this.#due) {
        if (due.at <= end && (next === undefined || due.at < next.at)) [nextId, next] = [id, due];
      }
      if (next === undefined) break;
      this.#now = next.at;
      if (next.every === undefined) this.#due.delete(nextId!);
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }

  #schedule(fn: () => void, ms: number, every: number | undefined): TimerId {
    const id = this.#nextId++;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), fn, every });
    return id;
  }
}
