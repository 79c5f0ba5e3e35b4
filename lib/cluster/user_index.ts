/**
 * This node's sessions by user: what `Registry.userSessions` answers for the node itself. The
 * in-memory cluster answers from it alone; the Redis registry adds the other nodes' share from
 * Redis, so that while Redis is down a node still knows its own users' sessions (and
 * `USER_CONNECTION_LIMIT` still holds on one node).
 *
 * It follows the registry's writes, so it sees every session that opens, moves in, renames,
 * drops, resumes, moves out or ends here.
 *
 * @module
 */

import type { Member } from "../protocol/mod.ts";
import type { UserSession } from "./seam.ts";

export class UserIndex {
  /** User id → its sessions here, by session id, in the order they came. */
  readonly #users = new Map<string, Map<string, UserSession>>();
  /** Session id → its user, for the writes that name only the session. */
  readonly #owners = new Map<string, string>();

  /** The user of a session here; undefined for an anonymous or unknown one. */
  userOf(sessionId: string): string | undefined {
    return this.#owners.get(sessionId);
  }

  /** A session of a user opened here, or moved here (`away` if it waits to be resumed). */
  opened(member: Member, connectedAt: number, away = false): void {
    const { sessionId, userId, name } = member;
    if (userId === null) return;
    let sessions = this.#users.get(userId);
    if (!sessions) this.#users.set(userId, sessions = new Map());
    sessions.set(sessionId, { sessionId, name, connectedAt, away });
    this.#owners.set(sessionId, userId);
  }

  renamed(member: Member): void {
    const entry = this.#entry(member.sessionId);
    if (entry) entry.name = member.name;
  }

  /** The session's connection dropped (`true`) or it resumed (`false`). */
  away(sessionId: string, away: boolean): void {
    const entry = this.#entry(sessionId);
    if (entry) entry.away = away;
  }

  /** The session ended here, or moved away. */
  closed(sessionId: string): void {
    const userId = this.#owners.get(sessionId);
    if (userId === undefined) return;
    this.#owners.delete(sessionId);
    const sessions = this.#users.get(userId)!;
    sessions.delete(sessionId);
    if (sessions.size === 0) this.#users.delete(userId);
  }

  /** The user's sessions here, oldest first; copies, so a caller cannot change the index. */
  sessions(userId: string): UserSession[] {
    return [...this.#users.get(userId)?.values() ?? []].map((s) => ({ ...s }));
  }

  /** How many of the user's sessions here are connected (not away), `except` aside. */
  connected(userId: string, except?: string): number {
    let count = 0;
    for (const session of this.#users.get(userId)?.values() ?? []) {
      if (!session.away && session.sessionId !== except) count++;
    }
    return count;
  }

  #entry(sessionId: string): UserSession | undefined {
    const userId = this.#owners.get(sessionId);
    return userId === undefined ? undefined : this.#users.get(userId)?.get(sessionId);
  }
}

/** Oldest first, then by id, so that answers merged from several nodes read the same way. */
export function byAge(a: UserSession, b: UserSession): number {
  return a.connectedAt - b.connectedAt || (a.sessionId < b.sessionId ? -1 : 1);
}
