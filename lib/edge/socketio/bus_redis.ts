/**
 * The Socket.IO edge's bus over Redis pub/sub: one channel, `hub:sio`, that every node publishes
 * to and listens on, with its own two connections beside the cluster's, so the cluster's seam
 * stays as it is. Each message starts with its node's id and a line break; a node skips its own.
 * While Redis is down messages are dropped, and the first failure of an outage is logged.
 *
 * @module
 */

import { createClient } from "redis";
import type { Logger } from "../../server/log.ts";
import { type Bus, type BusMessage, parseBusMessage } from "./bus.ts";

/** The channel every node's Socket.IO edge shares. */
export const CHANNEL = "hub:sio";

export interface RedisBusOptions {
  url: string;
  password?: string;
  nodeId: string;
  log: Logger;
}

function newClient(options: RedisBusOptions) {
  return createClient({
    url: options.url,
    password: options.password,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) =>
        Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
    },
  });
}

/** node-redis emits connection events as Node's EventEmitter, whose types this project lacks. */
interface Events {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export class RedisBus implements Bus {
  readonly nodeId: string;
  onMessage: (message: BusMessage) => void = () => {};
  readonly #client: ReturnType<typeof newClient>;
  readonly #subscriber: ReturnType<typeof newClient>;
  readonly #log: Logger;
  readonly #ready = { client: false, subscriber: false };
  #outageLogged = false;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.nodeId = options.nodeId;
    this.#log = options.log;
    this.#client = newClient(options);
    this.#subscriber = this.#client.duplicate();
    for (
      const [name, client] of [["client", this.#client], ["subscriber", this.#subscriber]] as const
    ) {
      const events = client as unknown as Events;
      events.on("ready", () => this.#ready[name] = true);
      events.on("reconnecting", () => this.#ready[name] = false);
      events.on("end", () => this.#ready[name] = false);
      events.on("error", this.#failed);
    }
  }

  /** Connects and subscribes; a Redis that is not there yet is retried in the background. */
  start(): void {
    const connecting = (async () => {
      await Promise.all([this.#client.connect(), this.#subscriber.connect()]);
      await this.#subscriber.subscribe(CHANNEL, this.#onMessage);
    })();
    connecting.catch(this.#failed);
  }

  readonly #failed = (err: Error): void => {
    if (this.#closed || this.#outageLogged) return;
    this.#outageLogged = true;
    this.#log.warn("redis unavailable to the Socket.IO edge; its cross-node events are dropped", {
      node: this.nodeId,
      error: err,
    });
  };

  publish(message: BusMessage): void {
    if (!this.#ready.client || this.#closed) return;
    this.#outageLogged = false;
    this.#client.publish(CHANNEL, `${this.nodeId}\n${JSON.stringify(message)}`).catch(this.#failed);
  }

  readonly #onMessage = (text: string): void => {
    const cut = text.indexOf("\n");
    if (cut < 0 || text.slice(0, cut) === this.nodeId) return;
    const message = parseBusMessage(text.slice(cut + 1));
    if (!message) {
      this.#log.warn("dropped a malformed Socket.IO bus message", { from: text.slice(0, cut) });
      return;
    }
    try {
      this.onMessage(message);
    } catch (err) {
      this.#log.error("Socket.IO bus message failed", { error: err as Error });
    }
  };

  async close(): Promise<void> {
    this.#closed = true;
    for (const client of [this.#client, this.#subscriber]) {
      try {
        if (client.isOpen) await client.close();
      } catch {
        // Gone already.
      }
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // Gone already.
      }
    }
  }
}
