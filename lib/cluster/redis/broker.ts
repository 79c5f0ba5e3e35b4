/**
 * Delivery over Redis pub/sub: room frames on one channel per room, signals on one channel per
 * node, control messages on one channel for all. This node subscribes to a room's channel while
 * it has a local member there, once however many, so each frame reaches it once.
 *
 * Messages from other nodes are input like any other: each is checked before it reaches a session
 * or a socket (`validate.ts`, `node_channel.ts`, `control.ts`), and one that fails is counted and
 * dropped, with a log line at most once a second (`drops.ts`).
 *
 * It runs past 300 lines because it owns the node's pub/sub connection: every listener (rooms,
 * signals, claims, control) and the bookkeeping they share sit with the one subscriber.
 *
 * @module
 */

import type { Broker, ClusterInbox, SessionState, Signal } from "../seam.ts";
import type { StreamPosition } from "../../protocol/mod.ts";
import type { Logger } from "../../server/log.ts";
import type { RedisConnection } from "./connection.ts";
import {
  CONTROL,
  inboxKey,
  nodeChannel,
  nodeSignals,
  ROOM_PREFIX,
  roomChannel,
  SESSIONS,
} from "./keys.ts";
import { parseControl } from "./control.ts";
import { type HeardClaimed, type NodeMessage, parseNodeMessage } from "./node_channel.ts";
import { roomFrame, sessionState } from "./validate.ts";
import { Drops } from "./drops.ts";

export interface RedisBrokerOptions {
  redis: RedisConnection;
  nodeId: string;
  log: Logger;
  /** How long a signal that reached no node is kept for the node that adopts its session. */
  inboxTtlMs: number;
  /**
   * With resume on: a signal is kept until its node handled it, so that if the node dies first,
   * the node that adopts its sessions delivers it (`signal.lua`).
   */
  keepSignals?: boolean;
  /** A room stream's position now: where this node's delivery in a room it starts hearing begins. */
  position?: (room: string) => Promise<StreamPosition>;
}

/**
 * A claim's answer: the state, null (no such session there, or not this secret), or `retry` when
 * the node is stopping or did not answer in time, so the claimer should look again.
 */
export type ClaimAnswer = SessionState | null | "retry";

/** How long a node waits for another to hand a session over before it looks again. */
const CLAIM_WAIT_MS = 1000;

/**
 * How many session-to-node answers to remember. A session that moves is announced (`moved`), so
 * an entry goes stale only when that news is missed; the oldest go first.
 */
const LOCATION_CACHE = 10_000;

/**
 * How many claims that gave up waiting are remembered, so that their late answers are still
 * taken in (the other node has let the session go) while an answer to no claim is refused.
 */
const LATE_CLAIMS = 1000;

export class RedisBroker implements Broker {
  readonly #redis: RedisConnection;
  readonly #nodeId: string;
  readonly #log: Logger;
  /** Local members per room. */
  readonly #localRooms = new Map<string, number>();
  /** Room channels this node is subscribed to; may lag #localRooms while Redis is down. */
  readonly #subscribed = new Set<string>();
  readonly #locations = new Map<string, string>();
  /** Per local room, the last stream message delivered here, and the rooms changed since read. */
  readonly #seen = new Map<string, StreamPosition>();
  readonly #dirty = new Set<string>();
  readonly #claims = new Map<number, (answer: ClaimAnswer) => void>();
  readonly #lateClaims = new Set<number>();
  #nextRequest = 1;
  #inbox: ClusterInbox | undefined;
  #listening = false;
  /** Cross-node messages lost, for `/metrics`: not sent (Redis down), or received malformed. */
  readonly dropped = { unsent: 0, malformed: 0 };
  readonly #drops: Drops;
  /** Called when a node announces it is leaving: it should be reaped now. */
  onLeaving: (node: string) => void = () => {};

  readonly #options: RedisBrokerOptions;

  constructor(options: RedisBrokerOptions) {
    this.#options = options;
    this.#redis = options.redis;
    this.#nodeId = options.nodeId;
    this.#log = options.log;
    this.#drops = new Drops(this.dropped, options.log);
  }

  /**
   * Counts and logs (at most once a second) a message from another node or from Redis that was
   * refused: `what` it was, `where` it came from, and the error naming what is wrong with it.
   */
  refused(what: string, where: string, error: unknown): void {
    this.#drops.drop(what, where, error);
  }

  /** Hands traffic to `inbox` from now on; called before anything can arrive. */
  attach(inbox: ClusterInbox): void {
    this.#inbox = inbox;
  }

  /** Subscribes to this node's signals and to control messages. */
  async listen(): Promise<void> {
    await this.#redis.subscriber.subscribe(nodeChannel(this.#nodeId), this.#onSignal);
    await this.#redis.subscriber.subscribe(CONTROL, this.#onControl);
    this.#listening = true;
  }

  /** The connections underneath, for their state and timings. */
  get connection(): RedisConnection {
    return this.#redis;
  }

  /**
   * Whether frames and signals for this node reach it: the pub/sub connection is up and this node
   * listens on its own channel, the control channel and every local room's channel.
   */
  get subscribed(): boolean {
    const rooms = this.#subscribed.size === this.#localRooms.size;
    return this.#listening && this.#redis.subscriberUp && rooms;
  }

  publish(room: string, frame: string): void {
    if (this.#redis.down) return void this.dropped.unsent++;
    this.#redis.fireAndForget(
      this.#redis.client.publish(roomChannel(room), `${this.#nodeId}\n${frame}`),
    );
  }

  signal(signal: Signal): void {
    if (this.#redis.down) return void this.dropped.unsent++;
    const node = this.#locations.get(signal.to);
    if (node) {
      if (node !== this.#nodeId) this.#redis.fireAndForget(this.#publishSignal(node, signal));
      return;
    }
    this.#redis.fireAndForget(this.#lookUpAndSignal(signal));
  }

  /** Sends a signal straight to `node`, as a node that let a session go forwards its late ones. */
  forward(node: string, signal: Signal): void {
    if (this.#redis.down) return void this.dropped.unsent++;
    this.#redis.fireAndForget(this.#publishSignal(node, signal));
  }

  /**
   * Publishes a signal on its node's channel. When no node heard it (the node died, or the
   * session is moving), it waits in the session's inbox for the node that adopts the session.
   * With {@link RedisBrokerOptions.keepSignals}, one that a node heard is kept too until that node
   * handled it: Redis counts a node that died as listening until it reads its connection's close
   * (the moments a killed process takes to exit, or minutes for a host that hung or went off the
   * network), and the signal would be lost with the node.
   */
  async #publishSignal(node: string, signal: Signal): Promise<void> {
    const json = JSON.stringify(signal);
    const channel = nodeChannel(node);
    if (this.#options.keepSignals) {
      const { inboxTtlMs: ttlMs } = this.#options;
      return void await this.#redis.client.hubSignal({ node, to: signal.to, channel, json, ttlMs });
    }
    const heard = await this.#redis.client.publish(channel, json);
    if (heard > 0) return;
    const key = inboxKey(signal.to);
    await this.#redis.client.multi().rPush(key, json).pExpire(key, this.#options.inboxTtlMs).exec();
  }

  /** Asks `node` to hand session `sessionId` over; null when it will not or does not answer. */
  claim(node: string, sessionId: string, secret: string): Promise<ClaimAnswer> {
    const req = this.#nextRequest++;
    const { promise, resolve } = Promise.withResolvers<ClaimAnswer>();
    const timer = setTimeout(() => {
      this.#claims.get(req)?.("retry");
      this.#lateClaims.add(req);
      if (this.#lateClaims.size > LATE_CLAIMS) {
        this.#lateClaims.delete(this.#lateClaims.values().next().value!);
      }
    }, CLAIM_WAIT_MS);
    this.#claims.set(req, (answer) => {
      clearTimeout(timer);
      this.#claims.delete(req);
      resolve(answer);
    });
    const message: NodeMessage = { op: "claim", req, from: this.#nodeId, sessionId, secret };
    this.#redis.client.publish(nodeChannel(node), JSON.stringify(message))
      .catch((err: Error) => {
        this.#redis.failed(err);
        this.#claims.get(req)?.("retry");
      });
    return promise;
  }

  /** Where a session lives now, as another node announced. */
  moved(node: string, sessions: string[]): void {
    for (const id of sessions) this.#locate(id, node);
  }

  /** Remembers where a session is, forgetting the oldest answers past {@link LOCATION_CACHE}. */
  #locate(sessionId: string, node: string): void {
    this.#locations.delete(sessionId);
    this.#locations.set(sessionId, node);
    if (this.#locations.size > LOCATION_CACHE) {
      this.#locations.delete(this.#locations.keys().next().value!);
    }
  }

  /** The rooms whose last delivered message changed since the last call, and those now gone. */
  takeSeen(): { changed: [string, StreamPosition][]; gone: string[] } {
    const changed: [string, StreamPosition][] = [];
    const gone: string[] = [];
    for (const room of this.#dirty) {
      const position = this.#seen.get(room);
      if (position) changed.push([room, position]);
      else gone.push(room);
    }
    this.#dirty.clear();
    return { changed, gone };
  }

  /** Notes where a room's stream stood when this node started listening to it. */
  seenFrom(room: string, position: StreamPosition): void {
    if (this.#seen.has(room) || !this.#localRooms.has(room)) return;
    this.#seen.set(room, position);
    this.#dirty.add(room);
  }

  /** A signal to a session seen for the first time: where it is takes one `HGET`. */
  async #lookUpAndSignal(signal: Signal): Promise<void> {
    const node = await this.#redis.client.hGet(SESSIONS, signal.to) as string | null;
    if (!node) return;
    this.#locate(signal.to, node);
    if (node !== this.#nodeId) await this.#publishSignal(node, signal);
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
    if (this.#seen.delete(room)) this.#dirty.add(room);
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
      return;
    }
    // Until a message comes, the room's position now is where this node's delivery starts, so a
    // node that adopts its sessions after it died knows where their replays begin. Nobody waits
    // for it: a join is not held up by a read.
    this.#options.position?.(room).then((position) => this.seenFrom(room, position));
  }

  /** Messages from other nodes are input like any other: a bad one is counted and dropped. */
  #guard(what: string, handle: (message: string, channel: string) => void) {
    return (message: string, channel: string) => {
      try {
        handle(message, channel);
      } catch (err) {
        this.#drops.drop(what, channel, err);
      }
    };
  }

  readonly #onSignal = this.#guard("signal", (message, channel) => {
    const heard = parseNodeMessage(message);
    if (!("op" in heard)) {
      this.#inbox!.signal(heard);
      // Handled (delivered, buffered or handed on): no adopter of this node's sessions needs it.
      if (this.#options.keepSignals && !this.#redis.down) {
        this.#redis.fireAndForget(this.#redis.client.lRem(nodeSignals(this.#nodeId), 1, message));
      }
      return;
    }
    if (heard.op === "claimed") return this.#onClaimed(heard, channel);
    const { req, from, sessionId, secret } = heard;
    const forward = (signal: Signal) => this.forward(from, signal);
    this.#inbox!.release(sessionId, secret, forward).then((state) => {
      if (state && state !== "retry") this.#locate(state.sessionId, from);
      const answer: NodeMessage = state === "retry"
        ? { op: "claimed", req, state: null, retry: true }
        : { op: "claimed", req, state };
      return this.#redis.client.publish(nodeChannel(from), JSON.stringify(answer));
    }).catch(this.#redis.failed);
  });

  /** The answer to one of this node's claims, in time or late. */
  #onClaimed(message: HeardClaimed, channel: string): void {
    const waiting = this.#claims.get(message.req);
    if (!waiting && !this.#lateClaims.delete(message.req)) {
      throw new Error(`Claim answer ${message.req} answers no claim of this node`);
    }
    let answer: ClaimAnswer = message.retry ? "retry" : null;
    if (!message.retry && message.state !== null) {
      try {
        answer = sessionState(message.state, "Claim answer.state");
      } catch (err) {
        // The other node has let the session go, but nothing here could use what it sent: the
        // claim is answered at once, and the client gets a new session.
        this.#drops.drop("claim answer", channel, err);
      }
    }
    if (waiting) return waiting(answer);
    // Too late for the claim, but the other node has let the session go: it lives here now,
    // away, rather than nowhere.
    if (answer && answer !== "retry") {
      this.#inbox!.adopt([answer]).catch((error: Error) => {
        this.#log.warn("could not adopt a session handed over late", { error });
      });
    }
  }

  readonly #onControl = this.#guard("control", (message) => {
    const control = parseControl(message);
    if (control.kind === "moved") {
      if (control.node !== this.#nodeId) this.moved(control.node, control.sessions);
    } else if (control.kind === "leaving") {
      if (control.node !== this.#nodeId) this.onLeaving(control.node);
    } else if (control.kind === "gone") {
      for (const gone of control.sessions) this.#locations.delete(gone.sessionId);
      if (control.node !== this.#nodeId) this.#inbox!.gone(control.sessions);
    } else if (control.node !== this.#nodeId) {
      this.#inbox!.renamed(control.sessionId, control.name, control.rooms);
    }
  });

  /**
   * One listener for every room channel, so no channel can end up with two of them. A frame is
   * checked once here, whatever the number of local members, and only when some member would
   * get it; they get the text as it came.
   */
  readonly #onRoom = this.#guard("room frame", (message, channel) => {
    const room = channel.slice(ROOM_PREFIX.length);
    const cut = message.indexOf("\n");
    if (cut < 0) throw new Error("Room frame needs a node id line");
    // Frames this node published were delivered locally already (stream messages carry no node
    // id, and every node delivers them from here); a room with no local member left may still be
    // subscribed after an outage.
    const from = message.slice(0, cut);
    if (from === this.#nodeId || !this.#localRooms.has(room)) return;
    const frame = message.slice(cut + 1);
    const event = roomFrame(room, from, frame);
    if (event.type === "chat") {
      this.#seen.set(room, { epoch: event.data.epoch, offset: event.data.offset });
      this.#dirty.add(room);
    }
    this.#inbox!.room(room, frame);
  });
}
