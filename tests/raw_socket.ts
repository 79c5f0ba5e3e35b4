/**
 * A WebSocket client written on a bare TCP connection, for the misbehaviour a real client cannot
 * produce: never reading (slow consumer), never answering pings (dead peer), and dropping the TCP
 * connection without a close frame (abrupt disconnect).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface RawFrame {
  opcode: number;
  payload: Uint8Array;
}

/**
 * An upgrade request for `path`, good unless `changes` says otherwise: each entry replaces a
 * header, or leaves it out when null.
 */
function upgradeRequest(
  port: number,
  path = "/ws",
  changes: Record<string, string | null> = {},
): string {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const headers: Record<string, string | null> = {
    "Host": `127.0.0.1:${port}`,
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": key,
    "Sec-WebSocket-Version": "13",
    ...changes,
  };
  const lines = Object.entries(headers).filter(([, value]) => value !== null);
  return `GET ${path} HTTP/1.1\r\n${
    lines.map(([name, value]) => `${name}: ${value}\r\n`).join("")
  }\r\n`;
}

/** What the server answered an upgrade request with, headers and all. */
export interface UpgradeAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends an upgrade request for `path` with `changes` (see {@link upgradeRequest}) on a fresh TCP
 * connection and reads the answer until the server closes it or a second passes, then closes the
 * connection.
 */
export async function upgradeAnswer(
  port: number,
  changes: Record<string, string | null> = {},
  path = "/ws",
): Promise<UpgradeAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  try {
    await writeAll(conn, encoder.encode(upgradeRequest(port, path, changes)));
    const chunk = new Uint8Array(16 * 1024);
    const deadline = setTimeout(() => conn.close(), 1000);
    try {
      while (true) {
        const n = await conn.read(chunk);
        if (n === null) break;
        text += decoder.decode(chunk.subarray(0, n), { stream: true });
        const end = text.indexOf("\r\n\r\n");
        const length = /\r\ncontent-length: *(\d+)/i.exec(text)?.[1];
        if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) break;
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource) && !(err instanceof Deno.errors.Interrupted)) {
        throw err;
      }
    } finally {
      clearTimeout(deadline);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the deadline.
    }
  }
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no answer to the upgrade: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4) };
}

export class RawSocket {
  #buffer = new Uint8Array(0);
  #closed = false;

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects and completes the upgrade handshake; throws on any status but 101. */
  static async connect(port: number, path = "/ws"): Promise<RawSocket> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const socket = new RawSocket(conn);
    await writeAll(conn, encoder.encode(upgradeRequest(port, path)));
    const head = await socket.#readUntilHeadersEnd();
    if (!head.startsWith("HTTP/1.1 101")) {
      conn.close();
      throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`);
    }
    return socket;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  async #readUntilHeadersEnd(): Promise<string> {
    while (true) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        this.#buffer = this.#buffer.subarray(encoder.encode(text.slice(0, end + 4)).length);
        return text.slice(0, end);
      }
      if (!await this.#fill()) throw new Error("connection closed during handshake");
    }
  }

  /** Reads one whole frame, or null at end of stream. */
  async readFrame(): Promise<RawFrame | null> {
    while (true) {
      const frame = this.#parse();
      if (frame) return frame;
      if (!await this.#fill()) return null;
    }
  }

  #parse(): RawFrame | null {
    const b = this.#buffer;
    if (b.length < 2) return null;
    let length = b[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = (b[2] << 8) | b[3];
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(new DataView(b.buffer, b.byteOffset + 2, 8).getBigUint64(0));
      offset = 10;
    }
    if (b.length < offset + length) return null;
    const frame = { opcode: b[0] & 0x0f, payload: b.slice(offset, offset + length) };
    this.#buffer = b.subarray(offset + length);
    return frame;
  }

  /** Reads frames until a text frame arrives and returns it parsed. */
  async readJson(): Promise<{ type: string; id?: unknown; data?: Record<string, unknown> }> {
    while (true) {
      const frame = await this.readFrame();
      if (!frame) throw new Error("connection closed");
      if (frame.opcode === 1) return JSON.parse(decoder.decode(frame.payload));
    }
  }

  /** Sends a masked text frame, as clients must. */
  async sendText(text: string): Promise<void> {
    const payload = encoder.encode(text);
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const headerLength = payload.length < 126 ? 2 : payload.length < 65536 ? 4 : 10;
    const frame = new Uint8Array(headerLength + 4 + payload.length);
    frame[0] = 0x81;
    if (headerLength === 2) frame[1] = 0x80 | payload.length;
    else if (headerLength === 4) {
      frame[1] = 0x80 | 126;
      frame[2] = payload.length >> 8;
      frame[3] = payload.length & 0xff;
    } else {
      frame[1] = 0x80 | 127;
      new DataView(frame.buffer).setBigUint64(2, BigInt(payload.length));
    }
    frame.set(mask, headerLength);
    for (let i = 0; i < payload.length; i++) {
      frame[headerLength + 4 + i] = payload[i] ^ mask[i & 3];
    }
    await writeAll(this.conn, frame);
  }

  /** Drops the TCP connection with no close frame. */
  drop(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.close();
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

/** The close code carried by a close frame's payload. */
export function closeCode(frame: RawFrame): number {
  return frame.payload.length >= 2 ? (frame.payload[0] << 8) | frame.payload[1] : 1005;
}
