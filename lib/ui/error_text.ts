/**
 * What the page says when a request fails: one sentence a person understands for every error code
 * the hub or the client can give, worded for the request that failed. The hub's own messages
 * (`data.to must be a session id (a 26-character ULID)`) are written for programmers; none of them
 * reaches the page as it is. Pure, so `error_text_test.ts` can walk every code and request.
 *
 * @module
 */

import type { RequestErrorCode } from "../client/mod.ts";
import { LIMITS, type RequestType } from "../protocol/mod.ts";

/** What the page says for `code`, the failure of a `type` request; `message` is the hub's. */
export function errorText(
  type: RequestType | string,
  code: RequestErrorCode,
  message = "",
): string {
  switch (code) {
    case "timeout":
      return "The server did not answer in time. Try again.";
    case "disconnected":
      return "The connection dropped before the server answered. Try again when it is back.";
    case "closed":
      return "The connection is closed. Reload the page to connect again.";
    case "rate_limited":
      return "You are sending too fast. Wait a moment, then try again.";
    case "internal":
      return "Something went wrong on the server. Try again in a moment.";
    case "bad_json":
    case "unknown_type":
      return "This page and the server do not understand each other. Reload the page.";
    case "not_member":
      return type === "leave"
        ? "You had already left that room."
        : "You are no longer in that room. Join it again to take part.";
    case "not_found":
      return type === "dm_request"
        ? "Nobody with that session id is online. Check the id, or ask them to open the page."
        : "That person is no longer online.";
    case "not_connected":
      return type === "dm_close"
        ? "This conversation had already ended."
        : "This conversation has ended, so your message was not sent.";
    case "no_request":
      return "That request is no longer waiting: it was withdrawn, or it expired.";
    case "too_many":
      return type === "join"
        ? `You are in ${LIMITS.maxRoomsPerSession} rooms, the most there can be. Leave one first.`
        : `You have ${LIMITS.maxPendingDmRequests} requests waiting for an answer, the most there ` +
          "can be. Withdraw one, or wait for answers.";
    case "unauthorized":
      return "Your sign-in could not be renewed. Reload the page to sign in again.";
    case "forbidden":
      return type === "set_name"
        ? "Your name comes from your account, so it cannot be changed here."
        : "You do not have access to that room.";
    case "bad_request":
      return badRequest(type, message);
  }
}

/** A refusal of what was sent; the hub's message says which field and why. */
function badRequest(type: string, message: string): string {
  if (type === "set_name") return nameProblem(message);
  if (/your own session/.test(message)) return "That is your own session.";
  if (/session id/.test(message)) return NOT_A_SESSION_ID;
  if (/longer than/.test(message)) {
    return `A message is at most ${LIMITS.maxTextLength.toLocaleString("en")} characters.`;
  }
  if (/must not be empty/.test(message)) return "Type a message first.";
  if (type === "join" || type === "leave") return ROOM_NAME_RULE;
  if (type === "history") return "The older messages could not be loaded. Try again.";
  return "The server could not accept that. Check what you typed, then try again.";
}

/** Said of a text that is not a session id. */
export const NOT_A_SESSION_ID =
  "That is not a session id. A session id is 26 letters and digits: ask the other person to copy " +
  "theirs from their connection details.";

/** Said of a room name the hub would refuse. */
export const ROOM_NAME_RULE =
  "A room name is 1 to 64 letters, digits, '_', '.' or '-', with no spaces.";

/**
 * What is wrong with a display name, from the reason the name rules give (`checkName` in
 * `lib/protocol/names.ts`, which the page runs before sending, and the hub after).
 *
 * ```ts
 * nameProblem("data.name must contain at least one visible character");
 * // "A name needs at least one visible character."
 * ```
 */
export function nameProblem(reason: string): string {
  const found = /\(found (U\+[0-9A-F]{4,6})\)/.exec(reason)?.[1];
  const which = found === undefined ? "" : ` (${found})`;
  if (/surrogate/.test(reason)) {
    return "That name has half of an emoji or symbol in it. Remove it and try again.";
  }
  if (/characters after trimming/.test(reason)) {
    return `A name is ${LIMITS.minNameLength} to ${LIMITS.maxNameLength} characters long.`;
  }
  if (/control characters/.test(reason)) {
    return `A name cannot contain tabs, line breaks or other control characters${which}.`;
  }
  if (/separators/.test(reason)) return `A name must fit on one line${which}.`;
  if (/invisible formatting/.test(reason)) {
    return `A name cannot contain invisible characters${which}: they could make it look like ` +
      "someone else's.";
  }
  if (/combining marks on one/.test(reason)) {
    return "A name cannot stack more than 3 accents on one letter.";
  }
  if (/visible character/.test(reason)) return "A name needs at least one visible character.";
  if (/start with a combining mark/.test(reason)) {
    return "A name cannot start with an accent on its own.";
  }
  if (/guest-/.test(reason)) return `A name cannot start with "guest-": that is kept for guests.`;
  return "That name cannot be used. Try another one.";
}
