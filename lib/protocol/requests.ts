/**
 * Every request type in one table: the fields its `data` must carry, how each field is checked,
 * and what the request costs at the edge. The table is typed over {@link RequestType}, so a request
 * added to `mod.ts` does not type-check until it says how it is validated and metered, and each
 * field checker must return the type that `Requests[T]["req"]` declares for that field.
 *
 * @module
 */

import { LIMITS, type RequestData, type RequestType } from "./mod.ts";
import { checkName } from "./names.ts";

/**
 * Reads one field of `data`: returns the normalized value, or throws a message that names the
 * field (`field` is its path, e.g. `data.text`).
 */
export type FieldCheck<V> = (value: unknown, field: string) => V;

/** A checker for a field that may be left out: it is called only when the field is present. */
export type OptionalCheck<V> = FieldCheck<V> & { readonly optional: true };

/** Marks a field as optional. */
export function optional<V>(check: FieldCheck<V>): OptionalCheck<V | undefined> {
  return Object.assign((value: unknown, field: string) => check(value, field), {
    optional: true as const,
  });
}

/** Whether a field may be left out. */
export function isOptional(check: FieldCheck<unknown>): boolean {
  return (check as Partial<OptionalCheck<unknown>>).optional === true;
}

/** One checker per field of `S`, each returning that field's type; no field may be left out. */
export type FieldChecks<S> = { readonly [F in keyof S]-?: FieldCheck<S[F]> };

/**
 * What a request is charged at the edge. Every frame takes a `RATE_LIMIT` token; a `notify`
 * request makes the server tell other sessions, so it also takes a `CHAT_RATE` token, and no
 * request type can amplify one frame into many unmetered. `refresh` is charged `notify` too: it
 * costs a signature check (an RS256 one takes a thousand times a frame's work), so it may not
 * come at the frame rate.
 */
export type Cost = "frame" | "notify";

/** How one request type is validated and metered. */
export interface RequestSpec<T extends RequestType> {
  /** The fields `data` must carry; a type with none takes any or no `data`. */
  readonly fields: FieldChecks<RequestData<T>>;
  readonly cost: Cost;
}

/** The whole table: one entry per request type, no more, no fewer. */
export type RequestTable = { readonly [T in RequestType]: RequestSpec<T> };

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// The field checkers below are shared with the server API's table (`api.ts`).

/** Any string up to the text limit, the empty one included. */
export const anyText: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string") throw `${field} must be a string`;
  if (value.length > LIMITS.maxTextLength) {
    throw `${field} is longer than ${LIMITS.maxTextLength} characters`;
  }
  return value;
};

/** A chat or DM text: like {@link anyText}, but a blank message says nothing. */
export const message: FieldCheck<string> = (value, field) => {
  const text = anyText(value, field);
  if (text.trim() === "") throw `${field} must not be empty`;
  return text;
};

export const room: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string" || !LIMITS.roomPattern.test(value)) {
    throw `${field} must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." or "-"`;
  }
  return value;
};

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number): FieldCheck<number> {
  return (value, field) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw `${field} must be a whole number from ${min} to ${max}`;
    }
    return value;
  };
}

/** A token as it travels: checked for what it says at the edge, here only for its size. */
const token: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string" || value === "" || value.length > LIMITS.maxTokenLength) {
    throw `${field} must be a token of 1 to ${LIMITS.maxTokenLength} characters`;
  }
  return value;
};

export const sessionId: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string" || !ULID.test(value)) {
    throw `${field} must be a session id (a 26-character ULID)`;
  }
  return value;
};

/**
 * Every request type. Fields are checked in the order written here, so the first missing or bad
 * field is the one an error names.
 *
 * `dm_accept`, `dm_decline` and `dm_close` tell one other session, but only to answer or end a
 * `dm_request` or conversation that was itself charged as `notify`, so each can notify at most
 * once per charged request and costs a frame.
 */
export const REQUESTS: RequestTable = {
  server_time: { fields: {}, cost: "frame" },
  client_time: { fields: {}, cost: "frame" },
  num_clients: { fields: {}, cost: "frame" },
  ping: { fields: {}, cost: "frame" },
  rooms: { fields: {}, cost: "frame" },
  watch_rooms: { fields: {}, cost: "frame" },
  unwatch_rooms: { fields: {}, cost: "frame" },
  history: {
    fields: {
      room,
      limit: optional(integer(1, LIMITS.maxHistoryLimit)),
      before: optional(integer(1, Number.MAX_SAFE_INTEGER)),
    },
    cost: "frame",
  },
  random: { fields: { text: anyText }, cost: "frame" },
  set_name: { fields: { name: checkName }, cost: "notify" },
  join: { fields: { room }, cost: "notify" },
  leave: { fields: { room }, cost: "notify" },
  chat: { fields: { room, text: message }, cost: "notify" },
  dm_request: { fields: { to: sessionId }, cost: "notify" },
  dm_accept: { fields: { from: sessionId }, cost: "frame" },
  dm_decline: { fields: { from: sessionId }, cost: "frame" },
  dm: { fields: { to: sessionId, text: message }, cost: "notify" },
  dm_close: { fields: { with: sessionId }, cost: "frame" },
  refresh: { fields: { token }, cost: "notify" },
};
