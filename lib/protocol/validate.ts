/**
 * The edge check for incoming frames: text in, either a request the hub can trust or an error that
 * names its cause. Nothing past this module ever sees malformed input. What each request type
 * requires is in the table in `requests.ts`; this module reads frames against it.
 *
 * @module
 */

import {
  type ErrorCode,
  LIMITS,
  type RequestData,
  type RequestId,
  type RequestType,
} from "./mod.ts";
import { type FieldChecks, isOptional, REQUESTS } from "./requests.ts";

/**
 * The valid requests of the types in `T`, as a union with one member per type. Mapped over `T`
 * itself, so that for a generic `T` TypeScript reads it as the one member of type `T` and lets a
 * function build it without a cast.
 */
type ValidRequestOf<T extends RequestType> = {
  [P in T]: { type: P; id: RequestId | undefined; data: RequestData<P> };
}[T];

/** A request that passed validation, with its data normalized (e.g. names trimmed). */
export type ValidRequest = ValidRequestOf<RequestType>;

/** Why a frame was refused, and the id to answer to (`null` when it could not be read). */
export interface Rejection {
  id: RequestId | null;
  code: ErrorCode;
  message: string;
}

export type ParseResult = { ok: true; request: ValidRequest } | { ok: false; rejection: Rejection };

/** The `data` of every request type without fields; shared, since nothing downstream writes it. */
const EMPTY = Object.freeze({});

function reject(id: RequestId | null, code: ErrorCode, message: string): ParseResult {
  return { ok: false, rejection: { id, code, message } };
}

/** A JSON object, as opposed to an array, `null` or a primitive. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks `data` against `fields`: returns the normalized data, or throws a message naming the
 * first field that is missing or bad. `path` is what messages call the object (`data` in a frame;
 * the server API names a body's fields bare, with `path` "").
 */
export function checkFields<S extends object>(
  fields: FieldChecks<S>,
  data: unknown,
  path = "data",
): S {
  const at = path === "data" ? "data." : path === "" ? "" : `${path}.`;
  let record: Record<string, unknown> | undefined;
  let checked: Partial<S> = EMPTY;
  for (const field in fields) {
    if (record === undefined) {
      if (!isRecord(data)) throw `${path || "The body"} must be an object with ${field}`;
      record = data;
      checked = {};
    }
    const value = record[field];
    if (value === undefined) {
      if (isOptional(fields[field])) continue;
      throw `${at}${field} is required`;
    }
    checked[field] = fields[field](value, `${at}${field}`);
  }
  // Arrays are objects to `typeof`, so the record test, not typeof, decides.
  if (record === undefined && data !== undefined && !isRecord(data)) {
    throw `${path || "The body"} must be an object when given`;
  }
  // The loop set every key of `fields`, which are exactly the keys of `S` (`FieldChecks` leaves
  // none out), each to the `S[F]` its checker returns. TypeScript cannot follow a loop over keys,
  // so this one cast says what the loop did.
  return checked as S;
}

/** The validated request of type `type`; generic in `T`, so its data is tied to its type. */
function validRequest<T extends RequestType>(
  type: T,
  id: RequestId | undefined,
  data: unknown,
): ValidRequestOf<T> {
  return { type, id, data: checkFields(REQUESTS[type].fields, data) };
}

/** Whether `type` names a request, for callers that only have a string. */
export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(REQUESTS, type);
}

/**
 * Validates a request that came in another framing (the Socket.IO edge, where the event name is
 * the type and its first argument the data), with the same checks as {@link parseFrame}.
 */
export function checkRequest(type: RequestType, data: unknown): ParseResult {
  try {
    return { ok: true, request: validRequest(type, undefined, data) };
  } catch (problem) {
    return reject(null, "bad_request", String(problem));
  }
}

/**
 * Parses and validates one text frame.
 *
 * @example
 * ```ts
 * const result = parseFrame('{"type":"random","id":1,"data":{"text":"hi"}}');
 * if (result.ok) console.log(result.request.data); // { text: "hi" }
 * ```
 */
export function parseFrame(text: string): ParseResult {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return reject(null, "bad_json", "Frame is not valid JSON");
  }
  if (!isRecord(frame)) return reject(null, "bad_request", "Frame must be a JSON object");
  const { type, id, data } = frame;

  const validId = id === undefined ||
    (typeof id === "number" && Number.isFinite(id)) ||
    (typeof id === "string" && id.length <= LIMITS.maxIdLength);
  if (!validId) {
    return reject(
      null,
      "bad_request",
      `id must be a finite number or a string of at most ${LIMITS.maxIdLength} characters`,
    );
  }
  const replyId = id ?? null;

  if (typeof type !== "string") return reject(replyId, "bad_request", "type must be a string");
  if (!isRequestType(type)) {
    return reject(replyId, "unknown_type", `Unknown type "${type.slice(0, 64)}"`);
  }
  try {
    return { ok: true, request: validRequest(type, id, data) };
  } catch (problem) {
    return reject(replyId, "bad_request", String(problem));
  }
}
