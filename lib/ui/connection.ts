/**
 * The connection slice of the store: connection state, the session and its display name, the
 * local and server clocks, ping, the last heartbeat, the clients count and how many reconnects
 * replaced the session.
 *
 * @module
 */

import { batch, type ReadonlySignal, signal } from "@preact/signals";
import type { ConnectionState, HubClient } from "../client/mod.ts";
import { type Events, LIMITS } from "../protocol/mod.ts";
import { quietly, type Request } from "./requests.ts";

/** The last heartbeat: when it arrived (local clock) and what it said. */
export interface Heartbeat {
  at: number;
  text: string;
  serverTime: number;
}

/**
 * What a welcome means for the page:
 *
 * - `first`: the page's first session, a new one;
 * - `restored`: the page's first welcome continues an earlier session (the tab was reloaded and
 *   its resume token still worked);
 * - `resumed`: the page's session goes on after a drop;
 * - `replaced`: a new session replaces the page's (the resume failed, or resume is off).
 */
export type WelcomeKind = "first" | "restored" | "resumed" | "replaced";

/** What the islands read and call. */
export interface ConnectionView {
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
  /** How many new sessions replaced a dropped one (resumed ones do not count). */
  readonly reconnects: ReadonlySignal<number>;
  reconnect(): void;
}

/** The slice: the view, plus what the store feeds it. */
export interface ConnectionSlice extends ConnectionView {
  /** Our session id, or "" before the first welcome. */
  me(): string;
  /** The name the user chose, to re-apply after a reconnect; null until they chose one. */
  chosenName(): string | null;
  /** Takes back the chosen name after a reload of the page, which resumed the session. */
  restoreChosenName(name: string | null): void;
  /** Checks and sets our display name; resolves with the name the hub took. */
  setName(name: string): Promise<string>;
  /** Takes a welcome; returns what it means for the page. */
  welcome(welcome: Events["welcome"]): WelcomeKind;
  heartbeat(beat: Events["heartbeat"]): void;
  /** Takes a connection state; returns the one before. */
  stateChanged(next: ConnectionState): ConnectionState;
  /**
   * The lobby's connected members changed by `delta` (a join or a member back: +1; a leave or a
   * member away: -1): the best hint of the count between polls.
   */
  lobbyPresence(delta: number): void;
  /** Measures ping and the clock offset, and counts the clients; only while connected. */
  pollStats(): Promise<void>;
  dispose(): void;
}

/** What the slice needs, besides the client. */
export interface ConnectionDeps {
  request: Request;
  /** How often `num_clients` and `ping` are sent while connected, in ms. Default 5,000. */
  pollMs?: number;
  /** How often `now` ticks, in ms. Default 1,000. */
  tickMs?: number;
}

export function createConnection(
  client: HubClient | null,
  deps: ConnectionDeps,
): ConnectionSlice {
  const { request } = deps;
  const state = signal<ConnectionState>("connecting");
  const session = signal<Events["welcome"] | null>(null);
  const name = signal("");
  const now = signal(Date.now());
  const clockOffset = signal<number | null>(null);
  const clients = signal<number | null>(null);
  const pingMs = signal<number | null>(null);
  const lastHeartbeat = signal<Heartbeat | null>(null);
  const reconnects = signal(0);
  let chosen: string | null = null;

  async function pollStats(): Promise<void> {
    if (state.value !== "connected") return;
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

  const timers: ReturnType<typeof setInterval>[] = [];
  if (client !== null) {
    timers.push(setInterval(() => now.value = Date.now(), deps.tickMs ?? 1000));
    timers.push(setInterval(() => quietly(pollStats()), deps.pollMs ?? 5000));
  }

  return {
    state,
    session,
    name,
    now,
    clockOffset,
    clients,
    pingMs,
    lastHeartbeat,
    reconnects,
    reconnect: () => client?.reconnect(),
    me: () => session.value?.sessionId ?? "",
    chosenName: () => chosen,
    restoreChosenName(name) {
      chosen = name;
    },
    pollStats,

    async setName(newName) {
      const wanted = newName.trim();
      if (wanted.length < LIMITS.minNameLength || wanted.length > LIMITS.maxNameLength) {
        throw new Error(
          `A name is ${LIMITS.minNameLength} to ${LIMITS.maxNameLength} characters.`,
        );
      }
      const reply = await request("set_name", { name: wanted });
      chosen = reply.name;
      name.value = reply.name;
      return reply.name;
    },

    welcome(welcome) {
      const previous = session.value;
      const kind: WelcomeKind = previous === null
        ? (welcome.resumed ? "restored" : "first")
        : (previous.sessionId === welcome.sessionId ? "resumed" : "replaced");
      const replaced = kind === "replaced";
      batch(() => {
        session.value = welcome;
        name.value = welcome.name;
        clockOffset.value = welcome.serverTime - Date.now();
        lastHeartbeat.value = null;
        if (replaced) reconnects.value++;
      });
      return kind;
    },

    heartbeat(beat) {
      batch(() => {
        lastHeartbeat.value = { at: Date.now(), text: beat.text, serverTime: beat.serverTime };
        if (clockOffset.value === null) clockOffset.value = beat.serverTime - Date.now();
      });
    },

    stateChanged(next) {
      const was = state.value;
      batch(() => {
        state.value = next;
        if (next !== "connected") pingMs.value = null;
      });
      return was;
    },

    lobbyPresence(delta) {
      if (clients.value !== null && delta !== 0) {
        clients.value = Math.max(1, clients.value + delta);
      }
    },

    dispose() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
  };
}
