/**
 * The server API (`/api/…`, `docs/api.md`): what an application's backend sends and gets back,
 * beside the wire types it shares (`mod.ts`). Every call has one entry in one table,
 * {@link API_CALLS}, with a checker per field in the style of the request table
 * (`requests.ts`), so a call added to {@link ApiCalls} does not type-check until it says how its
 * input is read. HTTP input is hostile: {@link checkApiRequest} is all a route trusts.
 *
 * This module is types, constants and pure checks, so tools and tests import it freely.
 *
 * @module
 */

import {
  CLOSE_CODES,
  type ErrorCode,
  type HistoryReply,
  LIMITS,
  type StreamPosition,
} from "./mod.ts";
import { checkName } from "./names.ts";
import {
  type FieldCheck,
  type FieldChecks,
  integer,
  message,
  optional,
  room,
  sessionId,
} from "./requests.ts";
import { checkFields, isRecord } from "./validate.ts";

/** Limits of the server API's input, beyond the wire's own (`LIMITS`). */
export const API_LIMITS = {
  /** Rooms one `broadcast` may name. */
  maxBroadcastRooms: 100,
  /** `idempotencyKey`: 1 to 128 visible ASCII characters (a UUID, a ULID, `order-42:paid`). */
  idempotencyKeyPattern: /^[\x21-\x7e]{1,128}$/,
  /** How long an idempotency key's first answer is kept and returned to retries. */
  idempotencyTtlMs: 300_000,
  /** User ids, as a token's `sub` carries them. */
  maxUserIdLength: 64,
  /** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: 125 less the code's two). */
  maxReasonBytes: 123,
  /** The request body, in bytes: a `broadcast` to 100 long room names with the largest data. */
  maxBodyBytes: 65_536,
  /** The close codes an application may choose: the private-use range. */
  minCloseCode: 4000,
  maxCloseCode: 4999,
} as const;

/** The display name of a server message that names none. */
export const DEFAULT_SERVER_NAME = "server";

/** What a published message is answered with: its id, time and place in the room's stream. */
export interface Published extends StreamPosition {
  msgId: string;
  ts: number;
}

/** A session as the server API lists it: with its user, `null` for an anonymous one. */
export interface ApiMember {
  sessionId: string;
  userId: string | null;
  name: string;
}

/** One of a user's sessions, deployment-wide. */
export interface UserSession {
  sessionId: string;
  name: string;
  connectedAt: number;
}

/** The fields `publish` and `broadcast` share. */
interface MessageFields {
  text: string;
  /** The display name; {@link DEFAULT_SERVER_NAME} when left out. Same rules as `set_name`. */
  name?: string;
  /** A JSON object the message carries to clients as `data`. */
  data?: Record<string, unknown>;
  /** A retry with the same key within 5 minutes answers the first answer and publishes nothing. */
  idempotencyKey?: string;
}

/** Every call: what its body or query carries (`req`), and what it answers (`res`). */
export interface ApiCalls {
  publish: { req: MessageFields & { room: string }; res: Published };
  broadcast: {
    req: MessageFields & { rooms: string[] };
    res: { results: (Published & { room: string })[] };
  };
  disconnect: {
    req: { sessionId?: string; userId?: string; code?: number; reason?: string };
    /** The ids of the sessions found and ended. */
    res: { disconnected: string[] };
  };
  presence: { req: { room: string }; res: { room: string; members: ApiMember[] } };
  user_sessions: { req: { userId: string }; res: { userId: string; sessions: UserSession[] } };
  history: { req: { room: string; limit?: number; before?: number }; res: HistoryReply };
}

export type ApiCall = keyof ApiCalls;
export type ApiRequest<C extends ApiCall> = ApiCalls[C]["req"];
export type ApiResult<C extends ApiCall> = ApiCalls[C]["res"];

/**
 * The codes an API error carries: the wire protocol's, and `unauthorized` (a missing or wrong
 * key) and `conflict` (a retry that came while the first call with its key was still running).
 */
export type ApiErrorCode = ErrorCode | "unauthorized" | "conflict";

/** Every error answer: `{"error": {"code", "message"}}`. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** How one call reads its input: a checker per field, then a check across fields, if any. */
export interface ApiSpec<C extends ApiCall> {
  readonly method: "GET" | "POST";
  readonly fields: FieldChecks<ApiRequest<C>>;
  /** Throws a message naming the fields when they do not go together. */
  readonly across?: (request: ApiRequest<C>) => void;
}

const utf8 = new TextEncoder();

/** Any JSON object whose JSON is at most `LIMITS.maxDataLength` characters. */
const data: FieldCheck<Record<string, unknown>> = (value, field) => {
  if (!isRecord(value)) throw `${field} must be a JSON object`;
  if (JSON.stringify(value).length > LIMITS.maxDataLength) {
    throw `${field} is longer than ${LIMITS.maxDataLength} characters as JSON`;
  }
  return value;
};

const idempotencyKey: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string" || !API_LIMITS.idempotencyKeyPattern.test(value)) {
    throw `${field} must be 1 to 128 visible ASCII characters`;
  }
  return value;
};

/** A user id: 1 to 64 characters, none of them a control character. */
export const userId: FieldCheck<string> = (value, field) => {
  const max = API_LIMITS.maxUserIdLength;
  // deno-lint-ignore no-control-regex
  if (typeof value !== "string" || value.length > max || /^$|[\x00-\x1f\x7f]/.test(value)) {
    throw `${field} must be a user id: 1 to ${max} characters, no control characters`;
  }
  return value;
};

const rooms: FieldCheck<string[]> = (value, field) => {
  const max = API_LIMITS.maxBroadcastRooms;
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw `${field} must be a list of 1 to ${max} rooms`;
  }
  const checked = value.map((item, i) => room(item, `${field}[${i}]`));
  const twice = checked.find((item, i) => checked.indexOf(item) !== i);
  if (twice !== undefined) throw `${field} names room "${twice}" twice`;
  return checked;
};

/**
 * The hub's own codes in the private-use range (a slow reader, a replaced connection, an expired
 * token, a user over the limit): clients act on them, so an application may not send them.
 */
export const RESERVED_CLOSE_CODES: readonly number[] = Object.values(CLOSE_CODES)
  .filter((code) => code >= API_LIMITS.minCloseCode && code !== CLOSE_CODES.disconnected);

const closeCode: FieldCheck<number> = (value, field) => {
  const code = integer(API_LIMITS.minCloseCode, API_LIMITS.maxCloseCode)(value, field);
  if (RESERVED_CLOSE_CODES.includes(code)) {
    throw `${field} ${code} is the hub's own (${RESERVED_CLOSE_CODES.join(", ")} are kept)`;
  }
  return code;
};

const reason: FieldCheck<string> = (value, field) => {
  if (typeof value !== "string" || utf8.encode(value).length > API_LIMITS.maxReasonBytes) {
    throw `${field} must be a string of at most ${API_LIMITS.maxReasonBytes} bytes as UTF-8`;
  }
  return value;
};

/** A whole number in a query string, where every value is text: digits only. */
function queryInteger(min: number, max: number): FieldCheck<number> {
  const check = integer(min, max);
  return (value, field) => {
    if (typeof value !== "string" || !/^\d{1,16}$/.test(value)) {
      throw `${field} must be a whole number from ${min} to ${max}`;
    }
    return check(Number(value), field);
  };
}

const messageFields = {
  text: message,
  name: optional(checkName),
  data: optional(data),
  idempotencyKey: optional(idempotencyKey),
};

/** Every call. Fields are checked in the order written, so the first bad one is named. */
export const API_CALLS: { readonly [C in ApiCall]: ApiSpec<C> } = {
  publish: { method: "POST", fields: { room, ...messageFields } },
  broadcast: { method: "POST", fields: { rooms, ...messageFields } },
  disconnect: {
    method: "POST",
    fields: {
      sessionId: optional(sessionId),
      userId: optional(userId),
      code: optional(closeCode),
      reason: optional(reason),
    },
    across: ({ sessionId, userId }) => {
      if ((sessionId === undefined) === (userId === undefined)) {
        throw "Give exactly one of sessionId and userId";
      }
    },
  },
  presence: { method: "GET", fields: { room } },
  user_sessions: { method: "GET", fields: { userId } },
  history: {
    method: "GET",
    fields: {
      room,
      limit: optional(queryInteger(1, LIMITS.maxHistoryLimit)),
      before: optional(queryInteger(1, Number.MAX_SAFE_INTEGER)),
    },
  },
};

/** The default close code and reason of `disconnect`. */
export const DISCONNECT_DEFAULTS = {
  code: CLOSE_CODES.disconnected,
  reason: "Disconnected by the application",
} as const;

export type ApiCheck<C extends ApiCall> =
  | { ok: true; request: ApiRequest<C> }
  | { ok: false; message: string };

/**
 * Reads a call's input (a parsed JSON body, or a query's parameters as an object): the request,
 * normalized, or the message naming the first bad field.
 *
 * @example
 * ```ts
 * checkApiRequest("publish", { room: "lobby", text: "hi" }); // { ok: true, request: {...} }
 * checkApiRequest("publish", { room: "lobby" }); // { ok: false, message: "text is required" }
 * ```
 */
export function checkApiRequest<C extends ApiCall>(call: C, input: unknown): ApiCheck<C> {
  const spec: ApiSpec<C> = API_CALLS[call];
  try {
    if (!isRecord(input)) throw "The body must be a JSON object";
    const request = checkFields(spec.fields, input, "");
    spec.across?.(request);
    return { ok: true, request };
  } catch (problem) {
    return { ok: false, message: String(problem) };
  }
}
