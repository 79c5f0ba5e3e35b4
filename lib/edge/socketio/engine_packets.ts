/**
 * Engine.IO v4 packets: a type digit and its data. On WebSocket each frame is one packet (a binary
 * frame is a message packet with no type byte); on long-polling a payload joins packets with the
 * record separator `\x1e`, and a binary packet travels as `b` plus base64. Anything else is
 * malformed, and a malformed packet closes its session.
 *
 * @module
 */

/** Bytes as the transports carry them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The seven packet types, by their digit. */
export const PACKET = {
  open: 0,
  close: 1,
  ping: 2,
  pong: 3,
  message: 4,
  upgrade: 5,
  noop: 6,
} as const;

export type PacketType = typeof PACKET[keyof typeof PACKET];

/** One packet: text packets carry their data as a string, binary ones as bytes (messages only). */
export type EnginePacket =
  | { type: PacketType; data: string }
  | { type: typeof PACKET.message; data: Bytes };

/** The record separator between the packets of a long-polling payload. */
export const SEPARATOR = "\x1e";

/** The close and noop packets, as sent. */
export const CLOSE_PACKET = "1";
export const NOOP_PACKET = "6";
export const PING_PACKET = "2";

/**
 * Decodes one text packet: its type digit and the rest as data, or null when the first character
 * is not a type.
 */
export function decodeText(text: string): EnginePacket | null {
  const type = text.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6)) return null;
  return { type: type as PacketType, data: text.slice(1) };
}

/** Bytes of `b`+base64 packets, or null when the base64 is not valid. */
function decodeBase64(text: string): Bytes | null {
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    return null;
  }
}

/**
 * Decodes a long-polling payload: every packet, or null when any of them is malformed (an empty
 * record, an unknown type, bad base64).
 */
export function decodePayload(body: string): EnginePacket[] | null {
  const packets: EnginePacket[] = [];
  for (const record of body.split(SEPARATOR)) {
    if (record.charCodeAt(0) === 98) { // "b"
      const bytes = decodeBase64(record.slice(1));
      if (bytes === null) return null;
      packets.push({ type: PACKET.message, data: bytes });
      continue;
    }
    const packet = decodeText(record);
    if (packet === null) return null;
    packets.push(packet);
  }
  return packets;
}

/**
 * Encodes queued packets as one long-polling payload. Text packets are already encoded (type
 * digit first); bytes are binary message packets.
 */
export function encodePayload(packets: readonly (string | Bytes)[]): string {
  if (packets.length === 1 && typeof packets[0] === "string") return packets[0];
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += SEPARATOR;
    const packet = packets[i];
    out += typeof packet === "string" ? packet : `b${packet.toBase64()}`;
  }
  return out;
}

/** The open packet's data, as the handshake sends it. */
export interface Handshake {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export function encodeOpen(handshake: Handshake): string {
  return `0${JSON.stringify(handshake)}`;
}
