/**
 * A typed client for the hub's WebSocket protocol (see `lib/protocol/mod.ts`).
 *
 * It speaks only web standards (`WebSocket`, timers, `EventTarget`-style listeners), so the same
 * module runs in the browser (islands) and in Deno (load client, tests). It correlates requests
 * with replies, waits for the connection when asked to send early, reconnects by itself with
 * jittered exponential backoff, resumes its session when it reconnects (see "Resume" in
 * `docs/protocol.md`), and notices a silent connection through the server's heartbeat.
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
 * A page that wants a reload to continue its session keeps the token across loads:
 *
 * ```ts ignore
 * const client = new HubClient("/ws", {
 *   resumeToken: sessionStorage.getItem("hub-resume") ?? undefined,
 * });
 * client.on("welcome", () => sessionStorage.setItem("hub-resume", client.resumeToken ?? ""));
 * ```
 *
 * On a server with `AUTH_MODE` set, `getToken` fetches a token from the application's backend for
 * every connection, and again when the server warns it is about to expire (the client then sends
 * `refresh` by itself):
 *
 * ```ts ignore
 * const client = new HubClient("/ws", {
 *   getToken: async () => (await fetch("/my-app/hub-token")).text(),
 * });
 * ```
 *
 * The parts: `connection.ts` keeps a socket up (with `backoff.ts`, `watchdog.ts`, `socket.ts`
 * and `state.ts`), `frames.ts` reads what arrives, `pending.ts` matches replies to requests, and
 * this module puts them together behind the public API.
 *
 * It runs a little past 300 lines because it is the public API: every method carries the doc
 * comment and example a user reads; the work is done in the modules it puts together.
 *
 * @module
 */

import type { ErrorBody, Events, EventType, ReplyData, RequestType } from "../protocol/mod.ts";
import { Connection } from "./connection.ts";
import { RequestError } from "./errors.ts";
import { decodeFrame } from "./frames.ts";
import { ChatOrder } from "./chat_order.ts";
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
export type { Timers } from "./timers.ts";

/**
 * A connection to the hub that survives drops.
 *
 * It connects as soon as it is constructed. Each reconnect asks to resume the session with the
 * token of the latest welcome, so rooms, conversations and the events missed in between survive
 * a drop; `resumed` says whether the server resumed it (a session that stayed away too long
 * starts anew). `session` holds the latest welcome.
 *
 * Close codes with a meaning for the client: after **1012** (the server restarts) the first
 * reconnect attempt goes out at once instead of after a backoff delay. After **4009** (another
 * connection resumed this session, e.g. the page's tab was duplicated along with its stored
 * token) it does not reconnect, which would take the session back and start a tug of war: the
 * state turns `offline`, `lastClose.code` is 4009, `ready()` and requests reject with
 * `disconnected`, and `resumeToken` is `undefined`. `reconnect()` then starts a new session.
 */
export class HubClient {
  readonly url: string;

  #requestTimeoutMs: number;
  #getToken: (() => string | Promise<string>) | undefined;
  #connection: Connection;
  #session: Events["welcome"] | null = null;
  #pending: PendingRequests;
  #waiters = new Waiters<Events["welcome"]>();
  #events = new EventListeners();
  #errorListeners = new Listeners<[ErrorBody]>();
  #warnedMalformed = false;
  /** Chat already delivered, so a replay that repeats one is not passed on twice. */
  readonly #chats = new ChatOrder();

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
    this.#getToken = settings.getToken;
    this.#pending = new PendingRequests(settings.timers);
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

  /**
   * Whether the latest welcome continued an earlier session (`true`) or started a new one
   * (`false`); `null` before the first welcome. A page can tell its user that what happened
   * while it was away was lost when a reconnect comes back `false`.
   */
  get resumed(): boolean | null {
    return this.#session === null ? null : this.#session.resumed === true;
  }

  /**
   * The token that continues this session: from the latest welcome, or the `resumeToken` option
   * before the first. Each welcome brings a new one and the previous one stops working, so store
   * it again after every welcome. `undefined` when there is none: the server has resume off,
   * after `close()` (which ended the session), or after a 4009 (another connection holds the
   * session now).
   */
  get resumeToken(): string | undefined {
    return this.#connection.resumeToken;
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
   * socket ended when the change was caused by a drop, else `null`. When the state turns
   * `connected`, `session`, `resumed` and `resumeToken` already describe the new welcome.
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
   * while a socket is open or opening. After a 4009 there is no token left, so this starts a new
   * session rather than taking the old one back.
   */
  reconnect(): void {
    this.#connection.reconnect();
  }

  /**
   * Stops for good: state `offline`, no more reconnects, pending requests and `ready()` reject
   * with `closed`. The returned promise resolves when the socket has finished closing (awaiting
   * it is optional; tests do, so that no socket outlives them).
   *
   * It closes the socket with **1000**, which tells the server the session is over: it ends at
   * once (its rooms see it leave), cannot be resumed, and `resumeToken` turns `undefined`. A page
   * that wants a reload to resume should therefore not call this on unload; the browser's own
   * close when leaving a page (1001) keeps the session resumable.
   */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Why new requests fail at once: after `close()`, or once the client gave up. */
  #refusal(): ["closed" | "disconnected", string] | undefined {
    if (this.#connection.closed) return ["closed", "client closed"];
    if (this.#connection.replaced) {
      return ["disconnected", "connection replaced: another connection resumed this session"];
    }
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
        if (frame.type === "chat" && !this.#chats.admit(frame.data as Events["chat"])) return;
        if (frame.type === "token_expiring") void this.#refreshToken();
        return this.#events.emit(frame.type, frame.data);
    }
  }

  /**
   * Answers `token_expiring` with a fresh token from `getToken`. A refusal is only logged: the
   * session then ends at its token's `exp` (4001), and the client starts a new one at once.
   */
  async #refreshToken(): Promise<void> {
    if (!this.#getToken) return;
    try {
      await this.request("refresh", { token: await this.#getToken() });
    } catch (err) {
      console.warn("HubClient: the token could not be refreshed:", err);
    }
  }

  #onWelcome(welcome: Events["welcome"]): void {
    if (welcome.sessionId !== this.#session?.sessionId) this.#chats.clear();
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
