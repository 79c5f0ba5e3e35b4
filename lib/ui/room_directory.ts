/**
 * The directory of rooms on the hub, for the rooms slice (`rooms.ts`): the list `watch_rooms`
 * answers, kept current by the hub's `rooms` events (at most one a second, only when the list
 * changed), so no page polls. {@linkcode directoryView} then lets the member lists of the rooms
 * we are in speak for their sizes, which presence keeps exact between two events: the directory
 * and a room's header always say the same number.
 *
 * @module
 */

import { type ReadonlySignal, signal } from "@preact/signals";
import type { Member, RoomInfo } from "../protocol/mod.ts";
import type { Request } from "./requests.ts";

/**
 * Rooms up to this size get presence events (`PRESENCE_LIMIT`'s default), so their member lists
 * are exact; past it the hub's count is the better one.
 */
export const PRESENCE_LIMIT = 250;

export interface RoomDirectory {
  /** The hub's list, largest first. */
  readonly list: ReadonlySignal<readonly RoomInfo[]>;
  /**
   * Subscribes this session to the list and takes the list it answers. After every welcome: a
   * new session watches nothing yet, and a resumed one may have missed changes.
   */
  watch(): Promise<void>;
  /** Takes the list of a `rooms` event. */
  received(rooms: readonly RoomInfo[]): void;
}

export function roomDirectory(request: Request): RoomDirectory {
  const list = signal<readonly RoomInfo[]>([]);
  return {
    list,
    async watch() {
      list.value = (await request("watch_rooms")).rooms;
    },
    received(rooms) {
      list.value = rooms;
    },
  };
}

/**
 * The directory as the page shows it: the hub's `list`, with the rooms we are in counted from
 * their member lists (known and small enough to be exact), and those missing from it added.
 * Largest first, then by name.
 *
 * ```ts
 * directoryView([{ room: "lobby", size: 3 }], [{ room: "lobby", members: [] }]);
 * // [{ room: "lobby", size: 3 }]: no member list yet, the hub's count stands
 * ```
 */
export function directoryView(
  list: readonly RoomInfo[],
  joined: readonly { room: string; members: readonly Member[] }[],
): RoomInfo[] {
  const sizes = new Map(list.map((r) => [r.room, r.size]));
  for (const { room, members } of joined) {
    const known = members.length > 0 && members.length < PRESENCE_LIMIT;
    if (known) sizes.set(room, members.length);
  }
  return [...sizes].map(([room, size]) => ({ room, size }))
    .sort((a, b) => b.size - a.size || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
}
