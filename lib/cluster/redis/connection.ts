/**
 * The two Redis connections of a node (commands, and pub/sub, which needs its own), whether they
 * are up, and the three ways the rest of the cluster talks through them:
 *
 * - {@link RedisConnection.fireAndForget}: publish, signal, rename, session closed. No timer and
 *   nothing to wait on; a failure only counts as an outage.
 * - {@link RedisConnection.write}: the writes a caller awaits (session opened, joined, left),
 *   bounded by {@link WRITE_WAIT_MS} so that Redis never holds a client up for long.
 * - {@link RedisConnection.read}: answers a fallback instead of failing.
 *
 * Every command fails fast while Redis is down (no offline queue); the first failure of an outage
 * is logged, the rest are quiet, and when both connections are back the owner's `onBack` rewrites
 * the node's state.
 *
 * @module
 */

import { createClient } from "redis";
import type { Logger } from "../../server/log.ts";
import { SCRIPTS } from "./scripts.ts";

export interface ConnectionOptions {
  url: string;
  password?: string;
  nodeId: string;
  log: Logger;
}

function newClient(options: ConnectionOptions) {
  return createClient({
    url: options.url,
    password: options.password,
    disableOfflineQueue: true,
    scripts: SCRIPTS,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) =>
        Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
    },
  });
}

/** A connection with the cluster's script commands (`scripts.ts`). */
export type Client = ReturnType<typeof newClient>;

/**
 * The part of a client that emits connection events. node-redis inherits it from Node's
 * EventEmitter, whose types (`@types/node`) this project does not load, so the client's own type
 * lacks it.
 */
interface Events {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** The longest a caller waits on a write, e.g. a `welcome` held until the session is counted. */
export const WRITE_WAIT_MS = 1000;
/** How long a clean stop may spend telling the deployment. */
const CLOSE_WAIT_MS = 1000;

/** Rejects when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error("timed out")), ms)),
  ]).finally(() => clearTimeout(timer));
}

export class RedisConnection {
  /** Commands and script calls. */
  readonly client: Client;
  /** Pub/sub only. */
  readonly subscriber: Client;
  readonly #options: ConnectionOptions;
  /** Each connection's state; the cluster is up only when both are ready. */
  readonly #ready = { client: false, subscriber: false };
  #onBack: (() => void) | undefined;
  /** Told how long each awaited command ({@link write}, {@link read}) took, in ms: `/metrics`. */
  timed: ((ms: number) => void) | undefined;
  #outageLogged = false;
  #closed = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.client = newClient(options);
    this.subscriber = this.client.duplicate();
    for (
      const [name, client] of [["client", this.client], ["subscriber", this.subscriber]] as const
    ) {
      const events = client as unknown as Events;
      events.on("ready", () => this.#health(name, true));
      // Errors also come from listeners and single commands on a healthy connection, so only
      // the connection's own events decide whether it is up.
      events.on("error", this.failed);
      events.on("reconnecting", () => this.#health(name, false));
      events.on("end", () => this.#health(name, false));
    }
  }

  /** Whether either connection is down: writes are dropped and reads answer their fallback. */
  get down(): boolean {
    return !(this.#ready.client && this.#ready.subscriber);
  }

  /** Whether the command connection is up, which is all a heartbeat needs. */
  get commandsUp(): boolean {
    return this.#ready.client;
  }

  /** Whether the pub/sub connection is up; node-redis subscribes again before it says so. */
  get subscriberUp(): boolean {
    return this.#ready.subscriber;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * From now on, each time both connections are up again after being down, `onBack` runs to
   * rewrite the node's state; then connects both.
   */
  async connect(onBack: () => void): Promise<void> {
    this.#onBack = onBack;
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
  }

  #health(name: "client" | "subscriber", ready: boolean): void {
    const wasDown = this.down;
    this.#ready[name] = ready;
    // A Redis that restarted has forgotten the scripts; loading them now spares the first calls
    // the NOSCRIPT round trip. A call that still meets one (a SCRIPT FLUSH) falls back to EVAL.
    if (ready && name === "client") this.#loadScripts();
    if (!wasDown || this.down || !this.#onBack || this.#closed) return;
    if (this.#outageLogged) {
      this.#options.log.info("redis back; resynchronizing", { node: this.#options.nodeId });
      this.#outageLogged = false;
    }
    this.#onBack();
  }

  #loadScripts(): void {
    for (const script of Object.values(SCRIPTS)) {
      this.client.scriptLoad(script.SCRIPT).catch(this.failed);
    }
  }

  /** Logs the first failure of an outage; the rest of it is quiet. */
  outage(err: Error): void {
    if (this.#closed || this.#outageLogged) return;
    this.#outageLogged = true;
    this.#options.log.warn("redis unavailable; serving local clients only", {
      node: this.#options.nodeId,
      error: err,
    });
  }

  /** {@link outage} as a ready-made handler, so hot paths allocate no closure for it. */
  readonly failed = (err: Error): void => this.outage(err);

  /**
   * Takes the reply of a command nobody waits for; a failure counts as an outage, and the resync
   * after it makes up for the lost write. Callers check {@link down} first: while Redis is down
   * the command is not even built.
   */
  fireAndForget(reply: Promise<unknown>): void {
    reply.catch(this.failed);
  }

  /**
   * Runs a write a caller waits on; while Redis is down the write is dropped and the resync makes
   * up for it. The promise resolves when the write is done, failed, or has taken
   * {@link WRITE_WAIT_MS}.
   */
  write(command: () => Promise<unknown>): Promise<void> {
    if (this.down) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, WRITE_WAIT_MS);
    const started = performance.now();
    command().catch(this.failed).finally(() => {
      this.timed?.(performance.now() - started);
      clearTimeout(timer);
      resolve();
    });
    return promise;
  }

  /** Runs a read; while Redis is down, or when it fails, it answers `fallback`. */
  async read<T>(fallback: T, query: () => Promise<T>): Promise<T> {
    if (this.down) return fallback;
    const started = performance.now();
    try {
      return await query();
    } catch (err) {
      this.outage(err as Error);
      return fallback;
    } finally {
      this.timed?.(performance.now() - started);
    }
  }

  /**
   * Stops for good: runs `leave` (the node's goodbye) if Redis is up, and closes both
   * connections, spending at most {@link CLOSE_WAIT_MS} on each step.
   */
  async close(leave: () => Promise<void>): Promise<void> {
    const clients = [this.client, this.subscriber];
    if (!this.down) {
      try {
        await withTimeout(leave(), CLOSE_WAIT_MS);
        await withTimeout(Promise.allSettled(clients.map((c) => c.close())), CLOSE_WAIT_MS);
      } catch {
        // Redis went away meanwhile: the other nodes will reap this one when they can.
      }
    }
    // Whatever is still queued (e.g. an unsubscribe from an outage) must not keep us running.
    for (const client of clients) {
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // Already gone.
      }
    }
  }

  /** From now on nothing is logged or rewritten: the node is leaving. */
  markClosed(): void {
    this.#closed = true;
  }
}
