/**
 * The browser's view of the hub: one {@linkcode HubClient} and the signals every island reads.
 *
 * The four islands on `/` share one store (see `shared.ts`), so they share one connection and
 * one picture of it. The store is four slices with one job each, and this module only wires them
 * to the client and to each other:
 *
 * - `connection.ts`: state, session, name, clocks, ping, heartbeat, clients count;
 * - `rooms.ts`: joined rooms and their streams, the room shown, the directory;
 * - `conversations.ts`: direct requests and conversations, through the pure reducer in
 *   `conversations_reducer.ts`;
 * - `randoms.ts`: the random-number service.
 *
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

import { batch } from "@preact/signals";
import type { HubClient } from "../client/mod.ts";
import { defaultName, type Events, LOBBY } from "../protocol/mod.ts";
import { type ConnectionView, createConnection } from "./connection.ts";
import { type ConversationsView, createConversations, DM_EVENTS } from "./conversations.ts";
import { createRandoms, type RandomsView } from "./randoms.ts";
import { requester } from "./requests.ts";
import { createRooms, type RoomsView } from "./rooms.ts";

export type { Heartbeat } from "./connection.ts";
export { type Conversation, type DmStatus, FINISHED } from "./conversations_reducer.ts";
export type { RandomReply } from "./randoms.ts";
export type { RoomView } from "./rooms.ts";
export type { StreamItem } from "./stream.ts";

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
export interface HubStore extends ConnectionView, RoomsView, ConversationsView, RandomsView {
  /** Whether this store has a connection (false while rendering on the server). */
  readonly live: boolean;
  /** Sets our display name, here and in every member list, and again after a reconnect. */
  setName(name: string): Promise<void>;
  /** Stops timers and listeners (the client is left to its owner). */
  dispose(): void;
}

/**
 * Builds a store around `client`, or an idle one (`client` null) for server rendering: its
 * signals keep their defaults and its actions reject.
 */
export function createHubStore(client: HubClient | null, options: StoreOptions = {}): HubStore {
  const request = requester(client);
  const connection = createConnection(client, { request, ...options });
  const rooms = createRooms({
    request,
    me: connection.me,
    connected: () => connection.state.value === "connected",
    live: client !== null,
    ...options,
  });
  const dms = createConversations({
    request,
    me: connection.me,
    myName: () => connection.name.value,
    nameOf: (id) => rooms.memberName(id) ?? defaultName(id),
    maxItems: options.maxItems,
  });
  const randoms = createRandoms({ request, maxRandom: options.maxRandom });
  const cleanups = [connection.dispose, rooms.dispose];

  async function setName(newName: string): Promise<void> {
    const name = await connection.setName(newName);
    rooms.renameSelf(connection.me(), name);
  }

  /** A (new) session: put it back in the rooms the user had, with the name the user chose. */
  async function resync(): Promise<void> {
    const chosen = connection.chosenName();
    // The name goes first: the hub may answer a join after later requests, and its member list
    // should already carry the name.
    const jobs: Promise<unknown>[] = [connection.pollStats()];
    if (chosen !== null) jobs.push(setName(chosen));
    jobs.push(...rooms.resync());
    for (const result of await Promise.allSettled(jobs)) {
      if (result.status === "rejected") console.warn("Resyncing after connect:", result.reason);
    }
  }

  if (client !== null) {
    const on = <E extends keyof Events>(event: E, fn: (data: Events[E]) => void) =>
      cleanups.push(client.on(event, (data) => batch(() => fn(data))));

    on("welcome", (welcome) => {
      if (connection.welcome(welcome)) {
        rooms.sessionReplaced(welcome.name);
        dms.dispatch({ type: "session_replaced" });
      }
      void resync(); // settles every job and warns of each failure; never rejects
    });
    on("heartbeat", connection.heartbeat);
    on("presence", (p) => {
      if (rooms.presence(p) && p.room === LOBBY) connection.lobbyPresence(p.action);
    });
    on("renamed", (r) => {
      rooms.renamed(r);
      dms.dispatch({ type: "renamed", peer: r.sessionId, name: r.name });
    });
    on("chat", rooms.chat);
    for (const type of DM_EVENTS) on(type, (data) => dms.receive(type, data));

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
      "refreshRooms",
      "say",
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
    ...randoms,
    setName,
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
