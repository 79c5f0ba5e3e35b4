/**
 * Delivery over Redis pub/sub: room frames on one channel per room, signals on one channel per
 * node, control messages on one channel for all. This node subscribes to a room's channel while
 * it has a local member there, once however many, so each frame reaches it once.
 *
 * Messages from other nodes are input like any other: a malformed one is logged and dropped.
 *
 * @module
 */

import type { Broker, ClusterInbox, Signal } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import type { RedisConnection } from "./connection.ts";
import { CONTROL, nodeChannel, ROOM_PREFIX, roomChannel, SESSIONS } from "./keys.ts";
import { parseControl } from "./control.ts";

export interface RedisBrokerOptions {
  redis: RedisConnection;
  nodeId: string;
  log: Logger;
}

/** How many session-to-node answers to remember; sessions never move, so entries never go stale. */
const LOCATION_CACHE = 10_000;

export class RedisBroker implements Broker {
  readonly #redis: RedisConnection;
  readonly #nodeId: string;
  readonly #log: Logger;
  /** Local members per room. */
  readonly #localRooms = new Map<string, number>();
  /** Room channels this node is subscribed to; may lag #localRooms while Redis is down. */
  readonly #subscribed = new Set<string>();
  readonly #locations = new Map<string, string>();
  #inbox: ClusterInbox | undefined;

  constructor(options: RedisBrokerOptions) {
    this.#redis = options.redis;
    this.#nodeId = options.nodeId;
    this.#log = options.log;
  }

  /** Hands traffic to `inbox` from now on; called before anything can arrive. */
  attach(inbox: ClusterInbox): void {
    this.#inbox = inbox;
  }

  /** Subscribes to this node's signals and to control messages. */
  async listen(): Promise<void> {
    await this.#redis.subscriber.subscribe(nodeChannel(this.#nodeId), this.#onSignal);
    await this.#redis.subscriber.subscribe(CONTROL, this.#onControl);
  }

  publish(room: string, frame: string): void {
    if (this.#redis.down) return;
    this.#redis.fireAndForget(
      this.#redis.client.publish(roomChannel(room), `${this.#nodeId}\n${frame}`),
    );
  }

  signal(signal: Signal): void {
    if (this.#redis.down) return;
    const node = this.#locations.get(signal.to);
    if (node) {
      if (node !== this.#nodeId) {
        this.#redis.fireAndForget(
          this.#redis.client.publish(nodeChannel(node), JSON.stringify(signal)),
        );
      }
      return;
    }
    this.#redis.fireAndForget(this.#lookUpAndSignal(signal));
  }

  /** A signal to a session seen for the first time: where it is takes one `HGET`. */
  async #lookUpAndSignal(signal: Signal): Promise<void> {
    const node = await this.#redis.client.hGet(SESSIONS, signal.to) as string | null;
    if (!node) return;
    if (this.#locations.size >= LOCATION_CACHE) {
      this.#locations.delete(this.#locations.keys().next().value!);
    }
    this.#locations.set(signal.to, node);
    if (node !== this.#nodeId) {
      await this.#redis.client.publish(nodeChannel(node), JSON.stringify(signal));
    }
  }

  /** Counts a local member of `room`; resolves once frames published there reach this node. */
  roomJoined(room: string): Promise<void> {
    this.#localRooms.set(room, (this.#localRooms.get(room) ?? 0) + 1);
    return this.#subscribe(room);
  }

  /** Uncounts a local member of `room`; the last one out unsubscribes. */
  roomLeft(room: string): void {
    const count = (this.#localRooms.get(room) ?? 1) - 1;
    if (count > 0) {
      this.#localRooms.set(room, count);
      return;
    }
    this.#localRooms.delete(room);
    if (this.#subscribed.delete(room)) {
      this.#redis.subscriber.unsubscribe(roomChannel(room)).catch(this.#redis.failed);
    }
  }

  /** This node's members of `room`. */
  localMembers(room: string): number {
    return this.#localRooms.get(room) ?? 0;
  }

  /** Subscribes to every room with a local member, e.g. those first joined while Redis was down. */
  async resubscribe(): Promise<void> {
    await Promise.all([...this.#localRooms.keys()].map((room) => this.#subscribe(room)));
  }

  /** Subscribes to a room's channel once, however many local members it has. */
  async #subscribe(room: string): Promise<void> {
    if (this.#subscribed.has(room) || this.#redis.down) return;
    this.#subscribed.add(room);
    try {
      await this.#redis.subscriber.subscribe(roomChannel(room), this.#onRoom);
    } catch (err) {
      // Not subscribed after all; the resync after the outage tries again.
      this.#subscribed.delete(room);
      this.#redis.outage(err as Error);
    }
  }

  /** Messages from other nodes are input like any other: a bad one is logged and dropped. */
  #guard(what: string, handle: (message: string, channel: string) => void) {
    return (message: string, channel: string) => {
      try {
        handle(message, channel);
      } catch (err) {
        this.#log.warn("dropped a malformed cluster message", {
          channel,
          what,
          error: err as Error,
        });
      }
    };
  }

  readonly #onSignal = this.#guard("signal", (message) => {
    const signal = JSON.parse(message) as Signal;
    if (typeof signal?.to !== "string" || typeof signal.from !== "string") {
      throw new Error("A signal needs string to and from");
    }
    this.#inbox!.signal(signal);
  });

  readonly #onControl = this.#guard("control", (message) => {
    const control = parseControl(message);
    if (control.kind === "gone") {
      for (const gone of control.sessions) this.#locations.delete(gone.sessionId);
      if (control.node !== this.#nodeId) this.#inbox!.gone(control.sessions);
    } else if (control.node !== this.#nodeId) {
      this.#inbox!.renamed(control.sessionId, control.name, control.rooms);
    }
  });

  /** One listener for every room channel, so no channel can end up with two of them. */
  readonly #onRoom = this.#guard("room frame", (message, channel) => {
    const room = channel.slice(ROOM_PREFIX.length);
    const cut = message.indexOf("\n");
    if (cut < 0) throw new Error(`A room frame needs a node id line (${channel})`);
    // Frames this node published were delivered locally already (stream messages carry no node
    // id, and every node delivers them from here); a room with no local member left may still be
    // subscribed after an outage.
    if (message.slice(0, cut) === this.#nodeId || !this.#localRooms.has(room)) return;
    this.#inbox!.room(room, message.slice(cut + 1));
  });
}
