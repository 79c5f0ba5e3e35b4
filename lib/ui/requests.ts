/**
 * How the store's slices talk to the hub: one typed request function whose failures read well
 * to a person, and the one for an idle store (server rendering), which always refuses.
 *
 * @module
 */

import {
  type HubClient,
  type RequestArgs,
  RequestError,
  type RequestErrorCode,
} from "../client/mod.ts";
import { LIMITS, type ReplyData, type RequestType } from "../protocol/mod.ts";
import { errorText } from "./error_text.ts";

/** Sends a request and resolves with its reply; rejects with an Error a person can read. */
export type Request = <T extends RequestType>(
  type: T,
  ...args: RequestArgs<T>
) => Promise<ReplyData<T>>;

/**
 * The request function for `client`, or for no client at all (it rejects "Not connected yet.").
 *
 * ```ts ignore
 * const request = requester(client);
 * const { rooms } = await request("rooms");
 * ```
 */
export function requester(client: HubClient | null): Request {
  return async (type, ...args) => {
    if (client === null) throw new Error("Not connected yet.");
    try {
      return await client.request(type, ...args);
    } catch (err) {
      throw readable(err);
    }
  };
}

/**
 * A failed request, said for a person: `message` is the sentence to show, and `code` the hub's
 * or the client's code, for the page to act on (e.g. `unknown_type`: a request this hub lacks).
 */
export class HubError extends Error {
  override name = "HubError";
  readonly code: RequestErrorCode;

  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Turns a failed request into an Error whose message a person can read (see `error_text.ts`).
 *
 * ```ts
 * import { RequestError } from "../client/mod.ts";
 * readable(new RequestError("timeout", "late")).message;
 * // "The server did not answer in time. Try again."
 * ```
 */
export function readable(err: unknown): Error {
  if (err instanceof RequestError) {
    return new HubError(err.code, errorText(err.requestType, err.code, err.message));
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Lets a request fail silently: for those whose failure only matters to the next poll. */
export function quietly(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

/**
 * Refuses, with a readable Error, a text the server would refuse: empty (unless `allowEmpty`) or
 * longer than the protocol allows.
 *
 * ```ts
 * checkText("hello"); // passes; "" or 4,001 characters throw
 * ```
 */
export function checkText(text: string, { what = "A message", allowEmpty = false } = {}): void {
  if (!allowEmpty && text.trim() === "") throw new Error("Type a message first.");
  if (text.length > LIMITS.maxTextLength) {
    throw new Error(`${what} is at most ${LIMITS.maxTextLength.toLocaleString("en")} characters.`);
  }
}
