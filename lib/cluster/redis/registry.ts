/**
 * Who is where, in Redis hashes each written only by the node that owns the entry: this node's
 * sessions and memberships, and reads of the other live nodes' share. Reads count a node as live
 * while its heartbeat is recent (`liveness.ts`), so a dead node stops counting before it is reaped.
 *
 * @module
 */

import type { Admission, ConversationEntry, Registry, SessionState, UserSession } from "../seam.ts";
import type { Member } from "../../protocol/mod.ts";
import type { Identity } from "../../hub/session.ts";
import { byAge, UserIndex } from "../user_index.ts";
import { ADMISSION_TTL_MS, LocalAdmissions } from "../admissions.ts";
import { encodeNamed } from "./entries.ts";
import type { RedisConnection } from "./connection.ts";
import type { RedisBroker } from "./broker.ts";
import type { Control } from "./control.ts";
import type { LiveView } from "./scripts.ts";
import {
  admitKey,
  CONTROL,
  nodeAway,
  nodeMembers,
  nodeSessions,
  ROOMS,
  sessionDmKey,
  sessionKey,
  SESSIONS,
  userKey,
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
  /** This node's share of `userSessions`, kept here so that it holds while Redis is down. */
  readonly #users = new UserIndex();
  /** This node's connections being admitted under `USER_CONNECTION_LIMIT`. */
  readonly #admissions = new LocalAdmissions(this.#users);

  constructor(options: RedisRegistryOptions) {
    this.#redis = options.redis;
    this.#broker = options.broker;
    this.#nodeId = options.nodeId;
    this.#aliveSince = options.aliveSince;
    this.#resumable = options.resumable;
  }

  sessionOpened(member: Member, connectedAt: number): Promise<void> {
    this.#users.opened(member, connectedAt);
    const { sessionId, userId, name } = member;
    return this.#redis.write(() => {
      const multi = this.#redis.client.multi()
        .hSet(SESSIONS, sessionId, this.#nodeId)
        .hSet(nodeSessions(this.#nodeId), sessionId, encodeNamed(userId, name));
      if (userId !== null) {
        multi.hSet(userKey(userId), sessionId, `${this.#nodeId}\n${connectedAt}`);
      }
      return multi.exec();
    });
  }

  sessionRenamed(member: Member, rooms: string[]): void {
    this.#users.renamed(member);
    if (this.#redis.down) return;
    const { sessionId, userId, name } = member;
    const control: Control = { kind: "renamed", node: this.#nodeId, sessionId, name, rooms };
    this.#redis.fireAndForget(this.#redis.client.hubRename({
      node: this.#nodeId,
      sessionId,
      userId,
      name,
      rooms,
      channel: CONTROL,
      message: JSON.stringify(control),
    }));
  }

  sessionClosed(sessionId: string): void {
    const userId = this.#users.userOf(sessionId);
    this.#users.closed(sessionId);
    if (this.#redis.down) return;
    const multi = this.#redis.client.multi()
      .hDel(SESSIONS, sessionId)
      .hDel(nodeSessions(this.#nodeId), sessionId)
      .sRem(nodeAway(this.#nodeId), sessionId);
    if (userId !== undefined) multi.hDel(userKey(userId), sessionId);
    if (this.#resumable) multi.del([sessionKey(sessionId), sessionDmKey(sessionId)]);
    this.#redis.fireAndForget(multi.exec());
  }

  sessionSaved(
    member: Member,
    connectedAt: number,
    hashOf: () => string,
    identity?: Identity,
  ): void {
    if (this.#redis.down || !this.#resumable) return;
    const secretHash = hashOf();
    const { sessionId, name } = member;
    const key = sessionKey(sessionId);
    const record: Record<string, string> = { name, connectedAt: String(connectedAt), secretHash };
    if (identity) record.identity = JSON.stringify(identity);
    this.#redis.fireAndForget(
      this.#redis.client.multi()
        .hSet(key, record)
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
    const { sessionId, userId, name, connectedAt } = state;
    this.#users.opened({ sessionId, userId, name }, connectedAt, away);
    return this.#redis.write(() => {
      const multi = this.#redis.client.multi()
        .hSet(SESSIONS, sessionId, this.#nodeId)
        .hSet(nodeSessions(this.#nodeId), sessionId, encodeNamed(userId, name));
      if (userId !== null) {
        multi.hSet(userKey(userId), sessionId, `${this.#nodeId}\n${connectedAt}`);
      }
      if (away) multi.sAdd(nodeAway(this.#nodeId), sessionId);
      const moved: Control = { kind: "moved", node: this.#nodeId, sessions: [sessionId] };
      return multi.publish(CONTROL, JSON.stringify(moved)).exec();
    });
  }

  sessionReleased(sessionId: string, rooms: string[]): void {
    // Its user's entry now names the node that took it (`sessionAdopted` there).
    this.#users.closed(sessionId);
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
    this.#users.away(sessionId, true);
    if (this.#redis.down) return;
    this.#redis.fireAndForget(this.#redis.client.sAdd(nodeAway(this.#nodeId), sessionId));
  }

  sessionBack(sessionId: string): void {
    this.#users.away(sessionId, false);
    if (this.#redis.down) return;
    this.#redis.fireAndForget(this.#redis.client.sRem(nodeAway(this.#nodeId), sessionId));
  }

  async joined(room: string, member: Member): Promise<void> {
    const written = this.#redis.write(() =>
      this.#redis.client.hubJoin({ node: this.#nodeId, room, sessionId: member.sessionId }, member)
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

  async userSessions(userId: string): Promise<UserSession[]> {
    const remote = await this.#redis.read(
      [],
      () => this.#redis.client.hubUsers(this.#view(), userId),
    );
    return this.#users.sessions(userId).concat(remote).sort(byAge);
  }

  /**
   * Holds the place here first, which stands alone while Redis is down, then in Redis, where the
   * script checks every node's sessions and places and holds it in one step.
   */
  async admit(userId: string, limit: number, resuming?: string): Promise<Admission | null> {
    const local = this.#admissions.admit(userId, limit, resuming);
    if (local === null) return null;
    const place = { userId, limit, id: crypto.randomUUID(), ttlMs: ADMISSION_TTL_MS, resuming };
    const held = await this.#redis.read(
      undefined,
      () => this.#redis.client.hubAdmit(this.#aliveSince(), place),
    );
    if (held === false) {
      local.release();
      return null;
    }
    if (held === undefined) return local;
    return {
      release: () => {
        local.release();
        // A place that cannot be given back now lapses on its own.
        if (this.#redis.down) return;
        this.#redis.fireAndForget(this.#redis.client.zRem(admitKey(userId), place.id));
      },
    };
  }

  #view(): LiveView {
    return { self: this.#nodeId, aliveSince: this.#aliveSince() };
  }
}
