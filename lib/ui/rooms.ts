/**
 * The rooms slice of the store: the rooms this session is in (members and who of them is away,
 * message stream with its history, unread count), the one shown, and the directory of rooms on
 * the hub. How messages, history and replays fold into a room's stream is `room_stream.ts`, how
 * presence and renames fold into its member list is `room_members.ts`, the paging of its history
 * is `room_history.ts`, and the directory is `room_directory.ts`; this module holds the signals
 * and the requests that change them.
 *
 * It is a little over 300 lines because what is left is one closure over the rooms signal, and a
 * quarter of it is the documented interfaces the islands and the store rely on; splitting it
 * further would only hand that signal from module to module.
 *
 * @module
 */

import { batch, computed, type ReadonlySignal, signal } from "@preact/signals";
import { type Events, LIMITS, LOBBY, type RoomInfo } from "../protocol/mod.ts";
import { checkRoomName } from "./checks.ts";
import { checkText, type Request } from "./requests.ts";
import { directoryView, roomDirectory } from "./room_directory.ts";
import { type PagedRoom, roomHistory } from "./room_history.ts";
import { allHere, here, presenceChange, type RoomMember, withName } from "./room_members.ts";
import { atPosition, emptyStream, liveMessage, withNotice } from "./room_stream.ts";
import { MAX_ITEMS, notice } from "./stream.ts";

export type { RoomMember } from "./room_members.ts";

/** A room this session is in: its stream (items in offset order) and more. */
export interface RoomView extends PagedRoom {
  room: string;
  members: RoomMember[];
  /** Messages that arrived while another room was shown, or while the page was out of sight. */
  unread: number;
}

/** The rooms of a page, to keep across a reload. */
export interface RoomsSnapshot {
  rooms: string[];
  current: string | null;
}

/** What the islands read and call. Actions reject with a readable Error. */
export interface RoomsView {
  /** The rooms this session is in, in join order. */
  readonly rooms: ReadonlySignal<readonly RoomView[]>;
  readonly currentRoom: ReadonlySignal<string | null>;
  /** The current room's view, if any. */
  readonly room: ReadonlySignal<RoomView | null>;
  /**
   * The rooms on the hub, largest first, kept current by the hub; the rooms we are in are counted
   * as their headers count them.
   */
  readonly roomList: ReadonlySignal<readonly RoomInfo[]>;
  join(room: string): Promise<void>;
  leave(room: string): Promise<void>;
  showRoom(room: string): void;
  say(text: string): Promise<void>;
  /** Loads the page of messages before the oldest shown, if the hub may have one. */
  loadOlder(room: string): Promise<void>;
}

/** The slice: the view, plus what the store feeds it. */
export interface RoomsSlice extends RoomsView {
  /** A member's name from any room we share, if any. */
  memberName(sessionId: string): string | undefined;
  /** Our own new name, in every member list (the hub tells only the others). */
  renameSelf(sessionId: string, name: string): void;
  /** The connection dropped while connected. */
  connectionLost(): void;
  /** The reader sees the chat again: the room shown has nothing unread. */
  seen(): void;
  /** Subscribes to the directory (after every welcome). */
  watchDirectory(): Promise<void>;
  /** Takes the directory of a `rooms` event. */
  directory(rooms: readonly RoomInfo[]): void;
  /** A new session replaced the old one: member lists are stale until the rooms are joined again. */
  sessionReplaced(name: string): void;
  /** Our session went on after a drop: the hub replays what we missed, presence aside. */
  sessionResumed(): void;
  /**
   * Puts the (new) session back in the rooms the user had, as the user had them, and loads their
   * history. One promise per request.
   */
  resync(): Promise<unknown>[];
  /**
   * After a reload that resumed the session: fetches the member lists and history of the rooms
   * the session is in, changing no membership. One promise per room.
   */
  reopen(): Promise<unknown>[];
  /** The rooms the page shows, to keep across a reload. */
  snapshot(): RoomsSnapshot;
  /** Shows the rooms of a {@linkcode snapshot} (empty until {@linkcode reopen}). */
  restore(saved: RoomsSnapshot): void;
  /**
   * Folds in a presence event; returns how it changed the room's count of connected members
   * (+1, -1, or 0 when nothing changed or the room is not ours).
   */
  presence(p: Events["presence"]): number;
  renamed(r: Events["renamed"]): void;
  chat(msg: Events["chat"]): void;
}

/** What the slice needs from the rest of the store. */
export interface RoomsDeps {
  request: Request;
  /** Our session id, or "" before the first welcome. */
  me(): string;
  /** Whether the reader sees the chat (the page is in sight, and on a phone its tab is open). */
  watching(): boolean;
  /** Messages kept per room. */
  maxItems?: number;
  /** Messages per history page. Default 50. */
  historyPage?: number;
}

/** A room with nothing known about it yet. */
function freshRoom(room: string): RoomView {
  return { ...emptyStream(), room, members: [], unread: 0, loadingOlder: false };
}

export function createRooms(deps: RoomsDeps): RoomsSlice {
  const { request, me } = deps;
  const maxItems = deps.maxItems ?? MAX_ITEMS;
  const rooms = signal<readonly RoomView[]>([freshRoom(LOBBY)]);
  const currentRoom = signal<string | null>(LOBBY);
  const dir = roomDirectory(request);
  const roomList = computed(() => directoryView(dir.list.value, rooms.value));
  const room = computed(() => rooms.value.find((r) => r.room === currentRoom.value) ?? null);

  const find = (name: string) => rooms.value.find((r) => r.room === name);
  const has = (name: string) => find(name) !== undefined;
  function update(name: string, fn: (r: RoomView) => RoomView): void {
    rooms.value = rooms.value.map((r) => r.room === name ? fn(r) : r);
  }
  function tellAll(text: string, clearMembers = false): void {
    rooms.value = rooms.value.map((r) => ({
      ...withNotice(r, text, maxItems),
      members: clearMembers ? [] : r.members,
    }));
  }
  const pageSize = deps.historyPage ?? LIMITS.defaultHistoryLimit;
  const history = roomHistory({ request, me, pageSize, find, update });

  /**
   * Joins a room we are (or should be) in again, for its members and position, then loads its
   * history. The hub changes nothing when we are already a member.
   */
  async function rejoin(roomName: string): Promise<void> {
    const reply = await request("join", { room: roomName });
    update(roomName, (r) => ({ ...atPosition(r, reply), members: here(reply.members) }));
    await history.latest(roomName);
  }

  function showRoom(name: string): void {
    batch(() => {
      currentRoom.value = name;
      update(name, (r) => ({ ...r, unread: 0 }));
    });
  }

  return {
    rooms,
    currentRoom,
    room,
    roomList,
    showRoom,

    async join(roomName) {
      const wanted = checkRoomName(roomName);
      if (has(wanted)) {
        showRoom(wanted);
        return;
      }
      if (rooms.value.length >= LIMITS.maxRoomsPerSession) {
        throw new Error(
          `You are in ${LIMITS.maxRoomsPerSession} rooms, the most there can be. Leave one first.`,
        );
      }
      const reply = await request("join", { room: wanted });
      batch(() => {
        if (!has(wanted)) {
          const joined = atPosition(freshRoom(wanted), reply);
          rooms.value = [...rooms.value, {
            ...joined,
            members: here(reply.members),
            items: [notice(`You joined #${wanted}.`)],
          }];
        }
        currentRoom.value = wanted;
      });
      // The room is open whether or not its history comes: "Load older" can try again.
      await history.latest(wanted).catch(() => {});
    },

    async leave(roomName) {
      await request("leave", { room: roomName });
      batch(() => {
        rooms.value = rooms.value.filter((r) => r.room !== roomName);
        if (currentRoom.value === roomName) currentRoom.value = rooms.value[0]?.room ?? null;
        const shown = currentRoom.value;
        if (shown !== null) update(shown, (r) => ({ ...r, unread: 0 }));
      });
    },

    async say(text) {
      const roomName = currentRoom.value;
      if (roomName === null) throw new Error("Join a room first.");
      checkText(text);
      // The server echoes the message to every member, the sender included: that echo draws it.
      await request("chat", { room: roomName, text });
    },

    loadOlder: history.older,

    memberName(sessionId) {
      for (const r of rooms.value) {
        const m = r.members.find((x) => x.sessionId === sessionId);
        if (m) return m.name;
      }
      return undefined;
    },

    renameSelf(sessionId, name) {
      rooms.value = rooms.value.map((r) => ({
        ...r,
        members: withName(r.members, sessionId, name),
      }));
    },

    connectionLost() {
      tellAll("Connection lost. Reconnecting…");
    },

    seen() {
      const shown = currentRoom.value;
      if (shown !== null && find(shown)?.unread) update(shown, (r) => ({ ...r, unread: 0 }));
    },

    watchDirectory: () => dir.watch(),
    directory: dir.received,

    sessionReplaced(name) {
      tellAll(`Reconnected as a new session (${name}).`, true);
    },

    sessionResumed() {
      tellAll("Reconnected: same session, nothing lost.");
      // Presence is not replayed: who went away or came back meanwhile is unknown, and a member
      // wrongly shown away would stay greyed out for good.
      rooms.value = rooms.value.map((r) => {
        const members = allHere(r.members);
        return members === r.members ? r : { ...r, members };
      });
    },

    resync() {
      const wanted = rooms.value.map((r) => r.room);
      const jobs: Promise<unknown>[] = wanted.map(rejoin);
      if (!wanted.includes(LOBBY)) jobs.push(request("leave", { room: LOBBY }));
      return jobs;
    },

    reopen() {
      return rooms.value.map((r) => rejoin(r.room));
    },

    snapshot() {
      return { rooms: rooms.value.map((r) => r.room), current: currentRoom.value };
    },

    restore(saved) {
      batch(() => {
        rooms.value = saved.rooms.map(freshRoom);
        currentRoom.value = saved.current !== null && saved.rooms.includes(saved.current)
          ? saved.current
          : saved.rooms[0] ?? null;
      });
    },

    presence(p) {
      const r = find(p.room);
      const change = r === undefined ? null : presenceChange(r.members, p);
      if (r === undefined || change === null) return 0;
      const told = change.notice === null
        ? r
        : withNotice(r, change.notice.text, maxItems, change.notice.about);
      update(p.room, () => ({ ...told, members: change.members }));
      return change.delta;
    },

    renamed({ sessionId, name }) {
      rooms.value = rooms.value.map((r) => {
        const old = r.members.find((m) => m.sessionId === sessionId);
        if (!old || old.name === name) return r;
        return {
          ...withNotice(r, `${old.name} is now ${name}.`, maxItems, {
            action: "rename",
            sessionId,
            name,
          }),
          members: withName(r.members, sessionId, name),
        };
      });
    },

    chat(msg) {
      const target = find(msg.room);
      if (target === undefined) return;
      const next = liveMessage(target, msg, me(), maxItems);
      if (next === target) return; // a repeat: a replay that history already showed
      update(msg.room, () => ({
        ...next,
        unread: msg.from !== me() && (currentRoom.value !== msg.room || !deps.watching())
          ? next.unread + 1
          : next.unread,
      }));
    },
  };
}
