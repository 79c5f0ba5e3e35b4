/**
 * What the cluster's scripts answer, turned into the cluster's own types: flat Redis lists of
 * sessions, members, positions and saved states, as `scripts.ts` lays them out for each script.
 *
 * @module
 */

import type { GoneSession, UserSession } from "../seam.ts";
import type { Member, StreamPosition } from "../../protocol/mod.ts";
import { decodeMember, decodeNamed } from "./entries.ts";

/** A claimed node's sessions, as `orphan.lua` answers them. */
export interface Orphans {
  sessions: {
    sessionId: string;
    userId: string | null;
    name: string;
    away: boolean;
    rooms: string[];
  }[];
  /** Per room, the last stream message the node delivered. */
  seen: Map<string, StreamPosition>;
  /** The states the node saved as it stopped, by session id, as JSON. */
  states: Map<string, string>;
  /** Signals its channel carried to it that it had not handled, oldest first, as JSON. */
  signals: string[];
}

/** `[key, value, key, value...]` as pairs. */
function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** A stream position as the seen hash keeps it: `<offset> <epoch>`. */
export function encodeSeen(position: StreamPosition): string {
  return `${position.offset} ${position.epoch}`;
}

function decodeSeen(text: string): StreamPosition {
  const cut = text.indexOf(" ");
  return { offset: Number(text.slice(0, cut)), epoch: text.slice(cut + 1) };
}

export function parseOrphans(reply: unknown): Orphans {
  const [flat, seen, states, signals] = reply as [string[], string[], string[], string[]];
  const sessions: Orphans["sessions"] = [];
  for (let i = 0; i < flat.length;) {
    const sessionId = flat[i++];
    const { userId, name } = decodeNamed(flat[i++]);
    const away = flat[i++] === "1";
    const count = Number(flat[i++]);
    sessions.push({ sessionId, userId, name, away, rooms: flat.slice(i, i + count) });
    i += count;
  }
  return {
    sessions,
    seen: new Map(pairs(seen).map(([room, text]) => [room, decodeSeen(text)])),
    states: new Map(pairs(states)),
    signals,
  };
}

/** Members as `members.lua` answers them: `[id, userId\nname, ...]`. */
export function parseMembers(reply: unknown): Member[] {
  const flat = reply as string[];
  const members: Member[] = [];
  for (let i = 0; i < flat.length; i += 2) members.push(decodeMember(flat[i], flat[i + 1]));
  return members;
}

/** A user's sessions as `users.lua` answers them: `[id, userId\nname, connectedAt, away, ...]`. */
export function parseUserSessions(reply: unknown): UserSession[] {
  const flat = reply as string[];
  const sessions: UserSession[] = [];
  for (let i = 0; i < flat.length; i += 4) {
    sessions.push({
      sessionId: flat[i],
      name: decodeNamed(flat[i + 1]).name,
      connectedAt: Number(flat[i + 2]),
      away: flat[i + 3] === "1",
    });
  }
  return sessions;
}

/** `[offset, epoch]` from a stream script. */
export function position(reply: unknown): StreamPosition {
  const [offset, epoch] = reply as [number, string];
  return { offset: Number(offset), epoch };
}

/** Sessions as `reap.lua` answers them. */
export function parseGone(flat: string[]): GoneSession[] {
  const sessions: GoneSession[] = [];
  for (let i = 0; i < flat.length;) {
    const sessionId = flat[i++];
    const { userId, name } = decodeNamed(flat[i++]);
    const count = Number(flat[i++]);
    sessions.push({ sessionId, userId, name, rooms: flat.slice(i, i + count) });
    i += count;
  }
  return sessions;
}
