/**
 * Where the connection stands, and how a socket ended.
 *
 * The transitions, all made by `HubClient`:
 *
 * - `connecting` → `connected` on the first welcome;
 * - `connected` → `reconnecting` when the socket drops and a retry is scheduled;
 * - `reconnecting` → `connected` on the welcome of a new socket;
 * - any → `offline` on `close()`, when the retry budget is spent, when another connection took
 *   the session over (close code 4009), or when the browser reports no network; `offline` →
 *   `reconnecting` on `reconnect()` or the browser's `online` event (but not after 4009).
 *
 * Listeners hear changes only: setting the state it already has is a no-op.
 *
 * @module
 */

import { Listeners } from "./listeners.ts";

/**
 * Where the connection stands.
 *
 * `connecting` only before the first welcome; `connected` once a welcome arrived on the current
 * socket; `reconnecting` while a new socket is awaited after a drop; `offline` after `close()`,
 * when retries are exhausted, once another connection resumed the session (4009), or while the
 * browser reports no network.
 */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

/** How a socket ended, as reported by its `close` event (or by the client when it gave up on it). */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Close codes the client reports for sockets it ends itself (or that never opened). */
export const CloseCode = {
  /** `close()`: the client is done, and the server ends its session. */
  normal: 1000,
  /**
   * The browser went offline. Not 1000, which would end the session should the close reach the
   * server: this one leaves it to be resumed. (Not 4001 either, the server's "token expired".)
   */
  networkOffline: 4002,
  /** The `WebSocket` constructor threw. */
  abnormal: 1006,
  /** No frame at all for two heartbeat intervals. */
  heartbeatTimeout: 4000,
} as const;

/** A listener for {@linkcode ConnectionStatus} changes. */
export type StateListener = (state: ConnectionState, close: CloseInfo | null) => void;

/** The current {@linkcode ConnectionState} and the listeners that hear it change. */
export class ConnectionStatus {
  #state: ConnectionState;
  #listeners = new Listeners<[ConnectionState, CloseInfo | null]>();

  constructor(initial: ConnectionState = "connecting") {
    this.#state = initial;
  }

  /** The current state. */
  get current(): ConnectionState {
    return this.#state;
  }

  /**
   * Moves to `state` and tells the listeners, with `close` when a dropped socket caused it.
   * Returns whether the state changed.
   */
  set(state: ConnectionState, close: CloseInfo | null): boolean {
    if (this.#state === state) return false;
    this.#state = state;
    this.#listeners.emit(state, close);
    return true;
  }

  /** Calls `fn` on every change; returns a function that unsubscribes. */
  onChange(fn: StateListener): () => void {
    return this.#listeners.add(fn);
  }
}
