/**
 * Token lifetimes: a session with a token is told `token_expiring` {@link EXPIRY_WARNING_MS} before
 * its `exp`, and ends when it comes, unless a `refresh` moved it on. Two timers per session, on
 * the hub's injectable {@link Timers}, so tests step through an expiry without waiting for it.
 *
 * @module
 */

import { encodeEvent, type Session, type TimerId } from "./session.ts";
import { MAX_TIMER_MS, type Timers } from "./timers.ts";

/** How long before a token expires its session is told to refresh it. */
export const EXPIRY_WARNING_MS = 30_000;

export interface ExpiryOptions {
  timers: Timers;
  now: () => number;
  /** The session's token expired: end it. */
  expired(session: Session): void;
}

export class Expiry {
  readonly #options: ExpiryOptions;
  readonly #armed = new Map<string, { warn: TimerId | undefined; end: TimerId | undefined }>();

  constructor(options: ExpiryOptions) {
    this.#options = options;
  }

  /**
   * Starts the clock on the session's token, again if it was running (a refresh, a resume): the
   * warning goes at once when the token is already within its last 30 seconds.
   */
  arm(session: Session): void {
    this.clear(session.id);
    const identity = session.identity;
    if (!identity) return;
    const armed = { warn: undefined as TimerId | undefined, end: undefined as TimerId | undefined };
    this.#armed.set(session.id, armed);
    this.#at(identity.expiresAt - EXPIRY_WARNING_MS, (id) => armed.warn = id, () => {
      session.send(encodeEvent("token_expiring", { expiresAt: identity.expiresAt }));
    });
    this.#at(identity.expiresAt, (id) => armed.end = id, () => {
      this.#armed.delete(session.id);
      this.#options.expired(session);
    });
  }

  /**
   * Runs `fn` at epoch time `at` (at once if it passed), through as many timers as it takes: a
   * token may live for months, and a runtime timer asked for more than {@link MAX_TIMER_MS} (24.8
   * days) runs after 1 ms. `keep` is told each timer, so that {@link clear} stops the current one.
   */
  #at(at: number, keep: (id: TimerId) => void, fn: () => void): void {
    const { timers, now } = this.#options;
    const left = Math.max(0, at - now());
    if (left <= MAX_TIMER_MS) keep(timers.setTimeout(fn, left));
    else keep(timers.setTimeout(() => this.#at(at, keep, fn), MAX_TIMER_MS));
  }

  /** Stops the clock of a session that ended or moved away. */
  clear(sessionId: string): void {
    const armed = this.#armed.get(sessionId);
    if (!armed) return;
    this.#options.timers.clearTimeout(armed.warn);
    this.#options.timers.clearTimeout(armed.end);
    this.#armed.delete(sessionId);
  }

  /** Stops every clock, as a stopping hub does. */
  stop(): void {
    for (const id of [...this.#armed.keys()]) this.clear(id);
  }
}
