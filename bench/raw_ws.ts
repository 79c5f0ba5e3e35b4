/**
 * A lean WebSocket client over a raw `node:net` socket, for holding tens of thousands of
 * connections from one generator process: an idle socket costs about 7 KiB here, against several
 * times that for a `WebSocket` object. It does what the benchmark needs and no more: the
 * handshake (the `101` is checked, not the accept key), unfragmented text frames both ways (masked
 * with a zero key, which RFC 6455 servers only XOR with), an answer to every ping, and a close by
 * reset, so no socket lingers in TIME_WAIT to slow the next run's binds.
 *
 * Frames arrive as a buffer and a range, so a caller can look at a few bytes (the frame's type)
 * and decode only the frames it cares about.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import net from "node:net";

export interface RawTarget {
  host: string;
  port: number;
  /** The upgrade path, e.g. `/ws`. */
  path: string;
  /** The source address to connect from (another 127.0.0.x for more ephemeral ports). */
  localAddress?: string;
}

/** What a connection reports to whoever holds it. */
export interface RawHandler {
  /** The handshake completed. */
  open(conn: RawWebSocket): void;
  /** A text or binary frame: its payload is `data[start..end)`. */
  frame(conn: RawWebSocket, opcode: number, data: Buffer, start: number, end: number): void;
  /** The socket closed, or failed before it opened (`error` set). */
  closed(conn: RawWebSocket, error?: string): void;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const SWITCHING = Buffer.from("HTTP/1.1 101");
/** Any 16 bytes in base64: the accept key is not checked, so every connection may use one. */
const KEY = "YmVuY2gtcmF3LWNsaWVudA==";

/** A client frame: FIN, `opcode`, masked with a zero key. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (head === 2) frame[1] = 0x80 | length;
  else if (head === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.writeUInt32BE(0, head);
  payload.copy(frame, head + 4);
  return frame;
}

export class RawWebSocket {
  readonly socket: net.Socket;
  /** Whatever the holder keeps per connection (counters). */
  beats = 0;
  /** Bytes of an incomplete frame, or of the handshake response so far. */
  #rest: Buffer | undefined;
  #open = false;
  #closed = false;

  constructor(target: RawTarget, readonly handler: RawHandler) {
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      localAddress: target.localAddress,
      noDelay: true,
    });
    this.socket.once("connect", () => {
      this.socket.write(
        `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\n` +
          `Sec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on("data", (chunk: Buffer) => this.#data(chunk));
    this.socket.on("error", (err: Error) => this.#close(err.message));
    this.socket.on("close", () => this.#close());
  }

  get open(): boolean {
    return this.#open && !this.#closed;
  }

  sendText(text: string): void {
    if (this.#closed) return;
    this.socket.write(clientFrame(0x1, Buffer.from(text)));
  }

  /** Closes with a TCP reset: nothing lingers, on either side. */
  reset(): void {
    if (this.#closed) return;
    this.socket.resetAndDestroy();
  }

  #close(error?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rest = undefined;
    this.handler.closed(this, error);
  }

  #data(chunk: Buffer): void {
    const data = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = undefined;
    let at = 0;
    if (!this.#open) {
      const end = data.indexOf(HEADER_END);
      if (end < 0) {
        this.#rest = data;
        return;
      }
      if (data.compare(SWITCHING, 0, SWITCHING.length, 0, SWITCHING.length) !== 0) {
        const status = data.toString("latin1", 0, data.indexOf("\r\n"));
        this.#close(`upgrade refused: ${status}`);
        this.socket.destroy();
        return;
      }
      this.#open = true;
      at = end + 4;
      this.handler.open(this);
    }
    while (data.length - at >= 2) {
      const opcode = data[at] & 0x0f;
      let length = data[at + 1] & 0x7f;
      let head = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        head = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(data.readBigUInt64BE(at + 2));
        head = 10;
      }
      const start = at + head;
      const end = start + length;
      if (end > data.length) break;
      if (opcode === 0x9) this.socket.write(clientFrame(0xa, data.subarray(start, end)));
      else if (opcode === 0x8) {
        this.socket.write(clientFrame(0x8, data.subarray(start, Math.min(end, start + 2))));
        this.socket.end();
      } else if (opcode !== 0xa) this.handler.frame(this, opcode, data, start, end);
      at = end;
      if (this.#closed) return;
    }
    // A copy, so that a large chunk is not kept alive by its last few bytes.
    if (at < data.length) this.#rest = Buffer.from(data.subarray(at));
  }
}
