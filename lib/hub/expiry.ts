/**
 * Token lifetimes: a session with a token is told `token_expiring` {@link EXPIRY_WARNING_MS} before
 * its `exp`, and ends when it comes, unless a `refresh` moved it on. Two timers per session, on
 * the hub's injectable {@link Timers}, so tests step through an expiry without waiting for it.
 *
 * @module
 */

import { encodeEvent, type Session, type TimerId } from "./session.ts";
import type { Timers } from "./timers.ts";

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
  readonly #armed = new Map<string, { warn: TimerId; end: TimerId }>();

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
    const { timers, now } = this.#options;
    const left = identity.expiresAt - now();
    const warn = timers.setTimeout(() => {
      session.send(encodeEvent("token_expiring", { expiresAt: identity.expiresAt }));
    }, Math.max(0, left - EXPIRY_WARNING_MS));
    const end = timers.setTimeout(() => {
      this.#armed.delete(session.id);
      this.#options.expired(session);
    }, Math.max(0, left));
    this.#armed.set(session.id, { warn, end });
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
