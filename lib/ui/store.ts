/**
 * The browser's view of the hub: one {@linkcode HubClient} and the signals every island reads.
 *
 * The four islands on `/` share one store (see `shared.ts`), so they share one connection and
 * one picture of it: connection state, session, clock, rooms, conversations and random replies.
 * Actions send requests and fold the replies into the signals; server events do the same. Every
 * signal holds immutable values (new arrays and records on each change), so components re-render
 * by plain signal reads.
 *
 * After a reconnect the server hands out a new session, back in the lobby only. The store then
 * re-joins the rooms the user had (and leaves the lobby again if they had left it), re-applies a
 * chosen display name, and marks every live or pending conversation as ended.
 *
 * Runs in Deno as well as in browsers, so `store_test.ts` drives it against a real server.
 *
 * @module
 */

import { batch, computed, type ReadonlySignal, signal } from "@preact/signals";
import {
  type ConnectionState,
  type HubClient,
  type RequestArgs,
  RequestError,
} from "../client/mod.ts";
import {
  type CloseReason,
  defaultName,
  type Events,
  LIMITS,
  LOBBY,
  type Member,
  type ReplyData,
  type RequestType,
  type RoomInfo,
} from "../protocol/mod.ts";

/** One line in a chat or conversation stream. */
export type StreamItem =
  | {
    kind: "message";
    /** Message id, unique in its stream. */
    key: string;
    from: string;
    name: string;
    text: string;
    ts: number;
    mine: boolean;
  }
  | { kind: "notice"; key: string; text: string; ts: number };

/** A room this session is in. */
export interface RoomView {
  room: string;
  members: Member[];
  items: StreamItem[];
  /** Messages that arrived while another room was shown. */
  unread: number;
}

/**
 * Where a direct conversation stands.
 *
 * - `outgoing`: we asked, waiting for an answer; `incoming`: they asked, we must answer.
 * - `open`: both agreed; messages flow.
 * - `declined`: they said no; `refused`: we said no; `expired`: nobody answered in time.
 * - `closed`: one side closed it; `gone`: the peer disconnected.
 * - `ended`: our own connection dropped, so this session (and the conversation) is gone.
 */
export type DmStatus =
  | "outgoing"
  | "incoming"
  | "open"
  | "declined"
  | "refused"
  | "expired"
  | "closed"
  | "gone"
  | "ended";

/** A direct conversation (or request) with one peer. */
export interface Conversation {
  peer: string;
  name: string;
  status: DmStatus;
  /** For `closed`: whether we closed it. */
  closedByMe: boolean;
  items: StreamItem[];
  unread: number;
}

/** Statuses in which nothing more can happen without a new request. */
export const FINISHED: ReadonlySet<DmStatus> = new Set([
  "declined",
  "refused",
  "expired",
  "closed",
  "gone",
  "ended",
]);

/** A reply of the random-number service. */
export interface RandomReply {
  key: number;
  text: string;
  n: number;
  at: number;
}

/** The last heartbeat: when it arrived (local clock) and what it said. */
export interface Heartbeat {
  at: number;
  text: string;
  serverTime: number;
}

/** Timings for {@linkcode createHubStore}; tests shorten them. */
export interface StoreOptions {
  /** How often `num_clients` and `ping` are sent while connected. Default 5,000. */
  pollMs?: number;
  /** How often the room list is refreshed while connected. Default 10,000. */
  roomsPollMs?: number;
  /** How often `now` ticks. Default 1,000. */
  tickMs?: number;
  /** Messages kept per stream. Default 500. */
  maxItems?: number;
  /** Random replies kept. Default 10. */
  maxRandom?: number;
}

/** The shared state and the actions the islands call. Actions reject with a readable Error. */
export interface HubStore {
  /** Whether this store has a connection (false while rendering on the server). */
  readonly live: boolean;
  readonly state: ReadonlySignal<ConnectionState>;
  /** The current session's welcome, or null before the first one. */
  readonly session: ReadonlySignal<Events["welcome"] | null>;
  readonly name: ReadonlySignal<string>;
  /** Local clock, ticking every second. */
  readonly now: ReadonlySignal<number>;
  /** Server clock minus local clock, in ms; null until known. */
  readonly clockOffset: ReadonlySignal<number | null>;
  readonly clients: ReadonlySignal<number | null>;
  readonly pingMs: ReadonlySignal<number | null>;
  readonly lastHeartbeat: ReadonlySignal<Heartbeat | null>;
  /** How many new sessions replaced a dropped one. */
  readonly reconnects: ReadonlySignal<number>;
  /** The rooms this session is in, in join order. */
  readonly rooms: ReadonlySignal<readonly RoomView[]>;
  readonly currentRoom: ReadonlySignal<string | null>;
  /** The current room's view, if any. */
  readonly room: ReadonlySignal<RoomView | null>;
  readonly roomList: ReadonlySignal<readonly RoomInfo[]>;
  /** Conversations, newest first. */
  readonly conversations: ReadonlySignal<readonly Conversation[]>;
  readonly activeDm: ReadonlySignal<string | null>;
  readonly randoms: ReadonlySignal<readonly RandomReply[]>;

  setName(name: string): Promise<void>;
  join(room: string): Promise<void>;
  leave(room: string): Promise<void>;
  showRoom(room: string): void;
  refreshRooms(): Promise<void>;
  say(text: string): Promise<void>;
  requestDm(to: string): Promise<void>;
  acceptDm(peer: string): Promise<void>;
  declineDm(peer: string): Promise<void>;
  closeDm(peer: string): Promise<void>;
  sendDm(peer: string, text: string): Promise<void>;
  showDm(peer: string | null): void;
  dismissDm(peer: string): void;
  random(text: string): Promise<RandomReply>;
  reconnect(): void;
  /** Stops timers and listeners (the client is left to its owner). */
  dispose(): void;
}

/** Turns a failed request into an Error whose message a person can read. */
function readable(err: unknown): Error {
  if (err instanceof RequestError) {
    switch (err.code) {
      case "timeout":
        return new Error("The server did not answer in time. Try again.");
      case "disconnected":
        return new Error("The connection dropped before the server answered.");
      case "closed":
        return new Error("The connection is closed.");
      case "rate_limited":
        return new Error("Slow down: too many messages at once.");
      case "not_found":
        return new Error("No session with that id is online.");
      default:
        return new Error(err.message);
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}

let noticeCounter = 0;
function notice(text: string, ts = Date.now()): StreamItem {
  return { kind: "notice", key: `n${++noticeCounter}`, text, ts };
}

/**
 * Builds a store around `client`, or an idle one (`client` null) for server rendering: its
 * signals keep their defaults and its actions reject.
 */
export function createHubStore(client: HubClient | null, options: StoreOptions = {}): HubStore {
  const pollMs = options.pollMs ?? 5000;
  const roomsPollMs = options.roomsPollMs ?? 10_000;
  const tickMs = options.tickMs ?? 1000;
  const maxItems = options.maxItems ?? 500;
  const maxRandom = options.maxRandom ?? 10;

  const state = signal<ConnectionState>("connecting");
  const session = signal<Events["welcome"] | null>(null);
  const name = signal("");
  const now = signal(Date.now());
  const clockOffset = signal<number | null>(null);
  const clients = signal<number | null>(null);
  const pingMs = signal<number | null>(null);
  const lastHeartbeat = signal<Heartbeat | null>(null);
  const reconnects = signal(0);
  const rooms = signal<readonly RoomView[]>([
    { room: LOBBY, members: [], items: [], unread: 0 },
  ]);
  const currentRoom = signal<string | null>(LOBBY);
  const roomList = signal<readonly RoomInfo[]>([]);
  const conversations = signal<readonly Conversation[]>([]);
  const activeDm = signal<string | null>(null);
  const randoms = signal<readonly RandomReply[]>([]);
  const room = computed(() => rooms.value.find((r) => r.room === currentRoom.value) ?? null);

  /** The name the user chose, re-applied after a reconnect. */
  let chosenName: string | null = null;
  let randomKey = 0;
  const cleanups: (() => void)[] = [];

  const trim = (items: StreamItem[]) =>
    items.length > maxItems ? items.slice(items.length - maxItems) : items;
  const me = () => session.value?.sessionId ?? "";

  function updateRoom(roomName: string, fn: (r: RoomView) => RoomView): void {
    rooms.value = rooms.value.map((r) => r.room === roomName ? fn(r) : r);
  }
  function addToRoom(roomName: string, item: StreamItem, countUnread: boolean): void {
    updateRoom(roomName, (r) => ({
      ...r,
      items: trim([...r.items, item]),
      unread: countUnread && currentRoom.value !== roomName ? r.unread + 1 : r.unread,
    }));
  }
  function findConversation(peer: string): Conversation | undefined {
    return conversations.value.find((c) => c.peer === peer);
  }
  /** Updates (or creates, newest first) the conversation with `peer`. */
  function upsertConversation(
    peer: string,
    fn: (c: Conversation) => Conversation,
    fallbackName?: string,
  ): void {
    const existing = findConversation(peer);
    if (existing) {
      conversations.value = conversations.value.map((c) => c.peer === peer ? fn(c) : c);
    } else {
      const fresh: Conversation = {
        peer,
        name: fallbackName ?? knownName(peer),
        status: "outgoing",
        closedByMe: false,
        items: [],
        unread: 0,
      };
      conversations.value = [fn(fresh), ...conversations.value];
    }
  }
  /** A peer's display name from any room we share, else the server's default for the id. */
  function knownName(sessionId: string): string {
    for (const r of rooms.value) {
      const m = r.members.find((x) => x.sessionId === sessionId);
      if (m) return m.name;
    }
    return findConversation(sessionId)?.name ?? defaultName(sessionId);
  }

  async function request<T extends RequestType>(
    type: T,
    ...args: RequestArgs<T>
  ): Promise<ReplyData<T>> {
    if (client === null) throw new Error("Not connected yet.");
    try {
      return await client.request(type, ...args);
    } catch (err) {
      throw readable(err);
    }
  }
  /** A request whose failure only matters to the next poll. */
  function quietly(promise: Promise<unknown>): void {
    promise.catch(() => {});
  }

  async function pollStats(): Promise<void> {
    if (client === null || state.value !== "connected") return;
    const started = performance.now();
    const pinged = request("ping").then(({ serverTime }) => {
      const rtt = performance.now() - started;
      batch(() => {
        pingMs.value = Math.round(rtt);
        clockOffset.value = serverTime + rtt / 2 - Date.now();
      });
    });
    const counted = request("num_clients").then(({ count }) => {
      clients.value = count;
    });
    await Promise.all([pinged, counted]);
  }

  async function refreshRooms(): Promise<void> {
    const reply = await request("rooms");
    roomList.value = reply.rooms;
  }

  /** A (new) session: put it back in the rooms the user had, as the user had them. */
  async function onWelcome(welcome: Events["welcome"]): Promise<void> {
    const previous = session.value;
    const isNew = previous !== null && previous.sessionId !== welcome.sessionId;
    batch(() => {
      session.value = welcome;
      name.value = welcome.name;
      clockOffset.value = welcome.serverTime - Date.now();
      lastHeartbeat.value = null;
      if (isNew) {
        reconnects.value++;
        const text = `Reconnected as a new session (${welcome.name}).`;
        rooms.value = rooms.value.map((r) => ({
          ...r,
          members: [],
          items: trim([...r.items, notice(text)]),
        }));
        conversations.value = conversations.value.map((c) =>
          FINISHED.has(c.status) ? c : {
            ...c,
            status: "ended",
            items: trim([
              ...c.items,
              notice("Your connection dropped, so this conversation ended."),
            ]),
          }
        );
      }
    });
    const wanted = rooms.value.map((r) => r.room);
    const jobs: Promise<unknown>[] = [pollStats(), refreshRooms()];
    if (chosenName !== null) jobs.push(setName(chosenName));
    for (const roomName of wanted) {
      jobs.push(
        request("join", { room: roomName }).then((reply) =>
          updateRoom(roomName, (r) => ({ ...r, members: reply.members }))
        ),
      );
    }
    if (!wanted.includes(LOBBY)) jobs.push(request("leave", { room: LOBBY }));
    const results = await Promise.allSettled(jobs);
    for (const result of results) {
      if (result.status === "rejected") console.warn("Resyncing after connect:", result.reason);
    }
  }

  async function setName(newName: string): Promise<void> {
    const wanted = newName.trim();
    if (wanted.length < LIMITS.minNameLength || wanted.length > LIMITS.maxNameLength) {
      throw new Error(`A name is ${LIMITS.minNameLength} to ${LIMITS.maxNameLength} characters.`);
    }
    const reply = await request("set_name", { name: wanted });
    chosenName = reply.name;
    const id = me();
    batch(() => {
      name.value = reply.name;
      rooms.value = rooms.value.map((r) => ({
        ...r,
        members: r.members.map((m) => m.sessionId === id ? { ...m, name: reply.name } : m),
      }));
    });
  }

  async function join(roomName: string): Promise<void> {
    const wanted = roomName.trim().replace(/^#/, "");
    if (!LIMITS.roomPattern.test(wanted)) {
      throw new Error("A room name is 1 to 64 letters, digits, '_', '.' or '-'.");
    }
    if (rooms.value.some((r) => r.room === wanted)) {
      showRoom(wanted);
      return;
    }
    const reply = await request("join", { room: wanted });
    batch(() => {
      if (!rooms.value.some((r) => r.room === wanted)) {
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
  }

  async function leave(roomName: string): Promise<void> {
    await request("leave", { room: roomName });
    batch(() => {
      rooms.value = rooms.value.filter((r) => r.room !== roomName);
      if (currentRoom.value === roomName) currentRoom.value = rooms.value[0]?.room ?? null;
      const shown = currentRoom.value;
      if (shown !== null) updateRoom(shown, (r) => ({ ...r, unread: 0 }));
    });
    quietly(refreshRooms());
  }

  function showRoom(roomName: string): void {
    batch(() => {
      currentRoom.value = roomName;
      updateRoom(roomName, (r) => ({ ...r, unread: 0 }));
    });
  }

  async function say(text: string): Promise<void> {
    const roomName = currentRoom.value;
    if (roomName === null) throw new Error("Join a room first.");
    if (text.trim() === "") throw new Error("Type a message first.");
    if (text.length > LIMITS.maxTextLength) {
      throw new Error(`A message is at most ${LIMITS.maxTextLength} characters.`);
    }
    // The server echoes the message to every member, the sender included: that echo draws it.
    await request("chat", { room: roomName, text });
  }

  async function requestDm(to: string): Promise<void> {
    const peer = to.trim();
    if (peer === "") throw new Error("Pick a session or paste its id.");
    if (peer === me()) throw new Error("That is your own session.");
    const reply = await request("dm_request", { to: peer });
    batch(() => {
      upsertConversation(peer, (c) => ({
        ...c,
        status: reply.status === "accepted" ? "open" : "outgoing",
        closedByMe: false,
        items: trim([
          ...c.items,
          notice(
            reply.status === "accepted"
              ? `You and ${c.name} are connected.`
              : `Request sent to ${c.name}. Waiting for an answer…`,
          ),
        ]),
      }));
      activeDm.value = peer;
    });
  }

  async function acceptDm(peer: string): Promise<void> {
    const reply = await request("dm_accept", { from: peer });
    upsertConversation(peer, (c) => ({
      ...c,
      name: reply.name,
      status: "open",
      items: trim([...c.items, notice(`You accepted. Say hello to ${reply.name}!`)]),
    }));
  }

  async function declineDm(peer: string): Promise<void> {
    await request("dm_decline", { from: peer });
    upsertConversation(peer, (c) => ({
      ...c,
      status: "refused",
      items: trim([...c.items, notice(`You declined ${c.name}'s request.`)]),
    }));
  }

  async function closeDm(peer: string): Promise<void> {
    const c = findConversation(peer);
    const wasOpen = c?.status === "open";
    // Mark first: our own dm_closed event may arrive before the reply.
    upsertConversation(peer, (x) => ({ ...x, closedByMe: true }));
    try {
      await request("dm_close", { with: peer });
    } catch (err) {
      upsertConversation(peer, (x) => ({ ...x, closedByMe: false }));
      throw err;
    }
    upsertConversation(peer, (x) =>
      x.status === "closed" ? x : {
        ...x,
        status: "closed",
        items: trim([
          ...x.items,
          notice(wasOpen ? "You closed this conversation." : "You withdrew your request."),
        ]),
      });
  }

  async function sendDm(peer: string, text: string): Promise<void> {
    if (text.trim() === "") throw new Error("Type a message first.");
    if (text.length > LIMITS.maxTextLength) {
      throw new Error(`A message is at most ${LIMITS.maxTextLength} characters.`);
    }
    const reply = await request("dm", { to: peer, text });
    upsertConversation(peer, (c) => ({
      ...c,
      items: trim([...c.items, {
        kind: "message",
        key: reply.msgId,
        from: me(),
        name: name.value,
        text,
        ts: reply.ts,
        mine: true,
      }]),
    }));
  }

  function showDm(peer: string | null): void {
    batch(() => {
      activeDm.value = peer;
      if (peer !== null) upsertConversation(peer, (c) => ({ ...c, unread: 0 }));
    });
  }

  function dismissDm(peer: string): void {
    batch(() => {
      conversations.value = conversations.value.filter((c) => c.peer !== peer);
      if (activeDm.value === peer) activeDm.value = null;
    });
  }

  async function random(text: string): Promise<RandomReply> {
    if (text.length > LIMITS.maxTextLength) {
      throw new Error(`The text is at most ${LIMITS.maxTextLength} characters.`);
    }
    const reply = await request("random", { text });
    const entry: RandomReply = { key: ++randomKey, text: reply.text, n: reply.n, at: Date.now() };
    randoms.value = [entry, ...randoms.value].slice(0, maxRandom);
    return entry;
  }

  // ---- events ------------------------------------------------------------------------------

  if (client !== null) {
    const on = <E extends keyof Events>(event: E, fn: (data: Events[E]) => void) =>
      cleanups.push(client.on(event, (data) => batch(() => fn(data))));

    on("welcome", (welcome) => {
      onWelcome(welcome).catch((err) => console.warn("Resyncing after connect:", err));
    });

    on("heartbeat", (beat) => {
      lastHeartbeat.value = { at: Date.now(), text: beat.text, serverTime: beat.serverTime };
      if (clockOffset.value === null) clockOffset.value = beat.serverTime - Date.now();
    });

    on("presence", (p) => {
      if (!rooms.value.some((r) => r.room === p.room)) return;
      updateRoom(p.room, (r) => {
        const others = r.members.filter((m) => m.sessionId !== p.sessionId);
        const members = p.action === "join"
          ? [...others, { sessionId: p.sessionId, name: p.name }]
          : others;
        return {
          ...r,
          members,
          items: trim([
            ...r.items,
            notice(`${p.name} ${p.action === "join" ? "joined" : "left"} #${p.room}.`),
          ]),
        };
      });
      // No event carries the count; the lobby's comings and goings are the best hint between polls.
      if (p.room === LOBBY && clients.value !== null) {
        clients.value = Math.max(1, clients.value + (p.action === "join" ? 1 : -1));
      }
    });

    on("renamed", ({ sessionId, name: newName }) => {
      rooms.value = rooms.value.map((r) => {
        const old = r.members.find((m) => m.sessionId === sessionId);
        if (!old || old.name === newName) return r;
        return {
          ...r,
          members: r.members.map((m) => m.sessionId === sessionId ? { ...m, name: newName } : m),
          items: trim([...r.items, notice(`${old.name} is now ${newName}.`)]),
        };
      });
      if (findConversation(sessionId)) {
        upsertConversation(sessionId, (c) => ({ ...c, name: newName }));
      }
    });

    on("chat", (msg) => {
      if (!rooms.value.some((r) => r.room === msg.room)) return;
      const current = rooms.value.find((r) => r.room === msg.room)!;
      if (current.items.some((i) => i.key === msg.msgId)) return;
      addToRoom(msg.room, {
        kind: "message",
        key: msg.msgId,
        from: msg.from,
        name: msg.name,
        text: msg.text,
        ts: msg.ts,
        mine: msg.from === me(),
      }, true);
    });

    on("dm_request", ({ from, name: peerName }) => {
      // Nothing else open: show the request at once, so Accept and Decline are in view.
      if (activeDm.value === null) activeDm.value = from;
      upsertConversation(from, (c) => ({
        ...c,
        name: peerName,
        status: "incoming",
        closedByMe: false,
        items: trim([...c.items, notice(`${peerName} wants to start a conversation.`)]),
        unread: activeDm.value === from ? c.unread : c.unread + 1,
      }), peerName);
    });

    on("dm_accepted", ({ with: peer, name: peerName }) => {
      upsertConversation(peer, (c) => ({
        ...c,
        name: peerName,
        status: "open",
        items: trim([...c.items, notice(`${peerName} accepted. You can talk now.`)]),
        unread: activeDm.value === peer ? c.unread : c.unread + 1,
      }), peerName);
    });

    on("dm_declined", ({ with: peer, reason }) => {
      upsertConversation(peer, (c) => ({
        ...c,
        status: reason === "expired" ? "expired" : "declined",
        items: trim([
          ...c.items,
          notice(
            reason === "expired"
              ? `Your request to ${c.name} expired without an answer.`
              : `${c.name} declined your request.`,
          ),
        ]),
        unread: activeDm.value === peer ? c.unread : c.unread + 1,
      }));
    });

    on("dm", (msg) => {
      upsertConversation(msg.from, (c) => ({
        ...c,
        name: msg.name,
        items: c.items.some((i) => i.key === msg.msgId) ? c.items : trim([...c.items, {
          kind: "message",
          key: msg.msgId,
          from: msg.from,
          name: msg.name,
          text: msg.text,
          ts: msg.ts,
          mine: false,
        }]),
        unread: activeDm.value === msg.from ? c.unread : c.unread + 1,
      }), msg.name);
    });

    on("dm_closed", ({ with: peer, reason }) => {
      const c = findConversation(peer);
      if (c === undefined || (c.status === "closed" && reason === "closed")) return;
      if (c.closedByMe && reason === "closed") return; // our own dm_close: its reply says it
      const texts: Record<CloseReason, string> = {
        closed: c.status === "open"
          ? `${c.name} closed the conversation.`
          : `${c.name} withdrew the request.`,
        disconnected: `${c.name} went offline.`,
        expired: `${c.name}'s request expired.`,
      };
      const status: Record<CloseReason, DmStatus> = {
        closed: "closed",
        disconnected: "gone",
        expired: "expired",
      };
      upsertConversation(peer, (x) => ({
        ...x,
        status: status[reason],
        items: trim([...x.items, notice(texts[reason])]),
        unread: activeDm.value === peer ? x.unread : x.unread + 1,
      }));
    });

    cleanups.push(client.onState((next) => {
      batch(() => {
        const was = state.value;
        state.value = next;
        if (next !== "connected") pingMs.value = null;
        if (was === "connected" && next !== "connected") {
          rooms.value = rooms.value.map((r) => ({
            ...r,
            items: trim([...r.items, notice("Connection lost. Reconnecting…")]),
          }));
        }
      });
    }));

    const tick = setInterval(() => now.value = Date.now(), tickMs);
    const poll = setInterval(() => quietly(pollStats()), pollMs);
    const roomsPoll = setInterval(() => {
      if (state.value === "connected") quietly(refreshRooms());
    }, roomsPollMs);
    cleanups.push(() => {
      clearInterval(tick);
      clearInterval(poll);
      clearInterval(roomsPoll);
    });
  }

  return {
    live: client !== null,
    state,
    session,
    name,
    now,
    clockOffset,
    clients,
    pingMs,
    lastHeartbeat,
    reconnects,
    rooms,
    currentRoom,
    room,
    roomList,
    conversations,
    activeDm,
    randoms,
    setName,
    join,
    leave,
    showRoom,
    refreshRooms,
    say,
    requestDm,
    acceptDm,
    declineDm,
    closeDm,
    sendDm,
    showDm,
    dismissDm,
    random,
    reconnect: () => client?.reconnect(),
    dispose() {
      for (const fn of cleanups.splice(0)) fn();
    },
  };
}
