/**
 * Who is where, in Redis hashes each written only by the node that owns the entry: this node's
 * sessions and memberships, and reads of the other live nodes' share. Reads count a node as live
 * while its heartbeat is recent (`liveness.ts`), so a dead node stops counting before it is reaped.
 *
 * @module
 */

import type { ConversationEntry, Registry, SessionState } from "../seam.ts";
import type { Member } from "../../protocol/mod.ts";
import type { RedisConnection } from "./connection.ts";
import type { RedisBroker } from "./broker.ts";
import type { Control } from "./control.ts";
import type { LiveView } from "./scripts.ts";
import {
  CONTROL,
  nodeAway,
  nodeMembers,
  nodeSessions,
  ROOMS,
  sessionDmKey,
  sessionKey,
  SESSIONS,
} from "./keys.ts";

/** How long a session's saved record outlives its last welcome, if nobody ends it. */
const SAVED_TTL_MS = 86_400_000;

export interface RedisRegistryOptions {
  redis: RedisConnection;
  /** Room subscriptions follow this node's memberships. */
  broker: RedisBroker;
  nodeId: string;
  /** The oldest heartbeat that still counts as alive, now. */
  aliveSince: () => number;
  /**
   * Whether sessions can be resumed (`RESUME_TTL_MS` > 0). Only then is what a rebuild needs
   * written (session records, conversations): with resume off no node rebuilds a session.
   */
  resumable: boolean;
}

export class RedisRegistry implements Registry {
  readonly #redis: RedisConnection;
  readonly #broker: RedisBroker;
  readonly #nodeId: string;
  readonly #aliveSince: () => number;
  readonly #resumable: boolean;

  constructor(options: RedisRegistryOptions) {
    this.#redis = options.redis;
    this.#broker = options.broker;
    this.#nodeId = options.nodeId;
    this.#aliveSince = options.aliveSince;
    this.#resumable = options.resumable;
  }

  sessionOpened(sessionId: string, name: string): Promise<void> {
    return this.#redis.write(() =>
      this.#redis.client.multi()
        .hSet(SESSIONS, sessionId, this.#nodeId)
        .hSet(nodeSessions(this.#nodeId), sessionId, name)
        .exec()
    );
  }

  sessionRenamed(sessionId: string, name: string, rooms: string[]): void {
    if (this.#redis.down) return;
    const control: Control = { kind: "renamed", node: this.#nodeId, sessionId, name, rooms };
    this.#redis.fireAndForget(this.#redis.client.hubRename({
      node: this.#nodeId,
      sessionId,
      name,
      rooms,
      channel: CONTROL,
      message: JSON.stringify(control),
    }));
  }

  sessionClosed(sessionId: string): void {
    if (this.#redis.down) return;
    const multi = this.#redis.client.multi()
      .hDel(SESSIONS, sessionId)
      .hDel(nodeSessions(this.#nodeId), sessionId)
      .sRem(nodeAway(this.#nodeId), sessionId);
    if (this.#resumable) multi.del([sessionKey(sessionId), sessionDmKey(sessionId)]);
    this.#redis.fireAndForget(multi.exec());
  }

  sessionSaved(sessionId: string, name: string, connectedAt: number, secretHash: string): void {
    if (this.#redis.down || !this.#resumable) return;
    const key = sessionKey(sessionId);
    this.#redis.fireAndForget(
      this.#redis.client.multi()
        .hSet(key, { name, connectedAt: String(connectedAt), secretHash })
        .pExpire(key, SAVED_TTL_MS)
        .exec(),
    );
  }

  conversation(sessionId: string, other: string, entry: ConversationEntry | null): void {
    if (this.#redis.down || !this.#resumable) return;
    const key = sessionDmKey(sessionId);
    this.#redis.fireAndForget(
      entry === null
        ? this.#redis.client.hDel(key, other)
        : this.#redis.client.multi().hSet(key, other, JSON.stringify(entry))
          .pExpire(key, SAVED_TTL_MS).exec(),
    );
  }

  sessionAdopted(state: SessionState, away: boolean): Promise<void> {
    const { sessionId, name } = state;
    return this.#redis.write(() => {
      const multi = this.#redis.client.multi()
        .hSet(SESSIONS, sessionId, this.#nodeId)
        .hSet(nodeSessions(this.#nodeId), sessionId, name);
      if (away) multi.sAdd(nodeAway(this.#nodeId), sessionId);
      const moved: Control = { kind: "moved", node: this.#nodeId, sessions: [sessionId] };
      return multi.publish(CONTROL, JSON.stringify(moved)).exec();
    });
  }

  sessionReleased(sessionId: string, rooms: string[]): void {
    for (const room of rooms) this.#broker.roomLeft(room);
    if (this.#redis.down) return;
    const multi = this.#redis.client.multi()
      .hDel(nodeSessions(this.#nodeId), sessionId)
      .sRem(nodeAway(this.#nodeId), sessionId);
    // Only this node's list of what to reap: the room lists now name the node that has it.
    for (const room of rooms) multi.sRem(nodeMembers(this.#nodeId), `${room}\n${sessionId}`);
    this.#redis.fireAndForget(multi.exec());
  }

  sessionAway(sessionId: string): void {
    if (this.#redis.down) return;
    this.#redis.fireAndForget(this.#redis.client.sAdd(nodeAway(this.#nodeId), sessionId));
  }

  sessionBack(sessionId: string): void {
    if (this.#redis.down) return;
    this.#redis.fireAndForget(this.#redis.client.sRem(nodeAway(this.#nodeId), sessionId));
  }

  async joined(room: string, sessionId: string, name: string): Promise<void> {
    const written = this.#redis.write(() =>
      this.#redis.client.hubJoin({ node: this.#nodeId, room, sessionId }, name)
    );
    await Promise.all([written, this.#broker.roomJoined(room)]);
  }

  left(room: string, sessionId: string): Promise<void> {
    const written = this.#redis.write(() =>
      this.#redis.client.hubLeave({ node: this.#nodeId, room, sessionId })
    );
    this.#broker.roomLeft(room);
    return written;
  }

  remoteCount(): Promise<number> {
    return this.#redis.read(0, () => this.#redis.client.hubCount(this.#view()));
  }

  remoteMembers(room: string): Promise<Member[]> {
    return this.#redis.read([], () => this.#redis.client.hubMembers(this.#view(), room));
  }

  remoteRooms(): Promise<Map<string, number>> {
    return this.#redis.read(new Map(), async () => {
      const all = await this.#redis.client.hGetAll(ROOMS) as Record<string, string>;
      const sizes = new Map<string, number>();
      for (const [room, size] of Object.entries(all)) {
        const remote = Number(size) - this.#broker.localMembers(room);
        if (remote > 0) sizes.set(room, remote);
      }
      return sizes;
    });
  }

  locate(sessionId: string): Promise<boolean> {
    // Not from the broker's location cache: a session that closed is still cached.
    return this.#redis.read(false, () => this.#redis.client.hubLocate(this.#view(), sessionId));
  }

  #view(): LiveView {
    return { self: this.#nodeId, aliveSince: this.#aliveSince() };
  }
}
