/**
 * Which nodes are alive, and what happens to those that are not. With `nodeTtlMs` = T: each node
 * refreshes its heartbeat in `hub:nodes` every T/5; a node whose heartbeat is older than 3T/5
 * counts as gone in every read, and the reaper, which runs every T/5 on every node, removes its
 * entries and tells every node which sessions went with it. So a killed node disappears from every
 * view within T.
 *
 * A node that finds itself missing from `hub:nodes` (it was reaped after a pause, or Redis lost
 * its data), or whose connections come back after an outage, rewrites its whole state.
 *
 * @module
 */

import type { ClusterInbox } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import type { RedisConnection } from "./connection.ts";
import type { RedisBroker } from "./broker.ts";
import type { Control } from "./control.ts";
import { CONTROL, nodeAway, NODES, nodeSeen, nodeSessions, SESSIONS, userKey } from "./keys.ts";
import { encodeNamed } from "./entries.ts";
import { encodeSeen, type Orphans } from "./replies.ts";

export interface LivenessOptions {
  redis: RedisConnection;
  /** Re-subscribes to this node's rooms when its state is rewritten. */
  broker: RedisBroker;
  nodeId: string;
  nodeTtlMs: number;
  log: Logger;
  /**
   * With resume on, the sessions of a node that stopped or died are adopted rather than gone:
   * this takes them in. Absent with resume off.
   */
  adopt?: (orphans: Orphans) => Promise<void>;
  /** Whether this node saved its sessions for others to adopt as it stops. */
  evacuated?: () => boolean;
  /** Whether this node is stopping: it claims no other node, whose sessions it could not save. */
  stopping?: () => boolean;
}

export class Liveness {
  readonly #redis: RedisConnection;
  readonly #broker: RedisBroker;
  readonly #nodeId: string;
  readonly #nodeTtlMs: number;
  readonly #deadAfterMs: number;
  readonly #log: Logger;
  readonly #options: LivenessOptions;
  #inbox: ClusterInbox | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: LivenessOptions) {
    this.#options = options;
    this.#redis = options.redis;
    this.#broker = options.broker;
    this.#nodeId = options.nodeId;
    this.#nodeTtlMs = options.nodeTtlMs;
    this.#deadAfterMs = Math.round(options.nodeTtlMs * 3 / 5);
    this.#log = options.log;
  }

  /** The oldest heartbeat that still counts as alive, now. */
  readonly aliveSince = (): number => Date.now() - this.#deadAfterMs;

  /** Reads this node's state from `inbox` whenever it is rewritten. */
  attach(inbox: ClusterInbox): void {
    this.#inbox = inbox;
  }

  /** Starts the heartbeat and the reaper. */
  start(): void {
    const tick = Math.max(50, Math.round(this.#nodeTtlMs / 5));
    this.#timer = setInterval(() => void this.#tick(), tick);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Leaving at once, rather than waiting to be reaped: peers hear of it now. A node that saved its
   * sessions asks the others to adopt them; otherwise its sessions are gone.
   */
  async leave(): Promise<void> {
    if (!this.#options.evacuated?.()) return await this.reap(this.#nodeId, false);
    const control: Control = { kind: "leaving", node: this.#nodeId };
    // Listed as long dead rather than unlisted: a node that missed the news, or one that starts
    // later, still finds it in the reaper's sweep and adopts its sessions.
    await this.#redis.client.multi().zAdd(NODES, { score: 0, value: this.#nodeId })
      .publish(CONTROL, JSON.stringify(control)).exec();
  }

  async #tick(): Promise<void> {
    // The heartbeat needs only the command connection: a node that can still write stays alive.
    if (!this.#redis.commandsUp || this.#redis.closed) return;
    const client = this.#redis.client;
    try {
      const added = await client.zAdd(NODES, { score: Date.now(), value: this.#nodeId });
      // Listed anew: this node was reaped (a long pause) or Redis lost its data.
      if (added === 1) {
        await client.zRem(NODES, this.#nodeId);
        await this.resync();
      }
      await this.#writeSeen();
      const dead = await client.zRangeByScore(NODES, "-inf", this.aliveSince() - 1);
      for (const node of dead) if (node !== this.#nodeId) await this.reap(node, true);
    } catch (err) {
      this.#redis.outage(err as Error);
    }
  }

  /**
   * Where this node's rooms' streams stood at their last delivery here, so that a node adopting
   * its sessions after it died knows where their replays start.
   */
  async #writeSeen(): Promise<void> {
    const { changed, gone } = this.#broker.takeSeen();
    if (changed.length === 0 && gone.length === 0) return;
    const key = nodeSeen(this.#nodeId);
    const multi = this.#redis.client.multi();
    if (changed.length > 0) {
      multi.hSet(key, Object.fromEntries(changed.map(([room, p]) => [room, encodeSeen(p)])));
    }
    if (gone.length > 0) multi.hDel(key, gone);
    await multi.exec();
  }

  /**
   * Claims a node that stopped or died: with resume on, this node adopts its sessions; otherwise
   * its entries go and every node hears which sessions went with it.
   */
  async reap(node: string, claim: boolean): Promise<void> {
    const adopt = this.#options.adopt;
    if (adopt && node !== this.#nodeId) {
      // Left listed as dead for a node that stays.
      if (this.#options.stopping?.()) return;
      const orphans = await this.#redis.client.hubOrphan({
        node,
        claim,
        aliveSince: this.aliveSince(),
      });
      if (orphans.sessions.length > 0) {
        this.#log.warn("claimed a node that stopped", { node, sessions: orphans.sessions.length });
      }
      await adopt(orphans);
      return;
    }
    await this.#reapGone(node, claim);
  }

  /** Removes a node's entries and tells every node which sessions went with it. */
  async #reapGone(node: string, claim: boolean): Promise<void> {
    const sessions = await this.#redis.client.hubReap({
      node,
      claim,
      aliveSince: this.aliveSince(),
    });
    if (claim) this.#log.warn("reaped silent node", { node, sessions: sessions.length });
    if (sessions.length === 0 && claim) return;
    const control: Control = { kind: "gone", node, sessions };
    await this.#redis.client.publish(CONTROL, JSON.stringify(control));
  }

  /** Lets go of the local sessions that Redis routes to another node: it adopted them. */
  async #abandonAdopted(inbox: ClusterInbox): Promise<void> {
    const ids = inbox.snapshot().map((s) => s.sessionId);
    if (ids.length === 0) return;
    const owners = await this.#redis.client.hmGet(SESSIONS, ids) as (string | null)[];
    const taken = ids.filter((_, i) => owners[i] !== null && owners[i] !== this.#nodeId);
    if (taken.length === 0) return;
    this.#log.warn("sessions adopted elsewhere while cut off; letting them go", {
      node: this.#nodeId,
      sessions: taken.length,
    });
    inbox.abandon(taken);
  }

  /** Rewrites this node's whole state, after an outage or after being reaped. */
  async resync(): Promise<void> {
    const client = this.#redis.client;
    const inbox = this.#inbox!;
    try {
      // Missing from the node list: reaped, or Redis lost its data. Either way other nodes may
      // have been told this node's sessions are gone.
      const reaped = await client.zScore(NODES, this.#nodeId) === null;
      // Rooms first joined while Redis was down have no subscription yet. Subscribing comes
      // before this node is listed again, so whoever sees it counted can also reach its members.
      await this.#broker.resubscribe();
      // Sessions another node adopted while this one was cut off are that node's now.
      if (this.#options.adopt) await this.#abandonAdopted(inbox);
      // Entries from before the outage may be stale; start from nothing, without telling anyone.
      await client.hubReap({ node: this.#nodeId, claim: false, aliveSince: 0 });
      const multi = client.multi();
      multi.zAdd(NODES, { score: Date.now(), value: this.#nodeId });
      for (const session of inbox.snapshot()) {
        const { sessionId, userId, name } = session;
        multi.hSet(SESSIONS, sessionId, this.#nodeId);
        multi.hSet(nodeSessions(this.#nodeId), sessionId, encodeNamed(userId, name));
        if (session.away) multi.sAdd(nodeAway(this.#nodeId), sessionId);
        if (userId !== null) {
          multi.hSet(userKey(userId), sessionId, `${this.#nodeId}\n${session.connectedAt}`);
        }
      }
      await multi.exec();
      await Promise.all(
        inbox.snapshot().flatMap((s) =>
          s.rooms.map((room) =>
            client.hubJoin({ node: this.#nodeId, room, sessionId: s.sessionId }, s)
          )
        ),
      );
      inbox.resynced(reaped);
    } catch (err) {
      this.#redis.outage(err as Error);
    }
  }
}
