/**
 * Shared pieces for the Socket.IO edge's end-to-end tests: the official client at the version the
 * project pins (4.8) and at the seeds' CDN version (4.0.1), both run in Deno against a real
 * server; acks and events as promises (4.0.1 has no `emitWithAck`); and raw Engine.IO requests
 * for what a client library would never send.
 */

import { io as io48, type Socket } from "socket.io-client";
import { io as io401 } from "socket.io-client-4.0.1";

export type { Socket };

/** The two client versions every client test runs with. */
export const CLIENTS = [
  { version: "4.8.3", io: io48 },
  // 4.0.1's types are its own; the calls the tests make are the same in both.
  { version: "4.0.1", io: io401 as unknown as typeof io48 },
] as const;

export type Transports = ("polling" | "websocket")[];

/** Every transport setup a client test runs over: polling, WebSocket, and the upgrade. */
export const TRANSPORTS: { name: string; transports: Transports }[] = [
  { name: "polling", transports: ["polling"] },
  { name: "websocket", transports: ["websocket"] },
  { name: "upgrade", transports: ["polling", "websocket"] },
];

export interface Client extends AsyncDisposable {
  socket: Socket;
  /** The hub session id from `client_id`. */
  clientId: string;
}

/**
 * Connects a client of `io` to `url` (an origin, with a namespace path or not) and, on `/`, waits
 * for its `client_id`. Reconnection is off unless asked for, so a test sees every drop.
 */
export async function connect(
  io: typeof io48,
  url: string,
  options: Parameters<typeof io48>[1] = {},
): Promise<Client> {
  // A Manager per client: without it, sockets to one origin share their Engine.IO connection.
  const socket = io(url, { reconnection: false, forceNew: true, timeout: 5000, ...options });
  const root = new URL(url).pathname === "/";
  const clientId = root
    ? await new Promise<string>((resolve, reject) => {
      socket.once("client_id", (data: { clientId: string }) => resolve(data.clientId));
      socket.once("connect_error", (err: Error) => reject(err));
    })
    : await new Promise<string>((resolve, reject) => {
      socket.once("connect", () => resolve(""));
      socket.once("connect_error", (err: Error) => reject(err));
    });
  return {
    socket,
    clientId,
    [Symbol.asyncDispose]: () => close(socket),
  };
}

/** Disconnects and waits until the transport is closed. */
export async function close(socket: Socket): Promise<void> {
  if (!socket.connected && !socket.active) return;
  const closed = new Promise<void>((resolve) => socket.once("disconnect", () => resolve()));
  socket.disconnect();
  await Promise.race([closed, delay(1000)]);
}

/** Emits `event` with `args` and resolves with the ack's arguments. */
export function ack(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...reply: unknown[]) => resolve(reply))),
    `ack of ${event}`,
  );
}

/** The next `event`'s arguments. */
export function next(socket: Socket, event: string, timeoutMs = 5000): Promise<unknown[]> {
  return withTimeout(
    new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args))),
    `event ${event}`,
    timeoutMs,
  );
}

/** Collects every `event` on `socket`, in order. */
export function record(socket: Socket, event: string): unknown[][] {
  const seen: unknown[][] = [];
  socket.on(event, (...args: unknown[]) => void seen.push(args));
  return seen;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function withTimeout<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A raw long-polling session: requests as a client library would never make them. */
export class RawPolling {
  readonly sid: string;
  readonly #base: string;

  private constructor(base: string, sid: string) {
    this.#base = base;
    this.sid = sid;
  }

  /** Opens a session at `origin` + `path` (`/socket.io/` by default). */
  static async open(origin: string, path = "/socket.io/"): Promise<RawPolling> {
    const base = `${origin}${path}?EIO=4&transport=polling`;
    const response = await fetch(base);
    const text = await response.text();
    if (response.status !== 200 || !text.startsWith("0")) {
      throw new Error(`Handshake failed: ${response.status} ${text}`);
    }
    return new RawPolling(base, JSON.parse(text.slice(1)).sid);
  }

  get url(): string {
    return `${this.#base}&sid=${this.sid}`;
  }

  /** A GET: status and body. */
  async poll(): Promise<{ status: number; body: string }> {
    const response = await fetch(this.url);
    return { status: response.status, body: await response.text() };
  }

  /** A POST of `body`: status and body. */
  async post(body: string | Uint8Array<ArrayBuffer>): Promise<{ status: number; body: string }> {
    const response = await fetch(this.url, { method: "POST", body });
    return { status: response.status, body: await response.text() };
  }

  /** Polls until a packet starting with `prefix` comes, collecting all it saw. */
  async until(prefix: string, tries = 20): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < tries; i++) {
      const { status, body } = await this.poll();
      if (status !== 200) throw new Error(`Poll answered ${status}: ${body}`);
      const packets = body.split("\x1e");
      seen.push(...packets);
      if (packets.some((p) => p.startsWith(prefix))) return seen;
    }
    throw new Error(`No packet starting with ${prefix}; saw ${JSON.stringify(seen)}`);
  }

  /** Closes the session from the client's side. */
  async close(): Promise<void> {
    await this.post("1").catch(() => {});
  }
}

/** A TCP proxy to `port` whose connections can all be cut at once, as a network failure does. */
export class TcpProxy implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  constructor(port: number) {
    this.#accepting = (async () => {
      for await (const client of this.#listener) {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
        this.#conns.add(client).add(upstream);
        const pipe = (from: Deno.Conn, to: Deno.Conn) =>
          from.readable.pipeTo(to.writable).catch(() => {}).finally(() => this.#cut(from, to));
        pipe(client, upstream);
        pipe(upstream, client);
      }
    })().catch(() => {});
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  #cut(...conns: Deno.Conn[]): void {
    for (const conn of conns) {
      if (!this.#conns.delete(conn)) continue;
      try {
        conn.close();
      } catch {
        // Closed by the other direction's pipe.
      }
    }
  }

  /** Cuts every connection with no goodbye: no close frame, no HTTP answer. */
  dropAll(): void {
    this.#cut(...this.#conns);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    this.dropAll();
    await this.#accepting;
  }
}
