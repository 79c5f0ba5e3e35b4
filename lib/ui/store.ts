/**
 * The browser's view of the hub: one {@linkcode HubClient} and the signals every island reads.
 *
 * The islands on `/` share one store (see `shared.ts`), so they share one connection and one
 * picture of it. The store is five slices with one job each, and this module only wires them to
 * the client and to each other:
 *
 * - `connection.ts`: state, session, name, clocks, ping, heartbeat, clients count;
 * - `rooms.ts`: joined rooms and their streams, the room shown, the directory;
 * - `conversations.ts`: direct requests and conversations, through the pure reducer in
 *   `conversations_reducer.ts`;
 * - `randoms.ts`: the random-number service;
 * - `attention.ts`: which view the reader sees (on a phone the views are tabs), and what screen
 *   readers are told. What the reader does not see counts as unread, per view and in the title.
 *
 * Actions send requests and fold the replies into the signals; server events do the same. Every
 * signal holds immutable values (new arrays and records on each change), so components re-render
 * by plain signal reads.
 *
 * After a drop the client resumes the session when it can (see `docs/protocol.md`, "Resume"):
 * the session is still in its rooms and conversations, and the hub replays what it missed, so the
 * store only says so. When the resume fails the hub hands out a new session, back in the lobby
 * only; the store then re-joins the rooms the user had (and leaves the lobby again if they had left
 * it), re-applies a chosen display name, and marks every live or pending conversation as ended.
 *
 * A reload of the tab is a resume too (`shared.ts` keeps the token in `sessionStorage`): when it
 * continues the session, the store takes back the page's snapshot (`page_memory.ts`) and fetches
 * the member lists and history of its rooms. Rooms load their history whenever they are opened.
 *
 * Runs in Deno as well as in browsers, so `store_test.ts` drives it against a real server.
 *
 * It is a little over 300 lines because it is the one place where the slices meet: the event
 * wiring and the list of what each slice shows the islands would only move, not shrink, if split.
 *
 * @module
 */

import { batch, computed, effect, type ReadonlySignal, untracked } from "@preact/signals";
import type { HubClient } from "../client/mod.ts";
import { defaultName, type Events, LOBBY } from "../protocol/mod.ts";
import { type ConnectionView, createConnection, type WelcomeKind } from "./connection.ts";
import { type AttentionView, createAttention, pageTitle, type View } from "./attention.ts";
import { type ConversationsView, createConversations, DM_EVENTS } from "./conversations.ts";
import { createRandoms, type RandomsView } from "./randoms.ts";
import type { PageSnapshot } from "./page_memory.ts";
import { requester } from "./requests.ts";
import { createRooms, type RoomsView } from "./rooms.ts";

export type { Announcement, View } from "./attention.ts";
export { VIEWS } from "./attention.ts";
export type { Heartbeat } from "./connection.ts";
export { type Conversation, type DmStatus, FINISHED } from "./conversations_reducer.ts";
export type { RandomReply } from "./randoms.ts";
export type { RoomMember, RoomView } from "./rooms.ts";
export { hasOlder } from "./room_stream.ts";
export type { StreamItem } from "./stream.ts";

/** Timings for {@linkcode createHubStore}; tests shorten them. */
export interface StoreOptions {
  /** How often `num_clients` and `ping` are sent while connected. Default 5,000. */
  pollMs?: number;
  /** How often `now` ticks. Default 1,000. */
  tickMs?: number;
  /** Messages kept per stream. Default 500. */
  maxItems?: number;
  /** Random replies kept. Default 10. */
  maxRandom?: number;
  /** Messages per history page. Default 50. */
  historyPage?: number;
  /** The page before a reload; taken back if the first welcome resumes its session. */
  saved?: PageSnapshot | null;
}

/** The shared state and the actions the islands call. Actions reject with a readable Error. */
export interface HubStore
  extends ConnectionView, RoomsView, ConversationsView, RandomsView, AttentionView {
  /** Whether this store has a connection (false while rendering on the server). */
  readonly live: boolean;
  /** What waits unread in each view. */
  readonly unread: ReadonlySignal<Readonly<Record<View, number>>>;
  /** The document's title, with the count of unread messages and requests. */
  readonly title: ReadonlySignal<string>;
  /** Sets our display name, here and in every member list, and again after a reconnect. */
  setName(name: string): Promise<void>;
  /** The page as it is, to keep across a reload; null before the first session. */
  snapshot(): PageSnapshot | null;
  /** Stops timers and listeners (the client is left to its owner). */
  dispose(): void;
}

/**
 * Builds a store around `client`, or an idle one (`client` null) for server rendering: its
 * signals keep their defaults and its actions reject.
 */
export function createHubStore(client: HubClient | null, options: StoreOptions = {}): HubStore {
  const request = requester(client);
  const connection = createConnection(client, {
    request,
    pollMs: options.pollMs,
    tickMs: options.tickMs,
  });
  const attention = createAttention();
  const sees = (view: View) => attention.sees(view).peek();
  const rooms = createRooms({
    request,
    me: connection.me,
    watching: () => sees("chat"),
    maxItems: options.maxItems,
    historyPage: options.historyPage,
  });
  const dms = createConversations({
    request,
    me: connection.me,
    myName: () => connection.name.value,
    nameOf: (id) => rooms.memberName(id) ?? defaultName(id),
    maxItems: options.maxItems,
  });
  const randoms = createRandoms({
    request,
    watching: () => sees("random"),
    maxRandom: options.maxRandom,
  });
  const cleanups = [connection.dispose];
  const unread = computed(() => ({
    chat: rooms.rooms.value.reduce((n, r) => n + r.unread, 0),
    dms: dms.conversations.value.reduce((n, c) => n + c.unread, 0),
    random: randoms.unseenRandoms.value,
  }));
  const title = computed(() => pageTitle(unread.value.chat + unread.value.dms));

  // What the reader sees again is read. Each effect follows only what the reader sees: what the
  // slices read and write while acting on it stays untracked.
  const whenSeen = (view: View, fn: (on: boolean) => void) =>
    effect(() => {
      const on = attention.sees(view).value;
      untracked(() => fn(on));
    });
  cleanups.push(
    whenSeen("chat", (on) => on && rooms.seen()),
    whenSeen("dms", (on) => dms.dispatch({ type: "watching", on })),
    whenSeen("random", (on) => on && randoms.seen()),
  );
  let saved = options.saved ?? null;

  async function setName(newName: string): Promise<void> {
    const name = await connection.setName(newName);
    rooms.renameSelf(connection.me(), name);
  }

  /** What the page does after a welcome, as requests; each failure is warned of, none rejects. */
  async function sync(kind: WelcomeKind): Promise<void> {
    // Every welcome watches the directory again: a new session watches nothing yet.
    const jobs: Promise<unknown>[] = [connection.pollStats(), rooms.watchDirectory()];
    if (kind === "first" || kind === "replaced") {
      // A new session: put it back in the rooms the user had, with the name the user chose. The
      // name goes first: the hub may answer a join after later requests, and its member list
      // should already carry the name.
      const chosen = connection.chosenName();
      if (chosen !== null) jobs.push(setName(chosen));
      jobs.push(...rooms.resync());
    } else if (kind === "restored") {
      jobs.push(...rooms.reopen());
    }
    for (const result of await Promise.allSettled(jobs)) {
      if (result.status === "rejected") console.warn("Resyncing after connect:", result.reason);
    }
  }

  /** A reload resumed session `id`: the page it had comes back, if it was kept. */
  function restore(id: string): void {
    const page = saved;
    saved = null;
    if (page === null || page.sessionId !== id) return;
    rooms.restore(page.rooms);
    dms.restore(page.conversations);
    dms.dispatch({ type: "session_resumed" });
    connection.restoreChosenName(page.chosenName);
  }

  if (client !== null) {
    const on = <E extends keyof Events>(event: E, fn: (data: Events[E]) => void) =>
      cleanups.push(client.on(event, (data) => batch(() => fn(data))));

    // The hub replays what a resumed session missed right after its welcome, so everything the
    // replay lands in (rooms, conversations) must be in place when this returns.
    on("welcome", (welcome) => {
      const kind = connection.welcome(welcome);
      switch (kind) {
        case "replaced":
          rooms.sessionReplaced(welcome.name);
          dms.dispatch({ type: "session_replaced" });
          break;
        case "resumed":
          rooms.sessionResumed();
          dms.dispatch({ type: "session_resumed" });
          break;
        case "restored":
          restore(welcome.sessionId);
          break;
      }
      saved = null; // a snapshot is for the first welcome only
      void sync(kind); // settles every job and warns of each failure; never rejects
    });
    on("heartbeat", connection.heartbeat);
    on("presence", (p) => {
      const delta = rooms.presence(p);
      if (p.room === LOBBY) connection.lobbyPresence(delta);
    });
    on("renamed", (r) => {
      rooms.renamed(r);
      dms.dispatch({ type: "renamed", peer: r.sessionId, name: r.name });
    });
    on("chat", (msg) => {
      rooms.chat(msg);
      if (msg.from !== connection.me()) {
        attention.announce(`${msg.name} in #${msg.room}: ${msg.text}`);
      }
    });
    on("rooms", ({ rooms: list }) => rooms.directory(list));
    for (const type of DM_EVENTS) on(type, (data) => dms.receive(type, data));
    on("dm", (m) => attention.announce(`${m.name}, directly: ${m.text}`));
    on(
      "dm_request",
      (r) => attention.announce(`${r.name} wants to start a conversation with you.`),
    );

    cleanups.push(client.onState((next) =>
      batch(() => {
        const was = connection.stateChanged(next);
        if (was === "connected" && next !== "connected") rooms.connectionLost();
      })
    ));
  }

  return {
    live: client !== null,
    ...pick(connection, [
      "state",
      "session",
      "name",
      "now",
      "clockOffset",
      "clients",
      "pingMs",
      "lastHeartbeat",
      "reconnects",
      "reconnect",
    ]),
    ...pick(rooms, [
      "rooms",
      "currentRoom",
      "room",
      "roomList",
      "join",
      "leave",
      "showRoom",
      "say",
      "loadOlder",
    ]),
    ...pick(dms, [
      "conversations",
      "activeDm",
      "requestDm",
      "acceptDm",
      "declineDm",
      "closeDm",
      "sendDm",
      "showDm",
      "dismissDm",
    ]),
    randoms: randoms.randoms,
    unseenRandoms: randoms.unseenRandoms,
    random: randoms.random,
    ...pick(attention, [
      "view",
      "compact",
      "pageVisible",
      "announcement",
      "showView",
      "setCompact",
      "setPageVisible",
    ]),
    unread,
    title,
    setName,
    snapshot() {
      const session = connection.session.value;
      if (session === null) return null;
      return {
        version: 1,
        sessionId: session.sessionId,
        chosenName: connection.chosenName(),
        rooms: rooms.snapshot(),
        conversations: dms.snapshot(),
      };
    },
    dispose() {
      for (const fn of cleanups.splice(0)) fn();
    },
  };
}

/** The members of `from` named in `keys`, and nothing else (a slice's wiring stays inside). */
function pick<T, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = from[key];
  return out;
}
