/**
 * How the store's slices talk to the hub: one typed request function whose failures read well
 * to a person, and the one for an idle store (server rendering), which always refuses.
 *
 * @module
 */

import { type HubClient, type RequestArgs, RequestError } from "../client/mod.ts";
import { LIMITS, type ReplyData, type RequestType } from "../protocol/mod.ts";

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
 * Turns a failed request into an Error whose message a person can read.
 *
 * ```ts
 * import { RequestError } from "../client/mod.ts";
 * readable(new RequestError("timeout", "late")).message;
 * // "The server did not answer in time. Try again."
 * ```
 */
export function readable(err: unknown): Error {
  if (err instanceof RequestError) {
    switch (err.code) {
      case "timeout":
        return new Error("The server did not answer in time. Try again.");
      case "disconnected":
        return new Error("The connection dropped before the server answered.");
      case "closed":
        return new Error("The connection is closed.");
      case "rate_limited":
        return new Error("Slow down: too many messages at once.");
      case "not_found":
        return new Error("No session with that id is online.");
      default:
        return new Error(err.message);
    }
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
    throw new Error(`${what} is at most ${LIMITS.maxTextLength} characters.`);
  }
}
