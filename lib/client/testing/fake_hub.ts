/**
 * Test-only helpers for the `HubClient` tests: a tiny fake hub on a real socket, and small
 * waiting and capturing utilities.
 *
 * @module
 */

import { equal, ok } from "node:assert/strict";
import type { ClientFrame, ErrorBody, Events, ServerFrame } from "../../protocol/mod.ts";
import { HubClient, RequestError } from "../mod.ts";

export interface FakeHubOptions {
  /** Sent in the welcome; 0 turns the client's watchdog off. */
  heartbeatMs?: number;
  /**
   * Hand out resume tokens and honour them; off by default, when every welcome carries `""`
   * and every connection is a new session.
   */
  resume?: boolean;
}

interface FakeSession {
  sessionId: string;
  connectedAt: number;
  /** The server side of its latest connection. */
  socket: WebSocket;
}

/**
 * Speaks just enough of the protocol: a welcome on open, replies to `server_time`, `random` and
 * `refresh`, an error reply to `leave`, no reply at all to `ping` (the test may answer later
 * through `sockets`), and an `id: null` error to any frame without id.
 *
 * With `resume`, welcome number n carries token `tn`; a connection to `?resume=tn` continues
 * that session (`resumed: true`) and closes its previous connection with 4009 if still open,
 * like the real hub. Any other token, or a token used before, gives a new session. Sessions never
 * expire, and a close with 1000 does not end them: the tests here are about the client.
 */
export class FakeHub {
  readonly url: string;
  readonly origins: (string | null)[] = [];
  /** Server side of every connection, in order. */
  readonly sockets: WebSocket[] = [];
  /** The URL of every connection's handshake, in order. */
  readonly urls: URL[] = [];
  /** The close code of every connection that ended, as the server saw it, in order of ending. */
  readonly closeCodes: number[] = [];
  readonly frames: ClientFrame[] = [];
  #ac = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr>;
  #tokens = new Map<string, FakeSession>();
  #sessions = 0;

  constructor(options: FakeHubOptions = {}) {
    const heartbeatMs = options.heartbeatMs ?? 0;
    const resume = options.resume ?? false;
    this.#server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", signal: this.#ac.signal, onListen() {} },
      (req) => {
        this.origins.push(req.headers.get("origin"));
        const url = new URL(req.url);
        this.urls.push(url);
        const { socket, response } = Deno.upgradeWebSocket(req);
        const n = this.sockets.push(socket);
        const resumed = this.#resume(url.searchParams.get("resume"), socket);
        const session = resumed ?? this.#newSession(socket);
        socket.onopen = () => {
          const resumeToken = resume ? `t${n}` : "";
          if (resume) this.#tokens.set(resumeToken, session);
          const welcome: Events["welcome"] = {
            sessionId: session.sessionId,
            userId: null,
            name: `guest-${session.sessionId.slice(1)}`,
            connectedAt: session.connectedAt,
            serverTime: 1000 * n,
            heartbeatMs,
            resumeToken,
            resumeTtlMs: resume ? 60_000 : 0,
            resumed: resumed !== undefined,
            nameLocked: false,
          };
          send(socket, { type: "welcome", data: welcome });
        };
        socket.onmessage = (ev) => this.#onMessage(socket, JSON.parse(ev.data));
        socket.onclose = (ev) => this.closeCodes.push(ev.code);
        return response;
      },
    );
    this.url = `ws://127.0.0.1:${this.#server.addr.port}/ws`;
  }

  /** The session `token` continues, now on `socket`, or `undefined` for a new session. */
  #resume(token: string | null, socket: WebSocket): FakeSession | undefined {
    const session = token === null ? undefined : this.#tokens.get(token);
    if (session === undefined) return undefined;
    this.#tokens.delete(token!);
    const previous = session.socket;
    session.socket = socket;
    if (previous.readyState === WebSocket.OPEN) previous.close(4009, "Replaced by a resume");
    return session;
  }

  #newSession(socket: WebSocket): FakeSession {
    const n = ++this.#sessions;
    return { sessionId: `s${n}`, connectedAt: 1000 * n, socket };
  }

  #onMessage(socket: WebSocket, frame: ClientFrame): void {
    this.frames.push(frame);
    const id = frame.id;
    if (id === undefined) {
      const error: ErrorBody = { code: "bad_request", message: `No id on "${frame.type}"` };
      return send(socket, { type: "reply", id: null, ok: false, error });
    }
    switch (frame.type) {
      case "server_time":
        return send(socket, { type: "reply", id, ok: true, data: { serverTime: 42 } });
      case "random": {
        const data = { text: String(frame.data?.text), n: 7 };
        return send(socket, { type: "reply", id, ok: true, data });
      }
      case "leave": {
        const error: ErrorBody = { code: "not_member", message: "Not a member of that room" };
        return send(socket, { type: "reply", id, ok: false, error });
      }
      case "refresh":
        return send(socket, { type: "reply", id, ok: true, data: { expiresAt: 1 } });
      case "ping":
        return; // held: never answered unless the test does it
      default: {
        const error: ErrorBody = { code: "unknown_type", message: `Unknown "${frame.type}"` };
        return send(socket, { type: "reply", id, ok: false, error });
      }
    }
  }

  /** The server side of the latest connection. */
  get last(): WebSocket {
    return this.sockets[this.sockets.length - 1];
  }

  /** Frames of one type that reached the server. */
  framesOf(type: string): ClientFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) if (s.readyState === WebSocket.OPEN) s.close();
    this.#ac.abort();
    await this.#server.finished;
  }
}

export function send(socket: WebSocket, frame: ServerFrame): void {
  socket.send(JSON.stringify(frame));
}

/** Polls until `cond` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Replaces `console[method]` while `fn` runs and returns what it was called with. */
export async function capture(
  method: "warn" | "error",
  fn: () => Promise<void>,
): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => calls.push(args);
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}

/** Starts a hub and a client, runs `fn`, and always shuts both down. */
export async function withHub(
  fn: (hub: FakeHub, client: HubClient) => Promise<void>,
  options: {
    hub?: FakeHubOptions;
    client?: ConstructorParameters<typeof HubClient>[1];
  } = {},
): Promise<void> {
  const hub = new FakeHub(options.hub);
  const client = new HubClient(hub.url, { minDelayMs: 5, maxDelayMs: 20, ...options.client });
  try {
    await fn(hub, client);
  } finally {
    await client.close();
    await hub.close();
  }
}

export function isRequestError(code: string): (err: unknown) => boolean {
  return (err) => {
    ok(err instanceof RequestError, `expected a RequestError, got ${err}`);
    equal(err.code, code);
    return true;
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    () => new Response(),
  );
  const port = server.addr.port;
  ac.abort();
  await server.finished;
  return port;
}
