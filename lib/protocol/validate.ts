/**
 * The edge check for incoming frames: text in, either a request the hub can trust or an error that
 * names its cause. Nothing past this module ever sees malformed input.
 *
 * @module
 */

import {
  type ErrorCode,
  LIMITS,
  type RequestData,
  type RequestId,
  type Requests,
  type RequestType,
} from "./mod.ts";

/** A request that passed validation, with its data normalized (e.g. names trimmed). */
export type ValidRequest = {
  [T in RequestType]: { type: T; id: RequestId | undefined; data: RequestData<T> };
}[RequestType];

/** Why a frame was refused, and the id to answer to (`null` when it could not be read). */
export interface Rejection {
  id: RequestId | null;
  code: ErrorCode;
  message: string;
}

export type ParseResult = { ok: true; request: ValidRequest } | { ok: false; rejection: Rejection };

/** Reads one field of `data`; returns the normalized value or throws a message naming the field. */
type FieldCheck = (value: unknown, field: string) => unknown;

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const anyText: FieldCheck = (value, field) => {
  if (typeof value !== "string") throw `${field} must be a string`;
  if (value.length > LIMITS.maxTextLength) {
    throw `${field} is longer than ${LIMITS.maxTextLength} characters`;
  }
  return value;
};

const message: FieldCheck = (value, field) => {
  const text = anyText(value, field) as string;
  if (text.trim() === "") throw `${field} must not be empty`;
  return text;
};

const room: FieldCheck = (value, field) => {
  if (typeof value !== "string" || !LIMITS.roomPattern.test(value)) {
    throw `${field} must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." or "-"`;
  }
  return value;
};

const name: FieldCheck = (value, field) => {
  if (typeof value !== "string") throw `${field} must be a string`;
  const trimmed = value.trim();
  if (trimmed.length < LIMITS.minNameLength || trimmed.length > LIMITS.maxNameLength) {
    throw `${field} must be ${LIMITS.minNameLength} to ${LIMITS.maxNameLength} characters after trimming`;
  }
  return trimmed;
};

const sessionId: FieldCheck = (value, field) => {
  if (typeof value !== "string" || !ULID.test(value)) {
    throw `${field} must be a session id (a 26-character ULID)`;
  }
  return value;
};

/** The fields each request type requires; types with none take any or no `data`. */
const SCHEMAS: { [T in RequestType]: { [F in keyof Requests[T]["req"]]-?: FieldCheck } } = {
  server_time: {},
  client_time: {},
  num_clients: {},
  ping: {},
  rooms: {},
  random: { text: anyText },
  set_name: { name },
  join: { room },
  leave: { room },
  chat: { room, text: message },
  dm_request: { to: sessionId },
  dm_accept: { from: sessionId },
  dm_decline: { from: sessionId },
  dm: { to: sessionId, text: message },
  dm_close: { with: sessionId },
};

const EMPTY = Object.freeze({});

function reject(id: RequestId | null, code: ErrorCode, message: string): ParseResult {
  return { ok: false, rejection: { id, code, message } };
}

/** Whether `type` names a request, for callers that only have a string. */
export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(SCHEMAS, type);
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
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) {
    return reject(null, "bad_request", "Frame must be a JSON object");
  }
  const { type, id, data } = frame as Record<string, unknown>;

  if (id !== undefined) {
    const validId = (typeof id === "number" && Number.isFinite(id)) ||
      (typeof id === "string" && id.length <= LIMITS.maxIdLength);
    if (!validId) {
      return reject(
        null,
        "bad_request",
        `id must be a finite number or a string of at most ${LIMITS.maxIdLength} characters`,
      );
    }
  }
  const replyId = (id as RequestId | undefined) ?? null;

  if (typeof type !== "string") return reject(replyId, "bad_request", "type must be a string");
  if (!isRequestType(type)) {
    return reject(replyId, "unknown_type", `Unknown type "${type.slice(0, 64)}"`);
  }

  const schema = SCHEMAS[type] as Record<string, FieldCheck>;
  let checked: Record<string, unknown> = EMPTY;
  let first = true;
  for (const field in schema) {
    if (first) {
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        return reject(replyId, "bad_request", `data must be an object with ${field}`);
      }
      checked = {};
      first = false;
    }
    const value = (data as Record<string, unknown>)[field];
    if (value === undefined) return reject(replyId, "bad_request", `data.${field} is required`);
    try {
      checked[field] = schema[field](value, `data.${field}`);
    } catch (problem) {
      return reject(replyId, "bad_request", String(problem));
    }
  }
  if (first && data !== undefined && (typeof data !== "object" || data === null)) {
    return reject(replyId, "bad_request", "data must be an object when given");
  }
  return {
    ok: true,
    request: { type, id: id as RequestId | undefined, data: checked } as ValidRequest,
  };
}
