/**
 * Sessions moving between nodes over Redis, so a client can resume on any node:
 *
 * - **Claim.** A resume lands on a node that does not have the session. Redis says which node
 *   does; a live one is asked on its node channel to hand the session over (`broker.ts`), and
 *   answers its state. A node that stopped or died is first claimed and its sessions adopted
 *   here (`orphan.lua`), after which the resume is an ordinary one.
 * - **Evacuate.** A node that stops (SIGTERM, SIGINT) saves every session's state in Redis and
 *   stays listed as long dead; the first node to hear it, or to sweep for dead nodes, claims
 *   them all.
 * - **Rebuild.** A node killed without warning saved nothing, so its sessions are rebuilt from
 *   what Redis keeps for each (`sessionKey`: name, start, the hash of its token's secret;
 *   `sessionDmKey`: its conversations) and where their rooms' streams stood at the node's last
 *   heartbeat.
 * - **Inbox.** A signal that reached no node while its session moved waits in Redis for the node
 *   that takes the session in; so do the signals a node heard and never handled before it died
 *   (`signal.lua`), which its adopter takes with its sessions.
 *
 * What is read back from Redis is checked like any cross-node message (`validate.ts`): a bad entry
 * costs that entry (a signal, a conversation) or that session, never the others, and is counted
 * with the broker's dropped messages.
 *
 * @module
 */

import type { ClusterInbox, Handover, SessionState, Signal } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import type { StreamPosition } from "../../protocol/mod.ts";
import type { RedisConnection } from "./connection.ts";
import type { RedisBroker } from "./broker.ts";
import { inboxKey, NODES, nodeStates, sessionDmKey, sessionKey, SESSIONS } from "./keys.ts";
import type { Orphans } from "./replies.ts";
import { name, object, sessionState, signal, time } from "./validate.ts";
import { hashSecret } from "../../hub/tokens.ts";

export interface RedisHandoverOptions {
  redis: RedisConnection;
  broker: RedisBroker;
  nodeId: string;
  log: Logger;
  /** How long an away session waits to be resumed. */
  resumeTtlMs: number;
  /** The oldest heartbeat that still counts as alive, now. */
  aliveSince: () => number;
  /** Claims a node that stopped or died, adopting its sessions here (`liveness.ts`). */
  reap: (node: string, claim: boolean) => Promise<void>;
}

/**
 * How long a claim keeps following a session that is moving (its node stopping, or adopted
 * elsewhere meanwhile) before the client gets a new session instead.
 */
const CLAIM_DEADLINE_MS = 8000;

export class RedisHandover implements Handover {
  readonly #options: RedisHandoverOptions;
  #inbox: ClusterInbox | undefined;
  #evacuated = false;
  #stopping = false;
  /** Per session being adopted, the signals its node's channel carried that it never handled. */
  readonly #unhandled = new Map<string, Signal[]>();

  constructor(options: RedisHandoverOptions) {
    this.#options = options;
  }

  attach(inbox: ClusterInbox): void {
    this.#inbox = inbox;
  }

  /** This node is stopping: it saves its own sessions and takes no more in. */
  stop(): void {
    this.#stopping = true;
  }

  /** Whether {@link stop} was called: sessions this node took in now would not be saved. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Whether this node saved its sessions for others to adopt, rather than ending them. */
  get evacuated(): boolean {
    return this.#evacuated;
  }

  async claim(sessionId: string, secret: string): Promise<SessionState | "local" | null> {
    const { redis, broker, nodeId } = this.#options;
    if (redis.down || this.#stopping) return null;
    const deadline = Date.now() + CLAIM_DEADLINE_MS;
    try {
      for (let pause = 25; Date.now() < deadline; pause = Math.min(pause * 2, 400)) {
        const node = await redis.client.hGet(SESSIONS, sessionId) as string | null;
        if (!node) return null;
        if (node === nodeId) return "local";
        const seen = await redis.client.zScore(NODES, node);
        if (seen !== null && seen >= this.#options.aliveSince()) {
          const answer = await broker.claim(node, sessionId, secret);
          if (answer !== "retry") return answer;
          // The node is stopping (its sessions are being saved for adoption) or did not answer:
          // look again shortly, when it has left the node list or answers.
        } else {
          // Stopped or silent: adopt its sessions here, then look again.
          await this.#options.reap(node, seen !== null);
          if (await redis.client.hGet(SESSIONS, sessionId) === nodeId) return "local";
          // Another node claimed it first and is still taking its sessions in: they stay routed
          // to the old node until it has, so look again shortly rather than at once.
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    } catch (err) {
      redis.failed(err as Error);
    }
    return null;
  }

  async evacuate(states: SessionState[]): Promise<void> {
    const { redis, nodeId, resumeTtlMs } = this.#options;
    if (redis.down || states.length === 0) return;
    const key = nodeStates(nodeId);
    const multi = redis.client.multi();
    for (const state of states) multi.hSet(key, state.sessionId, JSON.stringify(state));
    await multi.pExpire(key, resumeTtlMs).exec();
    this.#evacuated = true;
  }

  async drain(sessionId: string): Promise<Signal[]> {
    const { redis } = this.#options;
    // Those its dead node heard come first: the inbox has what was sent once nobody heard.
    const signals = this.#unhandled.get(sessionId) ?? [];
    this.#unhandled.delete(sessionId);
    if (redis.down) return signals;
    const key = inboxKey(sessionId);
    try {
      const [items] = await redis.client.multi().lRange(key, 0, -1).del(key).exec() as unknown as [
        string[],
      ];
      for (const item of items) {
        try {
          const checked = signal(JSON.parse(item), "Inbox signal");
          if (checked.to !== sessionId) throw new Error(`Inbox signal is for ${checked.to}`);
          signals.push(checked);
        } catch (err) {
          // A malformed entry costs that signal, not the others.
          this.#options.broker.refused("inbox signal", key, err);
        }
      }
      return signals;
    } catch (err) {
      redis.failed(err as Error);
      return signals;
    }
  }

  /** Takes in the sessions of a node this node claimed: saved states, or rebuilt ones. */
  async adoptOrphans(orphans: Orphans): Promise<void> {
    if (orphans.sessions.length === 0) return;
    const { broker, nodeId } = this.#options;
    const saved = new Map<string, SessionState>();
    for (const [id, json] of orphans.states) {
      try {
        const state = sessionState(JSON.parse(json), "Saved state");
        if (state.sessionId !== id) throw new Error(`Saved state of ${id} is ${state.sessionId}'s`);
        saved.set(id, state);
      } catch (err) {
        // A state that does not parse is rebuilt from the session's record, like a dead node's.
        broker.refused("saved state", "a stopped node's states", err);
      }
    }
    const rebuilt = orphans.sessions.filter((s) => !saved.has(s.sessionId));
    const records = await this.#records(rebuilt.map((s) => s.sessionId));
    const until = Date.now() + this.#options.resumeTtlMs;
    const states: SessionState[] = [];
    for (const session of orphans.sessions) {
      const state = saved.get(session.sessionId);
      if (state) {
        // Saved as the node stopped, with the window each had (away ones already part spent).
        states.push({ ...state, awayUntil: state.awayUntil ?? until });
        continue;
      }
      const { record, dms } = records.get(session.sessionId)!;
      const lastOffsets: Record<string, StreamPosition> = {};
      for (const room of session.rooms) {
        const seen = orphans.seen.get(room);
        if (seen) lastOffsets[room] = seen;
      }
      const rebuilt: SessionState = {
        sessionId: session.sessionId,
        userId: session.userId,
        name: session.name,
        connectedAt: Number(record.connectedAt) || Date.now(),
        // A record from a node of the version before holds the secret itself.
        secretHash: record.secretHash ?? (record.secret ? hashSecret(record.secret) : ""),
        rooms: session.rooms,
        ...this.#conversations(session.sessionId, dms),
        frames: [],
        lastOffsets,
      };
      // Its token's claims, checked with the rest of the state below.
      try {
        if (record.identity) rebuilt.identity = JSON.parse(record.identity);
      } catch (err) {
        broker.refused("session record", sessionKey(session.sessionId), err);
      }
      if (session.away) {
        rebuilt.awayUntil = until;
        // What it missed while away was buffered in the dead node's memory.
        rebuilt.lost = true;
      }
      try {
        states.push(sessionState(rebuilt, "Rebuilt state"));
      } catch (err) {
        broker.refused("session record", sessionKey(session.sessionId), err);
      }
    }
    this.#options.log.warn("adopting sessions of a node that stopped", {
      node: nodeId,
      sessions: states.length,
    });
    const adopting = new Set(states.map((s) => s.sessionId));
    for (const item of orphans.signals) {
      try {
        const checked = signal(JSON.parse(item), "Unhandled signal");
        if (adopting.has(checked.to)) {
          this.#unhandled.set(checked.to, [...this.#unhandled.get(checked.to) ?? [], checked]);
        } else {
          // Its session had moved on from the node, which would have handed the signal on.
          broker.signal(checked);
        }
      } catch (err) {
        broker.refused("unhandled signal", "a dead node's signals", err);
      }
    }
    try {
      await this.#inbox!.adopt(states);
    } finally {
      for (const id of adopting) this.#unhandled.delete(id);
    }
  }

  /** Each session's saved record and conversations, in one round trip. */
  async #records(ids: string[]) {
    const out = new Map<string, { record: Record<string, string>; dms: Record<string, string> }>();
    if (ids.length === 0) return out;
    const multi = this.#options.redis.client.multi();
    for (const id of ids) multi.hGetAll(sessionKey(id)).hGetAll(sessionDmKey(id));
    const replies = await multi.exec() as unknown as Record<string, string>[];
    ids.forEach((id, i) => out.set(id, { record: replies[2 * i], dms: replies[2 * i + 1] }));
    return out;
  }

  /**
   * A session's conversations as the registry keeps them, in a state's shape. A broken entry
   * loses that one conversation, not the session.
   */
  #conversations(
    sessionId: string,
    entries: Record<string, string>,
  ): Pick<SessionState, "peers" | "incoming" | "outgoing"> {
    const state: Pick<SessionState, "peers" | "incoming" | "outgoing"> = {
      peers: [],
      incoming: [],
      outgoing: [],
    };
    for (const [other, json] of Object.entries(entries)) {
      try {
        const entry = object(JSON.parse(json), `Conversation with ${other}`);
        if (entry.kind === "peer") state.peers.push([other, name(entry.name, other, "Peer name")]);
        else if (entry.kind === "in") {
          state.incoming.push([other, name(entry.name, other, "Requester name")]);
        } else if (entry.kind === "out") {
          state.outgoing.push([other, time(entry.expiresAt, "Request expiresAt")]);
        } else throw new Error(`Conversation with ${other} has an unknown kind`);
      } catch (err) {
        this.#options.broker.refused("conversation", sessionDmKey(sessionId), err);
      }
    }
    return state;
  }
}
