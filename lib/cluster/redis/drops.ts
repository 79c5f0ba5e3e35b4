/**
 * Cross-node input refused: counted for `/metrics`, and logged at most once a second, so a flood
 * of bad messages (a script publishing garbage in a loop) cannot flood the log or spend the node's
 * time writing it. Each line names the last culprit and how many were dropped since the line
 * before; the counter has them all.
 *
 * @module
 */

import type { Logger } from "../../server/log.ts";

/** The least time between two log lines about dropped messages. */
export const DROP_LOG_INTERVAL_MS = 1000;

export class Drops {
  readonly #counts: { malformed: number };
  readonly #log: Logger;
  readonly #now: () => number;
  #loggedAt = -Infinity;
  #since = 0;

  /** Counts into `counts.malformed`, the field `/metrics` reads. */
  constructor(counts: { malformed: number }, log: Logger, now: () => number = Date.now) {
    this.#counts = counts;
    this.#log = log;
    this.#now = now;
  }

  /** One message dropped: `what` it was, the `channel` it came on, and what is wrong with it. */
  drop(what: string, channel: string, error: unknown): void {
    this.#counts.malformed++;
    this.#since++;
    const now = this.#now();
    if (now - this.#loggedAt < DROP_LOG_INTERVAL_MS) return;
    this.#log.warn("dropped a malformed cluster message", {
      channel,
      what,
      error: error instanceof Error ? error.message : String(error),
      dropped: this.#since,
    });
    this.#loggedAt = now;
    this.#since = 0;
  }
}
