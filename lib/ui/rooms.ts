/**
 * The rooms slice of the store: the rooms this session is in (members, message stream, unread
 * count), the one shown, and the directory of rooms on the hub.
 *
 * @module
 */

import { batch, computed, type ReadonlySignal, signal } from "@preact/signals";
import { type Events, LIMITS, LOBBY, type Member, type RoomInfo } from "../protocol/mod.ts";
import { checkText, quietly, type Request } from "./requests.ts";
import { append, MAX_ITEMS, notice, type StreamItem } from "./stream.ts";

/** A room this session is in. */
export interface RoomView {
  room: string;
  members: Member[];
  items: StreamItem[];
  /** Messages that arrived while another room was shown. */
  unread: number;
}

/** What the islands read and call. Actions reject with a readable Error. */
export interface RoomsView {
  /** The rooms this session is in, in join order. */
  readonly rooms: ReadonlySignal<readonly RoomView[]>;
  readonly currentRoom: ReadonlySignal<string | null>;
  /** The current room's view, if any. */
  readonly room: ReadonlySignal<RoomView | null>;
  readonly roomList: ReadonlySignal<readonly RoomInfo[]>;
  join(room: string): Promise<void>;
  leave(room: string): Promise<void>;
  showRoom(room: string): void;
  refreshRooms(): Promise<void>;
  say(text: string): Promise<void>;
}

/** The slice: the view, plus what the store feeds it. */
export interface RoomsSlice extends RoomsView {
  /** A member's name from any room we share, if any. */
  memberName(sessionId: string): string | undefined;
  /** Our own new name, in every member list (the hub tells only the others). */
  renameSelf(sessionId: string, name: string): void;
  /** The connection dropped while connected. */
  connectionLost(): void;
  /** A new session replaced the old one: member lists are stale until the rooms are joined again. */
  sessionReplaced(name: string): void;
  /**
   * Puts the (new) session back in the rooms the user had, as the user had them, and refreshes
   * the directory. One promise per request.
   */
  resync(): Promise<unknown>[];
  /** Returns whether the event was for a room we are in. */
  presence(p: Events["presence"]): boolean;
  renamed(r: Events["renamed"]): void;
  chat(msg: Events["chat"]): void;
  dispose(): void;
}

/** What the slice needs from the rest of the store. */
export interface RoomsDeps {
  request: Request;
  /** Our session id, or "" before the first welcome. */
  me(): string;
  /** Whether the connection is up; the directory is polled only then. */
  connected(): boolean;
  /** Whether there is a connection at all; an idle store starts no timer. */
  live: boolean;
  /** How often the directory is refreshed while connected, in ms. Default 10,000. */
  roomsPollMs?: number;
  /** Messages kept per room. */
  maxItems?: number;
}

export function createRooms(deps: RoomsDeps): RoomsSlice {
  const { request, me } = deps;
  const maxItems = deps.maxItems ?? MAX_ITEMS;
  const rooms = signal<readonly RoomView[]>([
    { room: LOBBY, members: [], items: [], unread: 0 },
  ]);
  const currentRoom = signal<string | null>(LOBBY);
  const roomList = signal<readonly RoomInfo[]>([]);
  const room = computed(() => rooms.value.find((r) => r.room === currentRoom.value) ?? null);

  const has = (name: string) => rooms.value.some((r) => r.room === name);
  function update(name: string, fn: (r: RoomView) => RoomView): void {
    rooms.value = rooms.value.map((r) => r.room === name ? fn(r) : r);
  }
  function tellAll(text: string, clearMembers = false): void {
    rooms.value = rooms.value.map((r) => ({
      ...r,
      members: clearMembers ? [] : r.members,
      items: append(r.items, notice(text), maxItems),
    }));
  }

  async function refreshRooms(): Promise<void> {
    const reply = await request("rooms");
    roomList.value = reply.rooms;
  }

  function showRoom(name: string): void {
    batch(() => {
      currentRoom.value = name;
      update(name, (r) => ({ ...r, unread: 0 }));
    });
  }

  const timers: ReturnType<typeof setInterval>[] = [];
  if (deps.live) {
    timers.push(setInterval(() => {
      if (deps.connected()) quietly(refreshRooms());
    }, deps.roomsPollMs ?? 10_000));
  }

  return {
    rooms,
    currentRoom,
    room,
    roomList,
    refreshRooms,
    showRoom,

    async join(roomName) {
      const wanted = roomName.trim().replace(/^#/, "");
      if (!LIMITS.roomPattern.test(wanted)) {
        throw new Error("A room name is 1 to 64 letters, digits, '_', '.' or '-'.");
      }
      if (has(wanted)) {
        showRoom(wanted);
        return;
      }
      const reply = await request("join", { room: wanted });
      batch(() => {
        if (!has(wanted)) {
          rooms.value = [...rooms.value, {
            room: wanted,
            members: reply.members,
            items: [notice(`You joined #${wanted}.`)],
            unread: 0,
          }];
        }
        currentRoom.value = wanted;
      });
      quietly(refreshRooms());
    },

    async leave(roomName) {
      await request("leave", { room: roomName });
      batch(() => {
        rooms.value = rooms.value.filter((r) => r.room !== roomName);
        if (currentRoom.value === roomName) currentRoom.value = rooms.value[0]?.room ?? null;
        const shown = currentRoom.value;
        if (shown !== null) update(shown, (r) => ({ ...r, unread: 0 }));
      });
      quietly(refreshRooms());
    },

    async say(text) {
      const roomName = currentRoom.value;
      if (roomName === null) throw new Error("Join a room first.");
      checkText(text);
      // The server echoes the message to every member, the sender included: that echo draws it.
      await request("chat", { room: roomName, text });
    },

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
        members: r.members.map((m) => m.sessionId === sessionId ? { ...m, name } : m),
      }));
    },

    connectionLost() {
      tellAll("Connection lost. Reconnecting…");
    },

    sessionReplaced(name) {
      tellAll(`Reconnected as a new session (${name}).`, true);
    },

    resync() {
      const wanted = rooms.value.map((r) => r.room);
      const jobs: Promise<unknown>[] = [refreshRooms()];
      for (const roomName of wanted) {
        jobs.push(
          request("join", { room: roomName }).then((reply) =>
            update(roomName, (r) => ({ ...r, members: reply.members }))
          ),
        );
      }
      if (!wanted.includes(LOBBY)) jobs.push(request("leave", { room: LOBBY }));
      return jobs;
    },

    presence(p) {
      if (!has(p.room)) return false;
      update(p.room, (r) => {
        const others = r.members.filter((m) => m.sessionId !== p.sessionId);
        const members = p.action === "join"
          ? [...others, { sessionId: p.sessionId, name: p.name }]
          : others;
        const text = `${p.name} ${p.action === "join" ? "joined" : "left"} #${p.room}.`;
        return { ...r, members, items: append(r.items, notice(text), maxItems) };
      });
      return true;
    },

    renamed({ sessionId, name }) {
      rooms.value = rooms.value.map((r) => {
        const old = r.members.find((m) => m.sessionId === sessionId);
        if (!old || old.name === name) return r;
        return {
          ...r,
          members: r.members.map((m) => m.sessionId === sessionId ? { ...m, name } : m),
          items: append(r.items, notice(`${old.name} is now ${name}.`), maxItems),
        };
      });
    },

    chat(msg) {
      const target = rooms.value.find((r) => r.room === msg.room);
      if (target === undefined || target.items.some((i) => i.key === msg.msgId)) return;
      const item: StreamItem = {
        kind: "message",
        key: msg.msgId,
        from: msg.from,
        name: msg.name,
        text: msg.text,
        ts: msg.ts,
        mine: msg.from === me(),
      };
      update(msg.room, (r) => ({
        ...r,
        items: append(r.items, item, maxItems),
        unread: currentRoom.value !== msg.room ? r.unread + 1 : r.unread,
      }));
    },

    dispose() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
  };
}
