/**
 * Keeps one socket to the hub: opens it, notices when it ends (its close event, the heartbeat
 * watchdog, the browser going offline), and decides whether and when to try again. It owns the
 * {@linkcode ConnectionState}; what travels over the socket is `HubClient`'s business.
 *
 * Two seams are kept single on purpose: {@linkcode Connection} computes the URL of every
 * connection attempt in one method, and every way a socket ends goes through one drop handler,
 * the only code that decides anything from a close code.
 *
 * @module
 */

import type { Events } from "../protocol/mod.ts";
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
  /** A `ws:` or `wss:` URL. */
  url: string;
  settings: Settings;
  hooks: ConnectionHooks;
}

/** One socket at a time, replaced after each drop until the retry budget runs out. */
export class Connection {
  #url: string;
  #settings: Settings;
  #hooks: ConnectionHooks;
  #ws: WebSocket | null = null;
  #status = new ConnectionStatus("connecting");
  #lastClose: CloseInfo | null = null;
  #retry: RetrySchedule;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog = new Watchdog({
    onSilence: () => this.#endSocket(CloseCode.heartbeatTimeout, "Heartbeat timeout"),
  });
  #draining = new Draining();
  /** `close()` was called: nothing will ever connect again. */
  #closed = false;
  /** The retry budget ran out (or reconnect is off): nothing connects until `reconnect()`. */
  #gaveUp = false;
  /** The browser says there is no network: wait for its `online` event. */
  #networkOffline = false;

  /**
   * Opens the first socket at once, unless the browser reports no network.
   *
   * @throws what the `WebSocket` constructor throws (e.g. `headers` in a browser).
   */
  constructor(options: ConnectionOptions) {
    this.#url = options.url;
    this.#settings = options.settings;
    this.#hooks = options.hooks;
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
    // Opened synchronously so that bad URLs and options throw here.
    this.#ws = this.#open();
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

  /** The client gave up reconnecting and waits for `reconnect()`. */
  get gaveUp(): boolean {
    return this.#gaveUp;
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

  /** The server welcomed the current socket: connected, with a fresh retry budget. */
  welcomed(welcome: Events["welcome"]): void {
    this.#retry.reset();
    if (this.#settings.watchdog) this.#watchdog.start(welcome.heartbeatMs);
    this.#status.set("connected", null);
  }

  /** Connects now if there is no socket, skipping any backoff delay and starting a new budget. */
  reconnect(): void {
    if (this.#closed || this.#ws !== null) return;
    this.#cancelRetry();
    this.#retry.reset();
    this.#gaveUp = false;
    this.#networkOffline = false;
    this.#status.set("reconnecting", this.#lastClose);
    this.#connectNow();
  }

  /** Stops for good; resolves when the last socket has finished closing. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
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

  /** The URL of a connection attempt; every attempt, first or retry, gets it from here. */
  #attemptUrl(): string {
    return this.#url;
  }

  #open(): WebSocket {
    const ws = openSocket(this.#attemptUrl(), this.#settings);
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
    if (this.#closed || this.#ws !== null) return;
    try {
      this.#ws = this.#open();
    } catch (err) {
      console.error("HubClient: cannot open a WebSocket:", err);
      this.#onDrop({ code: CloseCode.abnormal, reason: String(err) });
    }
  };

  #cancelRetry(): void {
    clearTimeout(this.#retryTimer);
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
    this.#hooks.onDrop(close);
    if (this.#closed) return;
    if (this.#networkOffline) return void this.#status.set("offline", close);
    const delay = this.#retry.next();
    if (delay === undefined) {
      this.#gaveUp = true;
      this.#hooks.onStop("disconnected", `gave up reconnecting after close code ${close.code}`);
      return void this.#status.set("offline", close);
    }
    this.#retryTimer = setTimeout(this.#connectNow, delay);
    this.#status.set("reconnecting", close);
  }

  #onNetworkOffline = (): void => {
    if (this.#closed) return;
    this.#networkOffline = true;
    this.#cancelRetry();
    if (this.#ws !== null) this.#endSocket(CloseCode.normal, "Network offline");
    else this.#status.set("offline", this.#lastClose);
  };

  /** Back online: try at once, even if a backoff delay was running or the client gave up. */
  #onNetworkOnline = (): void => {
    this.reconnect();
  };
}
