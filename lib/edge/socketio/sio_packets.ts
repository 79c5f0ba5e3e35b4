/**
 * Socket.IO v5 packets, carried in Engine.IO message packets: a type digit, for the binary types
 * the number of attachments and `-`, the namespace and `,` unless it is `/`, an ack id, and a
 * JSON payload. Binary values travel as `{"_placeholder":true,"num":i}` in the JSON and as
 * separate Engine.IO binary packets after it.
 *
 * The decoder is the server's: it accepts what a client may send and refuses the rest with a
 * reason (an unknown type, a payload that is not what its type takes, a bad ack id), as
 * socket.io-parser does; a refused packet closes the connection.
 *
 * @module
 */

import type { Bytes } from "./engine_packets.ts";

export const SIO = {
  connect: 0,
  disconnect: 1,
  event: 2,
  ack: 3,
  connectError: 4,
  binaryEvent: 5,
  binaryAck: 6,
} as const;

export type SioType = typeof SIO[keyof typeof SIO];

/** A decoded packet. `attachments` is set on the binary types: how many binary packets follow. */
export interface SioPacket {
  type: SioType;
  nsp: string;
  id: number | undefined;
  data: unknown;
  attachments: number;
}

export type Decoded = { ok: true; packet: SioPacket } | { ok: false; reason: string };

/** Event names a client may not send: the client library's own events. */
const RESERVED = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/** Attachments one binary packet may announce; each is a whole Engine.IO packet held in memory. */
export const MAX_ATTACHMENTS = 64;
/** Ack ids up to 2^53 - 1 have at most 16 digits. */
const MAX_ID_DIGITS = 16;

function fail(reason: string): Decoded {
  return { ok: false, reason };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `data` is a payload a client may send with a packet of `type`. */
function validPayload(type: SioType, data: unknown): boolean {
  switch (type) {
    case SIO.connect:
      return isObject(data);
    case SIO.event:
    case SIO.binaryEvent: {
      if (!Array.isArray(data) || data.length === 0) return false;
      const name = data[0];
      return typeof name === "number" || (typeof name === "string" && !RESERVED.has(name));
    }
    case SIO.ack:
    case SIO.binaryAck:
      return Array.isArray(data);
    default:
      return false;
  }
}

/**
 * Decodes the text of one packet from a client.
 *
 * @example
 * ```ts
 * decodePacket('2/chat,7["message","hi"]');
 * // { ok: true, packet: { type: 2, nsp: "/chat", id: 7, data: ["message", "hi"], attachments: 0 } }
 * ```
 */
export function decodePacket(text: string): Decoded {
  const type = text.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6)) return fail("unknown packet type");
  // A server hears no connect_error from a client.
  if (type === SIO.connectError) return fail("connect_error from a client");
  let i = 1;
  let attachments = 0;
  if (type === SIO.binaryEvent || type === SIO.binaryAck) {
    const start = i;
    while (isDigit(text.charCodeAt(i))) i++;
    if (i === start || text.charCodeAt(i) !== 45 || i - start > 3) return fail("bad attachments");
    attachments = Number(text.slice(start, i));
    if (attachments > MAX_ATTACHMENTS) return fail(`more than ${MAX_ATTACHMENTS} attachments`);
    i++;
  }
  let nsp = "/";
  if (text.charCodeAt(i) === 47) { // "/"
    const comma = text.indexOf(",", i);
    const end = comma < 0 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma < 0 ? end : end + 1;
  }
  let id: number | undefined;
  const idStart = i;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i > idStart) {
    if (i - idStart > MAX_ID_DIGITS) return fail("ack id too long");
    id = Number(text.slice(idStart, i));
    if (!Number.isSafeInteger(id)) return fail("bad ack id");
  }
  let data: unknown;
  if (i < text.length) {
    try {
      data = JSON.parse(text.slice(i));
    } catch {
      return fail("payload is not JSON");
    }
    if (!validPayload(type as SioType, data)) return fail("payload does not fit the packet type");
  } else if (type !== SIO.connect && type !== SIO.disconnect) {
    return fail("payload missing");
  }
  if (type === SIO.disconnect && data !== undefined) return fail("disconnect takes no payload");
  return { ok: true, packet: { type: type as SioType, nsp, id, data, attachments } };
}

/** The text of a packet with its JSON already encoded; `json` may be "" (no payload). */
export function encodeRaw(
  type: SioType,
  nsp: string,
  id: number | undefined,
  json: string,
  attachments = 0,
): string {
  let out = String(type);
  if (attachments > 0) out += `${attachments}-`;
  if (nsp !== "/") out += `${nsp},`;
  if (id !== undefined) out += id;
  return out + json;
}

/** Whether `value` is bytes as a handler may pass them: a buffer or a view on one. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** The bytes of a buffer or view, copied: a view may be on shared memory or change later. */
function bytesOf(value: ArrayBuffer | ArrayBufferView): Bytes {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
}

/** Whether `value` holds bytes anywhere inside. */
export function hasBinary(value: unknown): boolean {
  if (isBinary(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasBinary);
  for (const key in value) {
    if (hasBinary((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** `value` with its bytes replaced by placeholders, pushed onto `buffers` in order. */
function deconstruct(value: unknown, buffers: Bytes[]): unknown {
  if (isBinary(value)) {
    buffers.push(bytesOf(value));
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => deconstruct(item, buffers));
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = deconstruct((value as Record<string, unknown>)[key], buffers);
  return out;
}

/** An encoded packet: its text and the attachments that follow it. */
export interface Encoded {
  text: string;
  attachments: Bytes[];
}

/**
 * Encodes an event or ack whose payload is `data`: as the binary type, with its attachments, when
 * it holds bytes.
 */
export function encodePacket(
  type: typeof SIO.event | typeof SIO.ack,
  nsp: string,
  id: number | undefined,
  data: unknown[],
): Encoded {
  if (!hasBinary(data)) {
    return { text: encodeRaw(type, nsp, id, JSON.stringify(data)), attachments: [] };
  }
  const attachments: Bytes[] = [];
  const json = JSON.stringify(deconstruct(data, attachments));
  const binaryType = type === SIO.event ? SIO.binaryEvent : SIO.binaryAck;
  return { text: encodeRaw(binaryType, nsp, id, json, attachments.length), attachments };
}

/**
 * Puts the attachments back where their placeholders are. Throws when a placeholder names an
 * attachment that is not there.
 */
export function reconstruct(value: unknown, buffers: readonly Bytes[]): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => reconstruct(item, buffers));
  const record = value as Record<string, unknown>;
  if (record._placeholder === true) {
    const num = record.num;
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= buffers.length) {
      throw new Error(`Placeholder ${JSON.stringify(num)} names no attachment`);
    }
    return buffers[num];
  }
  const out: Record<string, unknown> = {};
  for (const key in record) out[key] = reconstruct(record[key], buffers);
  return out;
}
