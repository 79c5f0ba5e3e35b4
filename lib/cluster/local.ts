/**
 * The embedded default cluster: a deployment of one node, so there is nothing to carry to other
 * nodes and nothing to add to this node's counts. Its room streams live in memory.
 *
 * @module
 */

import type { Member } from "../protocol/mod.ts";
import { MemoryStreams, type MemoryStreamsOptions } from "./memory_streams.ts";
import { MemoryIdempotency } from "./memory_idempotency.ts";
import type { Broker, Cluster, ClusterInbox, Handover, Registry } from "./seam.ts";
import { UserIndex } from "./user_index.ts";
import { LocalAdmissions } from "./admissions.ts";

/** The in-memory defaults of `HISTORY_SIZE` and `HISTORY_TTL_MS`. */
export const HISTORY_DEFAULTS = { historySize: 200, historyTtlMs: 3_600_000 } as const;

/** A deployment of one node: nothing to carry, nothing to add. */
export class LocalCluster implements Cluster {
  readonly nodeId = "local";
  readonly kind = "memory";
  readonly broker: Broker = { publish() {}, signal() {} };
  /** The one thing a deployment of one keeps: its sessions by user, as the API asks for them. */
  readonly #users = new UserIndex();
  /** Connections being admitted under `USER_CONNECTION_LIMIT`, whose sessions do not count yet. */
  readonly #admissions = new LocalAdmissions(this.#users);
  readonly registry: Registry = {
    sessionOpened: (member, connectedAt) => this.#users.opened(member, connectedAt),
    sessionRenamed: (member) => this.#users.renamed(member),
    sessionClosed: (sessionId) => this.#users.closed(sessionId),
    sessionAway: (sessionId) => this.#users.away(sessionId, true),
    sessionBack: (sessionId) => this.#users.away(sessionId, false),
    joined: () => Promise.resolve(),
    left: () => Promise.resolve(),
    remoteCount: () => Promise.resolve(0),
    remoteMembers: (): Promise<Member[]> => Promise.resolve([]),
    remoteRooms: () => Promise.resolve(new Map()),
    locate: () => Promise.resolve(false),
    userSessions: (userId) => Promise.resolve(this.#users.sessions(userId)),
    admit: (userId, limit, resuming) =>
      Promise.resolve(this.#admissions.admit(userId, limit, resuming)),
    sessionSaved() {},
    conversation() {},
    sessionAdopted: () => Promise.resolve(),
    sessionReleased() {},
  };
  /** No other node to take a session from or give one to. */
  readonly handover: Handover = {
    evacuate: () => Promise.resolve(),
    drain: () => Promise.resolve([]),
  };
  readonly streams: MemoryStreams;
  readonly idempotency = new MemoryIdempotency();

  constructor(options: Partial<MemoryStreamsOptions> = {}) {
    this.streams = new MemoryStreams({ ...HISTORY_DEFAULTS, ...options });
  }

  start(inbox: ClusterInbox): Promise<void> {
    this.streams.attach((room, frame) => inbox.room(room, frame));
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
