/**
 * Keeps one socket to the hub: opens it, notices when it ends (its close event, the heartbeat
 * watchdog, the browser going offline), and decides whether and when to try again. It owns the
 * {@linkcode ConnectionState}; what travels over the socket is `HubClient`'s business.
 *
 * Two seams are kept single on purpose: {@linkcode Connection} computes the URL of every
 * connection attempt in one method (which adds the resume token), and every way a socket ends
 * goes through one drop handler, the only code that decides anything from a close code.
 *
 * Resume: every welcome brings a single-use token for continuing the session, and every attempt
 * carries the latest one, so a reconnect continues the session rather than starting a new one.
 * The close codes that matter: 1012 (the server restarts: reconnect at once, to resume elsewhere),
 * 4001 (the token expired and the session with it: a new one at once, with a fresh token), 4005
 * (the user is at its connection limit: stop) and 4009 (another connection resumed this session:
 * stop, or the two would take the session from each other forever).
 *
 * Tokens: with `getToken`, each attempt first fetches a token and carries it as `?token=`.
 *
 * It runs a little past 300 lines because every way a socket can end is decided here, in one place,
 * on purpose (see `#onDrop`).
 *
 * @module
 */

import { CLOSE_CODES, type Events } from "../protocol/mod.ts";
import { RetrySchedule } from "./backoff.ts";
import type { Settings } from "./options.ts";
import { Draining, openSocket } from "./socket.ts";
import {
  CloseCode,
  type CloseInfo,
  type ConnectionState,
  ConnectionStatus,
  type StateListener,
} from "./state.ts";
import type { TimerId, Timers } from "./timers.ts";
import { attemptUrl } from "./url.ts";
import { Watchdog } from "./watchdog.ts";

/** What the owner of a {@linkcode Connection} hears from it. */
export interface ConnectionHooks {
  /** A message arrived on the current socket. */
  onFrame(raw: unknown): void;
  /** The current socket ended; called before the connection decides what to do next. */
  onDrop(close: CloseInfo): void;
  /**
   * The connection stops: after `close()` (`closed`) or when it gives up reconnecting
   * (`disconnected`, until `reconnect()`). Called before the state turns `offline`; `why` is a
   * lower-case phrase for error messages.
   */
  onStop(code: "closed" | "disconnected", why: string): void;
}

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /** A `ws:` or `wss:` URL; its `resume` parameter, if any, is replaced by the client's token. */
  url: string;
  settings: Settings;
  hooks: ConnectionHooks;
}

/** One socket at a time, replaced after each drop until the retry budget runs out. */
export class Connection {
  #url: string;
  #settings: Settings;
  #hooks: ConnectionHooks;
  #timers: Timers;
  #ws: WebSocket | null = null;
  #status = new ConnectionStatus("connecting");
  #lastClose: CloseInfo | null = null;
  #retry: RetrySchedule;
  #retryTimer: TimerId | undefined;
  #watchdog: Watchdog;
  #draining = new Draining();
  /** The latest live resume token; `undefined` when there is none (or resume is off). */
  #resumeToken: string | undefined;
  /** `close()` was called: nothing will ever connect again. */
  #closed = false;
  /**
   * The retry budget ran out, reconnect is off, or the session was taken over (4009): nothing
   * connects until `reconnect()`.
   */
  #gaveUp = false;
  /** The last drop was 4009: the browser's `online` event must not take the session back. */
  #replaced = false;
  /**
   * The last drop was 4003: the application ended the session (the server API's disconnect), and
   * a new session made on its own would undo that.
   */
  #ended = false;
  /** The browser says there is no network: wait for its `online` event. */
  #networkOffline = false;
  /** `getToken()` is being awaited for the next attempt. */
  #fetchingToken = false;

  /**
   * Opens the first socket at once, unless the browser reports no network.
   *
   * @throws what the `WebSocket` constructor throws (e.g. `headers` in a browser).
   */
  constructor(options: ConnectionOptions) {
    this.#url = options.url;
    this.#settings = options.settings;
    this.#hooks = options.hooks;
    this.#timers = options.settings.timers;
    this.#resumeToken = options.settings.resumeToken;
    this.#watchdog = new Watchdog({
      onSilence: () => this.#endSocket(CloseCode.heartbeatTimeout, "Heartbeat timeout"),
      timers: this.#timers,
    });
    const { backoff, reconnect, maxRetries } = options.settings;
    this.#retry = new RetrySchedule({ ...backoff, reconnect, maxRetries });
    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("offline", this.#onNetworkOffline);
      globalThis.addEventListener("online", this.#onNetworkOnline);
    }
    if (globalThis.navigator?.onLine === false) {
      this.#networkOffline = true;
      this.#status.set("offline", null);
      return;
    }
    // Opened synchronously so that bad URLs and options throw here; with a token to fetch first,
    // they surface as a failed attempt.
    if (options.settings.getToken) this.#connectNow();
    else this.#ws = this.#open(undefined);
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#status.current;
  }

  /** How the last socket ended, or `null` if none has ended yet. */
  get lastClose(): CloseInfo | null {
    return this.#lastClose;
  }

  /** `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The client gave up reconnecting (or was replaced) and waits for `reconnect()`. */
  get gaveUp(): boolean {
    return this.#gaveUp;
  }

  /** The last socket was closed with 4009: another connection resumed this session. */
  get replaced(): boolean {
    return this.#replaced;
  }

  /** The token the next attempt will carry, if any. */
  get resumeToken(): string | undefined {
    return this.#resumeToken;
  }

  /** Calls `fn` on every state change; returns a function that unsubscribes. */
  onState(fn: StateListener): () => void {
    return this.#status.onChange(fn);
  }

  /** Sends on the current socket; `false` when there is none or it is going away. */
  write(text: string): boolean {
    try {
      this.#ws!.send(text);
      return true;
    } catch {
      // The socket is going away; its close event rejects what was in flight.
      return false;
    }
  }

  /**
   * The server welcomed the current socket: connected, with a fresh retry budget, and the
   * welcome's token replaces the previous one (which the server no longer accepts).
   */
  welcomed(welcome: Events["welcome"]): void {
    // A server from before resume sends no token at all.
    const token = welcome.resumeToken;
    this.#resumeToken = typeof token === "string" && token !== "" ? token : undefined;
    this.#retry.reset();
    if (this.#settings.watchdog) this.#watchdog.start(welcome.heartbeatMs);
    this.#status.set("connected", null);
  }

  /**
   * Connects now if there is no socket, skipping any backoff delay and starting a new budget.
   * After a 4009 this starts a new session, since the token went with the session.
   */
  reconnect(): void {
    if (this.#closed || this.#ws !== null || this.#fetchingToken) return;
    this.#cancelRetry();
    this.#retry.reset();
    this.#gaveUp = false;
    this.#replaced = false;
    this.#ended = false;
    this.#networkOffline = false;
    this.#status.set("reconnecting", this.#lastClose);
    this.#connectNow();
  }

  /**
   * Stops for good, closing with 1000, which ends the session on the server: the token is
   * dropped too. Resolves when the last socket has finished closing.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#resumeToken = undefined;
      this.#cancelRetry();
      this.#watchdog.stop();
      if (typeof globalThis.removeEventListener === "function") {
        globalThis.removeEventListener("offline", this.#onNetworkOffline);
        globalThis.removeEventListener("online", this.#onNetworkOnline);
      }
      this.#abandon(CloseCode.normal, "Client closed");
      this.#hooks.onStop("closed", "client closed");
      this.#status.set("offline", null);
    }
    return this.#draining.settled();
  }

  /**
   * The URL of a connection attempt; every attempt, first or retry, gets it from here: the
   * client's URL with `resume` set to the latest token, or without `resume` when there is none,
   * and `token` set to what `getToken()` gave for this attempt.
   */
  #attemptUrl(token: string | undefined): string {
    return attemptUrl(this.#url, this.#resumeToken, token);
  }

  #open(token: string | undefined): WebSocket {
    const ws = openSocket(this.#attemptUrl(token), this.#settings);
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      this.#watchdog.sawFrame();
      this.#hooks.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.#ws === ws) {
        this.#ws = null;
        this.#onDrop({ code: ev.code, reason: ev.reason });
      }
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
    return ws;
  }

  #connectNow = (): void => {
    this.#retryTimer = undefined;
    if (this.#closed || this.#ws !== null || this.#fetchingToken) return;
    const getToken = this.#settings.getToken;
    if (!getToken) return this.#openNow(undefined);
    this.#fetchingToken = true;
    Promise.resolve().then(getToken).then(
      (token) => {
        this.#fetchingToken = false;
        if (this.#closed || this.#ws !== null || this.#networkOffline) return;
        this.#openNow(token);
      },
      (err) => {
        this.#fetchingToken = false;
        if (this.#closed || this.#ws !== null || this.#networkOffline) return;
        console.error("HubClient: getToken failed:", err);
        this.#onDrop({ code: CloseCode.abnormal, reason: `getToken failed: ${err}` });
      },
    );
  };

  #openNow(token: string | undefined): void {
    try {
      this.#ws = this.#open(token);
    } catch (err) {
      console.error("HubClient: cannot open a WebSocket:", err);
      this.#onDrop({ code: CloseCode.abnormal, reason: String(err) });
    }
  }

  #cancelRetry(): void {
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Detaches the current socket and closes it; its close handshake finishes in the background. */
  #abandon(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === null) return;
    this.#ws = null;
    this.#draining.close(ws, code, reason);
  }

  /** Ends the current socket from this side, and handles that like any drop. */
  #endSocket(code: number, reason: string): void {
    this.#abandon(code, reason);
    this.#onDrop({ code, reason });
  }

  /** The current socket is gone (already detached): decide whether and when to try again. */
  #onDrop(close: CloseInfo): void {
    this.#lastClose = close;
    this.#watchdog.stop();
    // Another connection resumed the session with our token and got the next one: reconnecting
    // would take the session back from it, and it would do the same, forever.
    const replaced = close.code === CLOSE_CODES.replaced;
    if (replaced) {
      this.#replaced = true;
      this.#resumeToken = undefined;
    }
    this.#ended = close.code === CLOSE_CODES.disconnected;
    // The session ended with its token (4001) or was ended by the application (4003).
    if (this.#ended || close.code === CLOSE_CODES.tokenExpired) this.#resumeToken = undefined;
    this.#hooks.onDrop(close);
    if (this.#closed) return;
    if (replaced) {
      return this.#giveUp(close, "connection replaced: another connection resumed this session");
    }
    if (this.#ended) return this.#giveUp(close, "disconnected by the application");
    // Trying again would only be turned away again, and take a slot when one frees up elsewhere.
    if (close.code === CLOSE_CODES.userLimit) {
      return this.#giveUp(close, "too many connections for this user");
    }
    if (this.#networkOffline) return void this.#status.set("offline", close);
    // A restarting server hands its sessions over: the sooner the client is back, the less it
    // misses, and another node is there to take it.
    // So does a session whose token expired: a new one starts at once, with a fresh token.
    const immediate = close.code === CLOSE_CODES.serviceRestart ||
      close.code === CLOSE_CODES.tokenExpired;
    const delay = this.#retry.next(immediate);
    if (delay === undefined) {
      return this.#giveUp(close, `gave up reconnecting after close code ${close.code}`);
    }
    if (immediate && delay === 0) {
      this.#status.set("reconnecting", close);
      return this.#connectNow();
    }
    this.#retryTimer = this.#timers.setTimeout(this.#connectNow, delay);
    this.#status.set("reconnecting", close);
  }

  /** Nothing connects until `reconnect()`; `why` is a lower-case phrase for error messages. */
  #giveUp(close: CloseInfo, why: string): void {
    this.#gaveUp = true;
    this.#hooks.onStop("disconnected", why);
    this.#status.set("offline", close);
  }

  #onNetworkOffline = (): void => {
    if (this.#closed) return;
    this.#networkOffline = true;
    this.#cancelRetry();
    if (this.#ws !== null) this.#endSocket(CloseCode.networkOffline, "Network offline");
    else this.#status.set("offline", this.#lastClose);
  };

  /**
   * Back online: try at once, even if a backoff delay was running or the client gave up, but not
   * after being replaced or disconnected by the application (only an explicit `reconnect()`
   * starts again then).
   */
  #onNetworkOnline = (): void => {
    if (this.#replaced || this.#ended) return;
    this.reconnect();
  };
}
