/**
 * Who may enter a room. Public rooms are open to every session; a room whose name starts with
 * `private-` only to a session whose token grants it: an entry of its `rooms` claim that names the
 * room or is a prefix of it ending in `*`, or `admin`. And a token's `name` is the session's for
 * good.
 *
 * @module
 */

import { HubError, type Identity, type Session } from "./session.ts";

export const PRIVATE_PREFIX = "private-";

/**
 * Whether `identity` (undefined: an anonymous session) may join `room`, or read its history.
 *
 * @example
 * ```ts
 * const ada = { userId: "ada", rooms: ["private-team-*"], admin: false, expiresAt: 0 };
 * mayEnter(ada, "private-team-ops"); // true
 * mayEnter(ada, "private-hr"); // false
 * mayEnter(undefined, "lobby"); // true
 * ```
 */
export function mayEnter(identity: Identity | undefined, room: string): boolean {
  if (!room.startsWith(PRIVATE_PREFIX)) return true;
  if (!identity) return false;
  if (identity.admin) return true;
  return identity.rooms.some((grant) =>
    grant.endsWith("*") ? room.startsWith(grant.slice(0, -1)) : room === grant
  );
}

/**
 * The rooms of `list` that `identity` may enter: a private room is not even named to a session it
 * is closed to, as a private channel's name can say what it is about.
 */
export function visibleRooms<R extends { room: string }>(
  identity: Identity | undefined,
  list: R[],
): R[] {
  return list.some((r) => !mayEnter(identity, r.room))
    ? list.filter((r) => mayEnter(identity, r.room))
    : list;
}

/** Refuses `session` a room its token does not grant. */
export function mustEnter(session: Session, room: string): void {
  if (!mayEnter(session.identity, room)) {
    throw new HubError("forbidden", `Room "${room}" is private, and your token does not grant it`);
  }
}

/** Refuses a new name to a session whose token gives it one. */
export function mustRename(session: Session): void {
  if (session.identity?.name !== undefined) {
    throw new HubError("forbidden", "Your name comes from your token, so it cannot be changed");
  }
}
