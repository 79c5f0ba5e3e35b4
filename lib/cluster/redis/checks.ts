/**
 * The field checks that the validation of cross-node input is built from (`validate.ts`): ids,
 * rooms, names, texts, times and stream positions, each throwing an Error that names what was
 * checked. Kept apart from the message shapes so each file stays small.
 *
 * @module
 */

import { defaultName, LIMITS, type StreamPosition } from "../../protocol/mod.ts";
import { checkName, checkUserId } from "../../protocol/names.ts";
import { API_LIMITS } from "../../protocol/api.ts";

/** Node ids, as `NODE_ID` allows them. */
export const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * The characters of a ULID (Crockford's base 32), by char code: session and message ids are
 * checked against this table rather than a regular expression, three times a chat, at a quarter
 * of the cost.
 */
export const ULID_CHARS = new Uint8Array(128);
for (const c of "0123456789ABCDEFGHJKMNPQRSTVWXYZ") ULID_CHARS[c.charCodeAt(0)] = 1;
/** Stream epochs: `newEpoch` makes 12 base64url characters; other versions may make more. */
export const EPOCH = /^[A-Za-z0-9_-]{1,64}$/;
/** A resume secret's SHA-256, as `hashSecret` writes it. */
export const SECRET_HASH = /^[0-9a-f]{64}$/;

/**
 * The longest event frame a hub sends to other nodes' members, a bit over: a chat whose text and
 * name have every character escaped as `\uXXXX` (six characters each, the most JSON makes of
 * one), the longest `data` of a server API message (limited as JSON already), plus a kilobyte for
 * the ids, room, numbers and keys. About 33,000 characters; a client's whole request may be
 * `MAX_MESSAGE_BYTES` (64 KiB), but only its text crosses nodes.
 */
export const MAX_FRAME_LENGTH = 6 * (LIMITS.maxTextLength + LIMITS.maxNameLength) +
  LIMITS.maxDataLength + 1024;

/** How every event frame starts (`encodeEvent`, `encodeChat`, `chat.lua`). */
export const FRAME_PREFIX = '{"type":"';

export type Fields = Record<string, unknown>;

/** `value` as a plain object, or throws naming `what`. */
export function object(value: unknown, what: string): Fields {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${what} must be an object`);
  }
  return value as Fields;
}

/** The fields an object must have, and those it may have, as one set for the lookups. */
export interface Shape {
  required: readonly string[];
  allowed: ReadonlySet<string>;
}

/** A {@link Shape} from its required and optional fields. */
export function shape(required: readonly string[], optional: readonly string[] = []): Shape {
  return { required, allowed: new Set([...required, ...optional]) };
}

/** Throws unless `value` has every required field of `shape` and no field it does not name. */
export function fields(value: Fields, shape: Shape, what: string): void {
  let count = 0;
  for (const key in value) {
    if (!shape.allowed.has(key)) throw new Error(`${what} has an unknown field ${quote(key)}`);
    count++;
  }
  // Keys are unique: as many allowed ones as there are required ones, with no optional ones
  // allowed, are the required ones. Only the other shapes look for each.
  if (count === shape.required.length && shape.allowed.size === count) return;
  for (const key of shape.required) {
    if (!Object.hasOwn(value, key)) throw new Error(`${what} needs ${key}`);
  }
}

/** A value as it appears in an error, shortened: the culprit, not a copy of a flood. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** Whether `value` is a ULID: 26 of {@link ULID_CHARS}. */
export function isUlid(value: unknown): value is string {
  if (typeof value !== "string" || value.length !== 26) return false;
  for (let i = 0; i < 26; i++) if (ULID_CHARS[value.charCodeAt(i)] !== 1) return false;
  return true;
}

export function sessionId(value: unknown, what: string): string {
  if (!isUlid(value)) throw new Error(`${what} must be a session id (a ULID), not ${quote(value)}`);
  return value;
}

export function nodeId(value: unknown, what: string): string {
  if (typeof value !== "string" || !NODE_ID.test(value)) {
    throw new Error(
      `${what} must be a node id (1 to 64 of A-Z a-z 0-9 _ . -), not ${quote(value)}`,
    );
  }
  return value;
}

export function room(value: unknown, what: string): string {
  if (typeof value !== "string" || !LIMITS.roomPattern.test(value)) {
    throw new Error(`${what} must be a room name, not ${quote(value)}`);
  }
  return value;
}

/** A list of at most `max` items, each checked by `item`. */
export function list<T>(
  value: unknown,
  max: number,
  what: string,
  item: (value: unknown, what: string) => T,
): T[] {
  if (!Array.isArray(value)) throw new Error(`${what} must be a list`);
  if (value.length > max) throw new Error(`${what} has more than ${max} items`);
  return value.map((v, i) => item(v, `${what}[${i}]`));
}

export function rooms(value: unknown, what: string): string[] {
  return list(value, LIMITS.maxRoomsPerSession, what, room);
}

/**
 * Names that passed {@link name}, so that a room's regular speakers are checked once rather than
 * on every frame: the rules cost about as much as the frame's `JSON.parse`. Bounded; emptied when
 * full, which costs one check per name again.
 */
export const namesSeen = new Set<unknown>();
export const NAMES_SEEN = 4096;

/**
 * A display name of session `owner`: its default name (`guest-…`, which nobody may choose), or
 * a name the rules of `checkName` accept as it is, already normalized, as the hub keeps names.
 */
export function name(value: unknown, owner: string, what: string): string {
  if (namesSeen.has(value) || value === defaultName(owner)) return value as string;
  let checked: string;
  try {
    checked = checkName(value, what);
  } catch (reason) {
    throw new Error(String(reason));
  }
  if (checked !== value) throw new Error(`${what} must be trimmed and in NFC`);
  if (namesSeen.size >= NAMES_SEEN) namesSeen.clear();
  namesSeen.add(checked);
  return checked;
}

/** A session's user: null for an anonymous one, or an id `checkUserId` accepts. */
export function userId(value: unknown, what: string): string | null {
  if (value === null) return null;
  try {
    return checkUserId(value, what);
  } catch (reason) {
    throw new Error(String(reason));
  }
}

/** Chat and DM text: a string within the protocol's length limit. */
export function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what} must be a string`);
  if (value.length > LIMITS.maxTextLength) {
    throw new Error(`${what} is longer than ${LIMITS.maxTextLength} characters`);
  }
  return value;
}

/** A time in epoch milliseconds. */
export function time(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${what} must be a time in milliseconds, not ${quote(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, options: readonly T[], what: string): T {
  if (!options.includes(value as T)) {
    throw new Error(`${what} must be one of ${options.join(", ")}, not ${quote(value)}`);
  }
  return value as T;
}

const POSITION = shape(["offset", "epoch"]);

export function position(value: unknown, what: string): StreamPosition {
  const p = object(value, what);
  fields(p, POSITION, what);
  offset(p.offset, `${what}.offset`);
  epoch(p.epoch, `${what}.epoch`);
  return p as unknown as StreamPosition;
}

export function offset(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new Error(`${what} must be a whole number, not ${quote(value)}`);
  }
  return value as number;
}

export function epoch(value: unknown, what: string): string {
  if (typeof value !== "string" || !EPOCH.test(value)) {
    throw new Error(`${what} must be a stream epoch, not ${quote(value)}`);
  }
  return value;
}

/** A server API message's `data`: a JSON object within `LIMITS.maxDataLength` as JSON. */
export function data(value: unknown, what: string): Fields {
  const d = object(value, what);
  if (JSON.stringify(d).length > LIMITS.maxDataLength) {
    throw new Error(`${what} is longer than ${LIMITS.maxDataLength} characters as JSON`);
  }
  return d;
}

const utf8 = new TextEncoder();

/** A close code an application may choose, and its reason (`API_LIMITS`). */
export function closeCode(code: unknown, reason: unknown, what: string): void {
  const { minCloseCode: min, maxCloseCode: max, maxReasonBytes } = API_LIMITS;
  if (!Number.isInteger(code) || (code as number) < min || (code as number) > max) {
    throw new Error(`${what}.code must be a close code from ${min} to ${max}, not ${quote(code)}`);
  }
  if (typeof reason !== "string" || utf8.encode(reason).length > maxReasonBytes) {
    throw new Error(`${what}.reason must be a close reason of at most ${maxReasonBytes} bytes`);
  }
}
