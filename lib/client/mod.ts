/**
 * A typed client for the hub's WebSocket protocol (see `lib/protocol/mod.ts`).
 *
 * It speaks only web standards (`WebSocket`, timers, `EventTarget`-style listeners), so the same
 * module runs in the browser (islands) and in Deno (load client, tests). It correlates requests
 * with replies, waits for the connection when asked to send early, reconnects by itself with
 * jittered exponential backoff, and notices a silent connection through the server's heartbeat.
 *
 * ```ts ignore
 * import { HubClient } from "./mod.ts";
 *
 * const client = new HubClient("ws://localhost:8000/ws");
 * const welcome = await client.ready();
 * const { members } = await client.request("join", { room: "general" });
 * const off = client.on("chat", (msg) => console.log(msg.name, msg.text));
 * off();
 * await client.close();
 * ```
 *
 * The parts: `connection.ts` keeps a socket up (with `backoff.ts`, `watchdog.ts`, `socket.ts`
 * and `state.ts`), `frames.ts` reads what arrives, `pending.ts` matches replies to requests, and
 * this module puts them together behind the public API.
 *
 * @module
 */

import type { ErrorBody, Events, EventType, ReplyData, RequestType } from "../protocol/mod.ts";
import { Connection } from "./connection.ts";
import { RequestError } from "./errors.ts";
import { decodeFrame } from "./frames.ts";
import { EventListeners, Listeners } from "./listeners.ts";
import {
  type ClientOptions,
  type DataArgs,
  type RequestArgs,
  type RequestOptions,
  resolveOptions,
} from "./options.ts";
import { PendingRequests, Waiters } from "./pending.ts";
import type { CloseInfo, ConnectionState } from "./state.ts";
import { toSocketUrl } from "./url.ts";

export { backoffDelay, type BackoffOptions } from "./backoff.ts";
export { RequestError, type RequestErrorCode } from "./errors.ts";
export type { ClientOptions, RequestArgs, RequestOptions } from "./options.ts";
export type { CloseInfo, ConnectionState } from "./state.ts";

/**
 * A connection to the hub that survives drops.
 *
 * It connects as soon as it is constructed. Every (re)connect is a new server session; `session`
 * holds the latest welcome.
 */
export class HubClient {
  readonly url: string;

  #requestTimeoutMs: number;
  #connection: Connection;
  #session: Events["welcome"] | null = null;
  #pending = new PendingRequests();
  #waiters = new Waiters<Events["welcome"]>();
  #events = new EventListeners();
  #errorListeners = new Listeners<[ErrorBody]>();
  #warnedMalformed = false;

  /**
   * Opens the connection at once.
   *
   * @throws {TypeError} if the URL is not a WebSocket (or HTTP) URL, or if the `WebSocket`
   * constructor rejects the options (e.g. `headers` in a browser).
   * @throws {RangeError} unless `0 <= minDelayMs <= maxDelayMs`.
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.url = toSocketUrl(url);
    const settings = resolveOptions(options);
    this.#requestTimeoutMs = settings.requestTimeoutMs;
    this.#connection = new Connection({
      url: this.url,
      settings,
      hooks: {
        onFrame: (raw) => this.#onFrame(raw),
        // We cannot know whether the server processed what was in flight.
        onDrop: (close) => this.#pending.rejectInFlight(close.code),
        onStop: (code, why) => this.#rejectAll(code, why),
      },
    });
  }

  /** Where the connection stands; see {@linkcode ConnectionState}. */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** The latest welcome (kept after a drop, replaced on reconnect), or `null` before the first. */
  get session(): Events["welcome"] | null {
    return this.#session;
  }

  /** How the last socket ended, or `null` if none has ended yet. */
  get lastClose(): CloseInfo | null {
    return this.#connection.lastClose;
  }

  /** Requests sent or queued that have not been answered, timed out or rejected yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends a request and resolves with the reply's `data`.
   *
   * Before the connection is up (or while reconnecting) the request waits for the next welcome,
   * bounded by its timeout. Rejects with a {@linkcode RequestError}: the server's code for an
   * error reply, `timeout`, `disconnected` or `closed`.
   *
   * ```ts ignore
   * const { rooms } = await client.request("rooms");
   * await client.request("chat", { room: "lobby", text: "hi" }, { timeoutMs: 2000 });
   * ```
   */
  request<T extends RequestType>(type: T, ...args: RequestArgs<T>): Promise<ReplyData<T>>;
  request(type: RequestType, data?: object, options?: RequestOptions): Promise<unknown> {
    const refusal = this.#refusal();
    if (refusal !== undefined) {
      const [code, why] = refusal;
      return Promise.reject(new RequestError(code, `Request "${type}": ${why}`, type));
    }
    const timeoutMs = options?.timeoutMs ?? this.#requestTimeoutMs;
    const reply = this.#pending.add({ type, data, timeoutMs });
    if (this.state === "connected") this.#sendQueued();
    return reply;
  }

  /**
   * Sends a frame without an `id`: the server sends no success reply, and errors arrive at
   * {@linkcode onError}. Returns `false`, dropping the frame, when not connected.
   */
  send<T extends RequestType>(type: T, ...[data]: DataArgs<T>): boolean {
    if (this.state !== "connected") return false;
    return this.#connection.write(JSON.stringify({ type, data }));
  }

  /**
   * Calls `fn` with the `data` of every `event` frame; returns a function that unsubscribes.
   * A listener that throws is reported with `console.error` and does not affect the others.
   */
  on<E extends EventType>(event: E, fn: (data: Events[E]) => void): () => void {
    return this.#events.on(event, fn);
  }

  /**
   * Calls `fn` on every state change (not with the current state). `close` is how the last
   * socket ended when the change was caused by a drop, else `null`.
   */
  onState(fn: (state: ConnectionState, close: CloseInfo | null) => void): () => void {
    return this.#connection.onState(fn);
  }

  /** Calls `fn` with errors the server sent with `id: null` (frames without id, bad frames). */
  onError(fn: (err: ErrorBody) => void): () => void {
    return this.#errorListeners.add(fn);
  }

  /**
   * Resolves with the welcome of the current connection, or of the next one. Rejects with
   * `closed` after `close()`, and with `disconnected` when the client gives up reconnecting.
   */
  ready(): Promise<Events["welcome"]> {
    if (this.state === "connected" && this.#session !== null) {
      return Promise.resolve(this.#session);
    }
    const refusal = this.#refusal();
    if (refusal !== undefined) {
      const [code, why] = refusal;
      return Promise.reject(new RequestError(code, capitalize(why)));
    }
    return this.#waiters.wait();
  }

  /**
   * Connects now if there is no socket: skips a pending backoff delay, and after the client
   * gave up (state `offline`) starts again with a fresh retry budget. No-op after `close()` or
   * while a socket is open or opening.
   */
  reconnect(): void {
    this.#connection.reconnect();
  }

  /**
   * Stops for good: state `offline`, no more reconnects, pending requests and `ready()` reject
   * with `closed`. The returned promise resolves when the socket has finished closing (awaiting
   * it is optional; tests do, so that no socket outlives them).
   */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Why new requests fail at once: after `close()`, or once the client gave up. */
  #refusal(): ["closed" | "disconnected", string] | undefined {
    if (this.#connection.closed) return ["closed", "client closed"];
    if (this.#connection.gaveUp) return ["disconnected", "client gave up reconnecting"];
    return undefined;
  }

  #sendQueued(): void {
    for (const text of this.#pending.takeQueued()) this.#connection.write(text);
  }

  #onFrame(raw: unknown): void {
    const frame = decodeFrame(raw);
    switch (frame.kind) {
      case "malformed":
        return this.#malformed(frame.what);
      case "reply":
        if (this.#pending.settle(frame.id, frame.outcome) && frame.outcome === undefined) {
          this.#malformed("a reply without ok and data or error");
        }
        return;
      case "error":
        return this.#errorListeners.emit(frame.error);
      case "welcome":
        this.#onWelcome(frame.data);
        return this.#events.emit("welcome", frame.data);
      case "event":
        return this.#events.emit(frame.type, frame.data);
    }
  }

  #onWelcome(welcome: Events["welcome"]): void {
    this.#session = welcome;
    // Requests that waited for the connection go first, in the order they were made.
    this.#sendQueued();
    this.#connection.welcomed(welcome);
    this.#waiters.resolveAll(welcome);
  }

  #rejectAll(code: "closed" | "disconnected", why: string): void {
    this.#pending.rejectAll(code, why);
    const message = capitalize(why);
    this.#waiters.rejectAll(() => new RequestError(code, message));
  }

  #malformed(what: string): void {
    if (this.#warnedMalformed) return;
    this.#warnedMalformed = true;
    console.warn(
      `HubClient: ignoring ${what} from ${this.url} (further ones are ignored silently)`,
    );
  }
}

function capitalize(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
