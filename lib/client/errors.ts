/**
 * The error a failed request or `ready()` rejects with.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/mod.ts";

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
