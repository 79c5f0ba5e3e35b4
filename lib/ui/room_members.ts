/**
 * A room's member list as the page shows it: who is in the room and which of them are away,
 * folded from join replies, presence and renames. Pure, as `room_stream.ts` is for the room's
 * messages; the rooms slice (`rooms.ts`) holds the lists and puts the notices in the streams.
 *
 * @module
 */

import type { Events, Member } from "../protocol/mod.ts";
import type { PeopleNotice } from "./stream.ts";

/** A member of a room we are in. */
export interface RoomMember extends Member {
  /**
   * Its connection dropped and it may come back (presence `away`, until `back` or `leave`).
   * Member lists from the hub do not say, so a member counts as here until told otherwise.
   */
  away: boolean;
}

/** What a presence event does to a room. */
export interface PresenceChange {
  members: RoomMember[];
  /** The notice for the room's stream, or null for none. */
  notice: { text: string; about: PeopleNotice } | null;
  /** How the room's count of connected members changed: +1, -1 or 0. */
  delta: number;
}

/** The hub's member list, everyone counted as here. */
export function here(members: readonly Member[]): RoomMember[] {
  return members.map(({ sessionId, userId, name }) => ({ sessionId, userId, name, away: false }));
}

/** The change presence event `p` makes to a room with `members`, or null when it makes none. */
export function presenceChange(
  members: readonly RoomMember[],
  p: Events["presence"],
): PresenceChange | null {
  const known = members.find((m) => m.sessionId === p.sessionId);
  const others = members.filter((m) => m.sessionId !== p.sessionId);
  const member = { sessionId: p.sessionId, userId: p.userId, name: p.name };
  // Away and back keep the member's place in the list, and say nothing in the stream: a
  // dropped connection that comes back is not news, and a resume would flood the room.
  switch (p.action) {
    case "join":
      return {
        members: [...others, { ...member, away: false }],
        notice: {
          text: `${p.name} joined #${p.room}.`,
          about: { action: "join", sessionId: p.sessionId, name: p.name },
        },
        delta: 1,
      };
    case "leave":
      return {
        members: others,
        notice: {
          text: `${p.name} left #${p.room}.`,
          about: { action: "leave", sessionId: p.sessionId, name: p.name },
        },
        delta: known?.away ? 0 : -1,
      };
    case "away":
    case "back": {
      const away = p.action === "away";
      if (known?.away === away) return null;
      const next = known === undefined
        ? [...others, { ...member, away }] // joined while we were away ourselves
        : members.map((m) => m.sessionId === p.sessionId ? { ...m, name: p.name, away } : m);
      return { members: next, notice: null, delta: away ? -1 : 1 };
    }
  }
}

/** `members` with session `sessionId` (if among them) named `name`. */
export function withName(
  members: readonly RoomMember[],
  sessionId: string,
  name: string,
): RoomMember[] {
  return members.map((m) => m.sessionId === sessionId ? { ...m, name } : m);
}

/** `members` all counted as here; `members` itself when none is away. */
export function allHere(members: RoomMember[]): RoomMember[] {
  return members.some((m) => m.away)
    ? members.map((m) => m.away ? { ...m, away: false } : m)
    : members;
}
