/**
 * A deployment of several hubs in one process, for tests of sessions that move between nodes:
 * one set of room streams, signals routed to the hub that has the session, and claims answered by
 * the holder's `release`. Any step a test must hold still in the middle of (a registry write, a
 * stream read) can be gated.
 *
 * @module
 */

import { MemoryStreams } from "../../cluster/memory_streams.ts";
import { MemoryIdempotency } from "../../cluster/memory_idempotency.ts";
import type {
  Broker,
  Cluster,
  ClusterInbox,
  Handover,
  Registry,
  RoomStreams,
  SessionState,
  Signal,
} from "../../cluster/seam.ts";
import type { Member } from "../../protocol/mod.ts";
import { Hub, type HubOptions } from "../hub.ts";
import { ManualTimers } from "../timers.ts";

/** A step that waits until the test lets it go. */
export class Gate {
  #open = true;
  #waiting: (() => void)[] = [];

  /** From now on the step waits. */
  close(): void {
    this.#open = false;
  }

  /** Lets every waiting step go, and later ones pass. */
  open(): void {
    this.#open = true;
    for (const go of this.#waiting.splice(0)) go();
  }

  /** Whether steps pass at once. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Steps waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  pass(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

export interface Node {
  hub: Hub;
  cluster: TestCluster;
  inbox: ClusterInbox;
  timers: ManualTimers;
}

/** The hubs of one deployment, sharing streams and one clock's worth of test control. */
export class Deployment {
  readonly nodes: Node[] = [];
  readonly streams = new MemoryStreams({ historySize: 200, historyTtlMs: 3_600_000 });
  readonly idempotency = new MemoryIdempotency();

  constructor() {
    this.streams.attach((room, frame) => {
      for (const node of this.nodes) node.inbox.room(room, frame);
    });
  }

  /** A new hub in the deployment, with resume on. */
  async node(options: Partial<HubOptions> = {}): Promise<Node> {
    const timers = new ManualTimers(1_000_000);
    const cluster = new TestCluster(this, `node-${this.nodes.length}`);
    const hub = new Hub({
      heartbeatMs: 1000,
      dmRequestTtlMs: 60_000,
      timers,
      resumeTtlMs: 120_000,
      ...options,
      cluster,
    });
    await hub.start();
    const node = { hub, cluster, inbox: cluster.inbox!, timers };
    this.nodes.push(node);
    return node;
  }

  /** The node whose hub has session `id`. */
  holder(id: string): Node | undefined {
    return this.nodes.find((n) => n.hub.session(id));
  }
}

export class TestCluster implements Cluster {
  inbox: ClusterInbox | undefined;
  /** Sessions the registry lists on this node, as its writes leave them. */
  readonly listed = new Set<string>();
  /** Holds `registry.sessionOpened`, and with it a new session's welcome. */
  readonly opening = new Gate();
  /** Holds `registry.joined`, e.g. to stop a session halfway through being taken in. */
  readonly joining = new Gate();
  /** Holds `streams.position`. */
  readonly positioning = new Gate();
  /** Holds `handover.claim` before it asks the holder. */
  readonly claiming = new Gate();

  readonly broker: Broker;
  readonly registry: Registry;
  readonly streams: RoomStreams;
  readonly handover: Handover;
  readonly idempotency: MemoryIdempotency;

  readonly kind = "memory";

  constructor(readonly deployment: Deployment, readonly nodeId: string) {
    this.idempotency = deployment.idempotency;
    const others = () => deployment.nodes.filter((n) => n.cluster !== this);
    this.broker = {
      publish: (room, frame) => {
        for (const node of others()) node.inbox.room(room, frame);
      },
      signal: (signal: Signal) => deployment.holder(signal.to)?.inbox.signal(signal),
    };
    this.registry = {
      sessionOpened: ({ sessionId }) => {
        this.listed.add(sessionId);
        return this.opening.isOpen ? undefined : this.opening.pass();
      },
      sessionRenamed() {},
      sessionClosed: (id) => void this.listed.delete(id),
      sessionAway() {},
      sessionBack() {},
      joined: () => this.joining.pass(),
      left: () => Promise.resolve(),
      remoteCount: () => Promise.resolve(0),
      remoteMembers: (): Promise<Member[]> => Promise.resolve([]),
      remoteRooms: () => Promise.resolve(new Map()),
      locate: (id) => Promise.resolve(others().some((n) => n.hub.session(id))),
      userSessions: () => Promise.resolve([]),
      // No limit is tested here: every connection gets a place.
      admit: () => Promise.resolve({ release() {} }),
      sessionSaved() {},
      conversation() {},
      sessionAdopted: (state) => Promise.resolve(void this.listed.add(state.sessionId)),
      sessionReleased: (id) => void this.listed.delete(id),
    };
    const shared = deployment.streams;
    this.streams = {
      publish: (draft) => shared.publish(draft),
      position: async (room) => {
        await this.positioning.pass();
        return shared.position(room);
      },
      since: (room, from, max) => shared.since(room, from, max),
      history: (room, page) => shared.history(room, page),
    };
    this.handover = {
      claim: async (sessionId, secret): Promise<SessionState | "local" | null> => {
        await this.claiming.pass();
        const holder = deployment.holder(sessionId);
        if (!holder) return null;
        if (holder.cluster === this) return "local";
        const answer: unknown = await holder.inbox.release(
          sessionId,
          secret,
          (signal) => this.inbox!.signal(signal),
        );
        return answer === "retry" ? null : answer as SessionState | null;
      },
      evacuate: () => Promise.resolve(),
      drain: () => Promise.resolve([]),
    };
  }

  start(inbox: ClusterInbox): Promise<void> {
    this.inbox = inbox;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
