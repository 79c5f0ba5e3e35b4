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
 * @module
 */

import type {
  ErrorBody,
  ErrorCode,
  Events,
  EventType,
  ReplyData,
  RequestData,
  RequestType,
} from "../protocol/mod.ts";

/**
 * Where the connection stands.
 *
 * `connecting` only before the first welcome; `connected` once a welcome arrived on the current
 * socket; `reconnecting` while a new socket is awaited after a drop; `offline` after `close()`,
 * when retries are exhausted, or while the browser reports no network.
 */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

/** How a socket ended, as reported by its `close` event (or by the client when it gave up on it). */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Why a request failed: a server error code, or one of the client's own. */
export type RequestErrorCode = ErrorCode | "timeout" | "disconnected" | "closed";

/**
 * A request that did not succeed.
 *
 * `code` is the server's error code for an `ok: false` reply, or `timeout` (no reply in time; a
 * later reply is ignored), `disconnected` (the socket dropped with the request in flight, or the
 * client gave up reconnecting; the server may or may not have processed it) or `closed`
 * (`close()` was called).
 */
export class RequestError extends Error {
  override name = "RequestError";
  /** The server's error code, or `timeout`, `disconnected` or `closed`. */
  readonly code: RequestErrorCode;
  /** The request type that failed, e.g. `join`; empty for `ready()`. */
  readonly requestType: string;

  constructor(code: RequestErrorCode, message: string, requestType = "") {
    super(message);
    this.code = code;
    this.requestType = requestType;
  }
}

/** Options for {@linkcode HubClient}. */
export interface ClientOptions {
  /** Default time a request may wait for its reply, including time spent waiting to connect. */
  requestTimeoutMs?: number;
  /** Reconnect after the socket drops. Default `true`. */
  reconnect?: boolean;
  /** Smallest delay before a reconnect attempt. Default 250. */
  minDelayMs?: number;
  /** Largest delay before a reconnect attempt. Default 10,000. */
  maxDelayMs?: number;
  /** Consecutive failed reconnect attempts before giving up (state `offline`). Default `Infinity`. */
  maxRetries?: number;
  /**
   * Close and reconnect when no frame at all (not even a heartbeat) arrived for two of the
   * server's heartbeat intervals (`welcome.heartbeatMs`). Default `true`.
   */
  watchdog?: boolean;
  /**
   * Handshake headers, e.g. `Origin`. Deno only: passed as `new WebSocket(url, { headers })`.
   * Browsers do not allow this and the constructor throws.
   */
  headers?: Record<string, string>;
  /** The `WebSocket` constructor to use; defaults to the global one. */
  WebSocket?: typeof WebSocket;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides `ClientOptions.requestTimeoutMs`; `Infinity` waits forever. */
  timeoutMs?: number;
}

/** Request types whose `data` may be left out because it has no required field. */
type DataArgs<T extends RequestType> = Record<never, never> extends RequestData<T>
  ? [data?: RequestData<T>]
  : [data: RequestData<T>];

/** `data` (required when the request type has required fields), then options. */
export type RequestArgs<T extends RequestType> = [...DataArgs<T>, options?: RequestOptions];

/** The bounds for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before reconnect attempt number `attempt` (0 for the first after a drop): exponential
 * backoff with full jitter, uniform between `minDelayMs` and a ceiling that doubles with each
 * attempt (`2 * minDelayMs` for attempt 0) until it reaches `maxDelayMs`.
 *
 * ```ts
 * backoffDelay(0, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 1); // 500
 * backoffDelay(9, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 1); // 10000
 * backoffDelay(9, { minDelayMs: 250, maxDelayMs: 10_000 }, () => 0); // 250
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { minDelayMs: min, maxDelayMs: max } = options;
  const ceiling = Math.min(max, Math.max(min, 1) * 2 ** (Math.max(0, attempt) + 1));
  return min + random() * (Math.max(ceiling, min) - min);
}

interface Pending {
  type: string;
  resolve: (data: unknown) => void;
  reject: (err: RequestError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The serialized frame while it waits for a connection; `undefined` once sent. */
  text: string | undefined;
}

interface Waiter {
  resolve: (welcome: Events["welcome"]) => void;
  reject: (err: RequestError) => void;
}

type Listener = (data: never) => void;
type StateListener = (state: ConnectionState, close: CloseInfo | null) => void;

const WATCHDOG_CODE = 4000;
/** Longer timer delays overflow and fire at once; treat them as "no timeout". */
const MAX_TIMER_MS = 0x7fffffff;
const CLOSED = 3;

function callSafely<A, B>(fn: (a: A, b: B) => void, a: A, b: B): void {
  try {
    fn(a, b);
  } catch (err) {
    console.error("HubClient: a listener threw:", err);
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === "object" && value !== null &&
    typeof (value as ErrorBody).code === "string" &&
    typeof (value as ErrorBody).message === "string";
}

function isWelcome(value: unknown): value is Events["welcome"] {
  const w = value as Events["welcome"];
  return typeof w.sessionId === "string" && typeof w.heartbeatMs === "number";
}

/** Turns `http(s)` into `ws(s)` and resolves relative URLs against the page, if any. */
function toSocketUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const parsed = new URL(url, base);
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new TypeError(`HubClient needs a ws:, wss:, http: or https: URL, got "${parsed.href}"`);
  }
  return parsed.href;
}

/**
 * A connection to the hub that survives drops.
 *
 * It connects as soon as it is constructed. Every (re)connect is a new server session; `session`
 * holds the latest welcome.
 */
export class HubClient {
  readonly url: string;

  #socketCtor: typeof WebSocket;
  #headers: Record<string, string> | undefined;
  #timeoutMs: number;
  #reconnect: boolean;
  #backoff: BackoffOptions;
  #maxRetries: number;
  #watchdogEnabled: boolean;

  #ws: WebSocket | null = null;
  #state: ConnectionState = "connecting";
  #session: Events["welcome"] | null = null;
  #lastClose: CloseInfo | null = null;
  #nextId = 0;
  #pending = new Map<number, Pending>();
  #waiters: Waiter[] = [];
  #listeners = new Map<string, Set<Listener>>();
  #stateListeners = new Set<StateListener>();
  #errorListeners = new Set<(err: ErrorBody) => void>();

  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdogTimer: ReturnType<typeof setInterval> | undefined;
  #seenFrame = false;
  #missedBeats = 0;
  /** `close()` was called: nothing will ever connect again. */
  #closed = false;
  /** The retry budget ran out (or reconnect is off): nothing connects until `reconnect()`. */
  #gaveUp = false;
  /** The browser says there is no network: wait for its `online` event. */
  #networkOffline = false;
  #warnedMalformed = false;
  /** Sockets we abandoned whose close handshake has not finished yet. */
  #draining = new Set<Promise<void>>();

  /**
   * Opens the connection at once.
   *
   * @throws {TypeError} if the URL is not a WebSocket (or HTTP) URL, or if the `WebSocket`
   * constructor rejects the options (e.g. `headers` in a browser).
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.url = toSocketUrl(url);
    this.#socketCtor = options.WebSocket ?? globalThis.WebSocket;
    this.#headers = options.headers;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#reconnect = options.reconnect ?? true;
    this.#backoff = {
      minDelayMs: options.minDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 10_000,
    };
    if (!(this.#backoff.minDelayMs >= 0 && this.#backoff.minDelayMs <= this.#backoff.maxDelayMs)) {
      throw new RangeError(
        `HubClient needs 0 <= minDelayMs <= maxDelayMs, got ${this.#backoff.minDelayMs} and ${this.#backoff.maxDelayMs}`,
      );
    }
    this.#maxRetries = options.maxRetries ?? Infinity;
    this.#watchdogEnabled = options.watchdog ?? true;

    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("offline", this.#onNetworkOffline);
      globalThis.addEventListener("online", this.#onNetworkOnline);
    }
    if (globalThis.navigator?.onLine === false) {
      this.#networkOffline = true;
      this.#state = "offline";
      return;
    }
    // The first socket is opened synchronously so that bad URLs and options throw here.
    this.#ws = this.#open();
  }

  /** Where the connection stands; see {@linkcode ConnectionState}. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The latest welcome (kept after a drop, replaced on reconnect), or `null` before the first. */
  get session(): Events["welcome"] | null {
    return this.#session;
  }

  /** How the last socket ended, or `null` if none has ended yet. */
  get lastClose(): CloseInfo | null {
    return this.#lastClose;
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
    if (this.#closed) {
      return Promise.reject(new RequestError("closed", `Request "${type}": client closed`, type));
    }
    if (this.#gaveUp) {
      return Promise.reject(
        new RequestError("disconnected", `Request "${type}": client gave up reconnecting`, type),
      );
    }
    const id = ++this.#nextId;
    const text = JSON.stringify({ type, id, data });
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs <= MAX_TIMER_MS
        ? setTimeout(this.#onTimeout, timeoutMs, id, timeoutMs)
        : undefined;
      const entry: Pending = { type, resolve, reject, timer, text };
      this.#pending.set(id, entry);
      if (this.#state === "connected") {
        entry.text = undefined;
        this.#write(text);
      }
    });
  }

  /**
   * Sends a frame without an `id`: the server sends no success reply, and errors arrive at
   * {@linkcode onError}. Returns `false`, dropping the frame, when not connected.
   */
  send<T extends RequestType>(type: T, ...[data]: DataArgs<T>): boolean {
    if (this.#state !== "connected") return false;
    return this.#write(JSON.stringify({ type, data }));
  }

  /**
   * Calls `fn` with the `data` of every `event` frame; returns a function that unsubscribes.
   * A listener that throws is reported with `console.error` and does not affect the others.
   */
  on<E extends EventType>(event: E, fn: (data: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, set = new Set());
    const listener = fn as Listener;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Calls `fn` on every state change (not with the current state). `close` is how the last
   * socket ended when the change was caused by a drop, else `null`.
   */
  onState(fn: (state: ConnectionState, close: CloseInfo | null) => void): () => void {
    this.#stateListeners.add(fn);
    return () => {
      this.#stateListeners.delete(fn);
    };
  }

  /** Calls `fn` with errors the server sent with `id: null` (frames without id, bad frames). */
  onError(fn: (err: ErrorBody) => void): () => void {
    this.#errorListeners.add(fn);
    return () => {
      this.#errorListeners.delete(fn);
    };
  }

  /**
   * Resolves with the welcome of the current connection, or of the next one. Rejects with
   * `closed` after `close()`, and with `disconnected` when the client gives up reconnecting.
   */
  ready(): Promise<Events["welcome"]> {
    if (this.#state === "connected" && this.#session !== null) {
      return Promise.resolve(this.#session);
    }
    if (this.#closed) return Promise.reject(new RequestError("closed", "Client closed"));
    if (this.#gaveUp) {
      return Promise.reject(new RequestError("disconnected", "Client gave up reconnecting"));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Connects now if there is no socket: skips a pending backoff delay, and after the client
   * gave up (state `offline`) starts again with a fresh retry budget. No-op after `close()` or
   * while a socket is open or opening.
   */
  reconnect(): void {
    if (this.#closed || this.#ws !== null) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#attempt = 0;
    this.#gaveUp = false;
    this.#networkOffline = false;
    this.#setState("reconnecting", this.#lastClose);
    this.#connectNow();
  }

  /**
   * Stops for good: state `offline`, no more reconnects, pending requests and `ready()` reject
   * with `closed`. The returned promise resolves when the socket has finished closing (awaiting
   * it is optional; tests do, so that no socket outlives them).
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#stopWatchdog();
      if (typeof globalThis.removeEventListener === "function") {
        globalThis.removeEventListener("offline", this.#onNetworkOffline);
        globalThis.removeEventListener("online", this.#onNetworkOnline);
      }
      this.#abandon(1000, "Client closed");
      this.#rejectAll("closed", "client closed");
      this.#setState("offline", null);
    }
    return Promise.all(this.#draining).then(() => {});
  }

  // ---- internals -------------------------------------------------------------------------

  #open(): WebSocket {
    const Ctor = this.#socketCtor;
    const ws = this.#headers === undefined
      ? new Ctor(this.url)
      // Deno's non-standard WebSocketOptions; the DOM typing only knows protocols.
      : new Ctor(this.url, { headers: this.#headers } as unknown as string[]);
    this.#seenFrame = false;
    ws.onmessage = (ev) => {
      if (this.#ws === ws) this.#onFrame(ev.data);
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
      this.#onDrop({ code: 1006, reason: String(err) });
    }
  };

  /** Detaches the current socket and closes it; its close handshake finishes in the background. */
  #abandon(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === null) return;
    this.#ws = null;
    if (ws.readyState === CLOSED) return;
    const done = new Promise<void>((resolve) => {
      ws.addEventListener("close", () => resolve(), { once: true });
    });
    this.#draining.add(done);
    done.then(() => this.#draining.delete(done));
    try {
      ws.close(code, reason);
    } catch {
      // Already closing: the close event still comes.
    }
  }

  #write(text: string): boolean {
    try {
      this.#ws!.send(text);
      return true;
    } catch {
      // The socket is going away; its close event rejects what was in flight.
      return false;
    }
  }

  #onTimeout = (id: number, timeoutMs: number): void => {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    this.#pending.delete(id);
    entry.reject(
      new RequestError(
        "timeout",
        `Request "${entry.type}" got no reply within ${timeoutMs} ms`,
        entry.type,
      ),
    );
  };

  #onFrame(raw: unknown): void {
    this.#seenFrame = true;
    if (typeof raw !== "string") return this.#malformed("a binary frame");
    let frame: { type?: unknown; id?: unknown; ok?: unknown; data?: unknown; error?: unknown };
    try {
      frame = JSON.parse(raw);
    } catch {
      return this.#malformed("a frame that is not JSON");
    }
    if (typeof frame !== "object" || frame === null) return this.#malformed("a non-object frame");
    const type = frame.type;
    if (type === "reply") return this.#onReply(frame);
    const data = frame.data;
    if (typeof type !== "string" || typeof data !== "object" || data === null) {
      return this.#malformed("an event without a type or data");
    }
    if (type === "welcome") {
      if (!isWelcome(data)) return this.#malformed("a welcome without sessionId or heartbeatMs");
      this.#onWelcome(data);
    }
    const set = this.#listeners.get(type);
    if (set !== undefined) {
      for (const fn of set) callSafely(fn as (d: unknown) => void, data, undefined);
    }
  }

  #onReply(frame: { id?: unknown; ok?: unknown; data?: unknown; error?: unknown }): void {
    const id = frame.id;
    if (id === null) {
      if (frame.ok !== false || !isErrorBody(frame.error)) {
        return this.#malformed("an id:null reply without an error");
      }
      for (const fn of this.#errorListeners) callSafely(fn, frame.error, undefined);
      return;
    }
    // Late replies (after a timeout) and ids that are not ours are ignored.
    const entry = this.#pending.get(id as number);
    if (entry === undefined) return;
    this.#pending.delete(id as number);
    clearTimeout(entry.timer);
    if (frame.ok === true) return entry.resolve(frame.data);
    const error = frame.error;
    if (frame.ok === false && isErrorBody(error)) {
      return entry.reject(new RequestError(error.code, error.message, entry.type));
    }
    this.#malformed("a reply without ok and data or error");
    entry.reject(
      new RequestError("internal", `Request "${entry.type}" got a malformed reply`, entry.type),
    );
  }

  #onWelcome(welcome: Events["welcome"]): void {
    this.#session = welcome;
    this.#attempt = 0;
    this.#startWatchdog(welcome.heartbeatMs);
    // Requests that waited for the connection go first, in the order they were made.
    for (const entry of this.#pending.values()) {
      if (entry.text !== undefined) {
        this.#write(entry.text);
        entry.text = undefined;
      }
    }
    this.#setState("connected", null);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve(welcome);
  }

  /** The current socket is gone (already detached): decide whether and when to try again. */
  #onDrop(close: CloseInfo): void {
    this.#lastClose = close;
    this.#stopWatchdog();
    // We cannot know whether the server processed what was in flight.
    for (const [id, entry] of this.#pending) {
      if (entry.text === undefined) {
        this.#pending.delete(id);
        clearTimeout(entry.timer);
        entry.reject(
          new RequestError(
            "disconnected",
            `Request "${entry.type}" was in flight when the connection dropped (${close.code})`,
            entry.type,
          ),
        );
      }
    }
    if (this.#closed) return;
    if (this.#networkOffline) return this.#setState("offline", close);
    if (!this.#reconnect || this.#attempt >= this.#maxRetries) {
      this.#gaveUp = true;
      this.#rejectAll("disconnected", `gave up reconnecting after close code ${close.code}`);
      return this.#setState("offline", close);
    }
    const delay = backoffDelay(this.#attempt++, this.#backoff);
    this.#retryTimer = setTimeout(this.#connectNow, delay);
    this.#setState("reconnecting", close);
  }

  #rejectAll(code: "closed" | "disconnected", why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.reject(new RequestError(code, `Request "${entry.type}": ${why}`, entry.type));
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    const message = why[0].toUpperCase() + why.slice(1);
    for (const w of waiters) w.reject(new RequestError(code, message));
  }

  #setState(state: ConnectionState, close: CloseInfo | null): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const fn of this.#stateListeners) callSafely(fn, state, close);
  }

  #malformed(what: string): void {
    if (this.#warnedMalformed) return;
    this.#warnedMalformed = true;
    console.warn(
      `HubClient: ignoring ${what} from ${this.url} (further ones are ignored silently)`,
    );
  }

  #startWatchdog(heartbeatMs: number): void {
    this.#stopWatchdog();
    if (!this.#watchdogEnabled || !(heartbeatMs > 0)) return;
    this.#seenFrame = true;
    this.#missedBeats = 0;
    this.#watchdogTimer = setInterval(this.#watchdogTick, heartbeatMs);
  }

  #stopWatchdog(): void {
    clearInterval(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
  }

  /** Two heartbeat intervals without any frame: the connection is presumed dead. */
  #watchdogTick = (): void => {
    if (this.#seenFrame) {
      this.#seenFrame = false;
      this.#missedBeats = 0;
      return;
    }
    if (++this.#missedBeats < 2) return;
    const reason = "Heartbeat timeout";
    this.#abandon(WATCHDOG_CODE, reason);
    this.#onDrop({ code: WATCHDOG_CODE, reason });
  };

  #onNetworkOffline = (): void => {
    if (this.#closed) return;
    this.#networkOffline = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#ws !== null) {
      const reason = "Network offline";
      this.#abandon(1000, reason);
      this.#onDrop({ code: 1000, reason });
    } else {
      this.#setState("offline", this.#lastClose);
    }
  };

  /** Back online: try at once, even if a backoff delay was running or the client gave up. */
  #onNetworkOnline = (): void => {
    this.reconnect();
  };
}
