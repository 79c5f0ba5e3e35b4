/**
 * What callers can configure: the client's options with their defaults, and the argument list
 * of a typed request.
 *
 * @module
 */

import type { RequestData, RequestType } from "../protocol/mod.ts";
import { type BackoffOptions, checkBackoff } from "./backoff.ts";
import { systemTimers, type Timers } from "./timers.ts";

/** Options for `HubClient`. */
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
  /**
   * A token from an earlier session's welcome (`resumeToken`), sent with the first connection to
   * continue that session, e.g. after a page reload (keep `client.resumeToken` in
   * `sessionStorage`). Later connections use the token of the latest welcome. Missing or `""`:
   * the first connection starts a new session.
   */
  resumeToken?: string;
  /**
   * Fetches a connection token (a JWT from the application's backend) for a server with
   * `AUTH_MODE` set. Called before every connection attempt, first, reconnect and resume alike,
   * whose URL then carries it as `?token=`; and when the server says the token is about to expire
   * (`token_expiring`), after which the client sends `refresh` with the new one by itself. A
   * rejection counts as a failed attempt, retried with backoff.
   */
  getToken?: () => string | Promise<string>;
  /** The `WebSocket` constructor to use; defaults to the global one. */
  WebSocket?: typeof WebSocket;
  /**
   * The timer functions for reconnect delays, request timeouts and the watchdog; defaults to the
   * global ones. Tests pass a fake clock.
   */
  timers?: Timers;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides `ClientOptions.requestTimeoutMs`; `Infinity` waits forever. */
  timeoutMs?: number;
}

/** Request types whose `data` may be left out because it has no required field. */
export type DataArgs<T extends RequestType> = Record<never, never> extends RequestData<T>
  ? [data?: RequestData<T>]
  : [data: RequestData<T>];

/** `data` (required when the request type has required fields), then options. */
export type RequestArgs<T extends RequestType> = [...DataArgs<T>, options?: RequestOptions];

/** {@linkcode ClientOptions} with every default filled in. */
export interface Settings {
  requestTimeoutMs: number;
  reconnect: boolean;
  backoff: BackoffOptions;
  maxRetries: number;
  watchdog: boolean;
  headers: Record<string, string> | undefined;
  /** `undefined` rather than `""` when there is none. */
  resumeToken: string | undefined;
  getToken: (() => string | Promise<string>) | undefined;
  WebSocket: typeof WebSocket;
  timers: Timers;
}

/**
 * Fills in the defaults.
 *
 * @throws {RangeError} unless `0 <= minDelayMs <= maxDelayMs`.
 */
export function resolveOptions(options: ClientOptions): Settings {
  const backoff = {
    minDelayMs: options.minDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 10_000,
  };
  checkBackoff(backoff);
  return {
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    reconnect: options.reconnect ?? true,
    backoff,
    maxRetries: options.maxRetries ?? Infinity,
    watchdog: options.watchdog ?? true,
    headers: options.headers,
    // `||`: a page may hand over what `sessionStorage.getItem` gave it, `null` or `""` included.
    resumeToken: options.resumeToken || undefined,
    getToken: options.getToken,
    WebSocket: options.WebSocket ?? globalThis.WebSocket,
    timers: options.timers ?? systemTimers,
  };
}
