/**
 * Shared pieces for end-to-end tests: a real server in-process on a random loopback port, and a
 * raw WebSocket probe for the frames `lib/client/mod.ts` would never send.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import type { Config } from "../lib/server/config.ts";
import { silentLogger } from "../lib/server/log.ts";
import type { EventType } from "../lib/protocol/mod.ts";
import { type RunningServer, startServer } from "../lib/server/start.ts";
import { createApp } from "../main.ts";

export interface TestServer extends RunningServer {
  /** `ws://127.0.0.1:<port>/ws` */
  wsUrl: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the real app on 127.0.0.1, port 0. Use with `await using`. */
export async function startTestServer(
  config: Partial<Config> = {},
  verbose = false,
): Promise<TestServer> {
  const server = await startServer(
    createApp,
    { port: 0, host: "127.0.0.1", ...config },
    verbose ? undefined : silentLogger,
  );
  return {
    ...server,
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A typed client that does not reconnect, so a test sees every drop. */
export async function connectClient(
  server: TestServer,
  options: ConstructorParameters<typeof HubClient>[1] = {},
): Promise<HubClient & AsyncDisposable> {
  const client = new HubClient(server.wsUrl, { reconnect: false, ...options });
  await client.ready();
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

export interface Frame {
  type: string;
  id?: unknown;
  ok?: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/**
 * A raw socket that records every frame and close, for bad input and exact frame checks.
 * `next()` waits for the first unseen frame matching a predicate.
 */
export class Probe implements AsyncDisposable {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  readonly closed: Promise<CloseEvent>;
  readonly opened: Promise<void>;
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #seen = new Set<Frame>();

  constructor(url: string, headers?: Record<string, string>) {
    // Deno's WebSocket takes headers (e.g. Origin) in its second argument.
    this.socket = headers
      ? new WebSocket(url, { headers } as unknown as string[])
      : new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener("error", () => reject(new Error("socket error")), {
        once: true,
      });
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.socket.addEventListener("close", resolve));
    this.socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data as string) as Frame;
      this.frames.push(frame);
      const waiter = this.#waiters.find((w) => w.match(frame));
      if (waiter) {
        this.#seen.add(frame);
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    });
  }

  /** Opens a probe and waits for its `welcome`. */
  static async open(url: string, headers?: Record<string, string>): Promise<Probe> {
    const probe = new Probe(url, headers);
    await probe.opened;
    await probe.next((f) => f.type === "welcome");
    return probe;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next unseen frame that matches, waiting up to `timeoutMs`. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const found = this.frames.find((f) => !this.#seen.has(f) && match(f));
    if (found) {
      this.#seen.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.describe()}`));
      }, timeoutMs);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.#waiters.push({ match, resolve: done });
    });
  }

  /** The reply to request `id`. */
  reply(id: unknown, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === "reply" && f.id === id, timeoutMs);
  }

  /** The next event of `type`. */
  event(type: EventType, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs);
  }

  /** Sends a request and returns its reply frame. */
  async request(type: string, data?: unknown, id: unknown = crypto.randomUUID()): Promise<Frame> {
    this.send({ type, id, data });
    return await this.reply(id);
  }

  describe(): string {
    return JSON.stringify(this.frames.slice(-5)).slice(0, 600);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState === WebSocket.CONNECTING) await this.opened.catch(() => {});
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    if (this.socket.readyState !== WebSocket.CLOSED) {
      await Promise.race([this.closed, delay(2000)]);
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it passes or `timeoutMs` runs out, then asserts it one last time. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(20);
    }
  }
}

/** Fetches `/api/stats`. */
export async function stats(server: TestServer): Promise<Record<string, number>> {
  const response = await fetch(`${server.origin}/api/stats`);
  assert.equal(response.status, 200);
  return await response.json();
}
