/**
 * Places held on this node for connections being admitted under `USER_CONNECTION_LIMIT`. A
 * connection is checked before its upgrade, but its session counts only once it is welcomed:
 * without a place held in between, connections of one user that arrive together all read the
 * same count and all get in. The check and the hold are one synchronous step, so on one node
 * they queue; the Redis registry adds the same step in Redis (`scripts/admit.lua`) for the
 * connections that race on other nodes.
 *
 * @module
 */

import type { Admission } from "./seam.ts";
import type { UserIndex } from "./user_index.ts";

/**
 * The longest a place is held in Redis if its node never gives it back (it died before the
 * connection's welcome). Far longer than a welcome takes, which waits at most for one write.
 */
export const ADMISSION_TTL_MS = 10_000;

export class LocalAdmissions {
  /** User id → places held for its connections still being admitted here. */
  readonly #held = new Map<string, number>();
  readonly #users: UserIndex;

  constructor(users: UserIndex) {
    this.#users = users;
  }

  /**
   * Holds a place if the user's connected sessions here (`resuming` aside) and the places already
   * held number fewer than `limit`; null when not.
   */
  admit(userId: string, limit: number, resuming?: string): Admission | null {
    const held = this.held(userId);
    if (this.#users.connected(userId, resuming) + held >= limit) return null;
    this.#held.set(userId, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = this.held(userId) - 1;
        if (left > 0) this.#held.set(userId, left);
        else this.#held.delete(userId);
      },
    };
  }

  /** Places held for `userId`'s connections now. */
  held(userId: string): number {
    return this.#held.get(userId) ?? 0;
  }
}
