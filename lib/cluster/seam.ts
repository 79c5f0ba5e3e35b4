/**
 * The seam between one hub and the other nodes of a deployment. The hub keeps its own sessions
 * and answers for them; a {@link Cluster} carries everything that crosses nodes: room frames,
 * signals for sessions on other nodes, and the other nodes' share of counts and member lists.
 *
 * The embedded default, `LocalCluster` (`local.ts`), is a deployment of one: there are no other nodes,
 * so it has nothing to carry and nothing to add. `redis/mod.ts` is the Redis implementation.
 *
 * Delivery guarantee (every implementation): a frame or signal handed to the cluster reaches each
 * other node at most once, and frames published by one node to one room arrive in the order they
 * were published. While the cluster's transport is down, cross-node traffic is dropped, never
 * queued without bound, and reads answer for the other nodes as best they can (possibly empty),
 * never with an error: local clients are always served.
 *
 * @module
 */

import type { CloseReason, Member } from "../protocol/mod.ts";

/**
 * A message for one session, wherever it is connected. Direct-message consent lives with each
 * session's own node, so every step of the handshake travels as a signal to the other side.
 */
export type Signal =
  | { kind: "dm_request"; to: string; from: string; name: string }
  | { kind: "dm_accepted"; to: string; from: string; name: string }
  | { kind: "dm_declined"; to: string; from: string }
  | { kind: "dm"; to: string; from: string; name: string; text: string; msgId: string; ts: number }
  | { kind: "dm_end"; to: string; from: string; reason: CloseReason };

/** A session that left with no goodbye: its node died or lost the cluster. */
export interface GoneSession {
  sessionId: string;
  name: string;
  rooms: string[];
}

/** What a cluster hands to its hub. Each callback concerns local sessions only. */
export interface ClusterInbox {
  /** A serialized event for the local members of `room`, published by another node. */
  room(room: string, frame: string): void;
  /** A signal for a session that should be on this node. */
  signal(signal: Signal): void;
  /** Another node's session renamed; tell local members of `rooms`. */
  renamed(sessionId: string, name: string, rooms: string[]): void;
  /** Sessions of another node are gone: tell roommates and end their conversations. */
  gone(sessions: GoneSession[]): void;
  /**
   * This node's state was rewritten after an outage. Signals may have been lost meanwhile; when
   * `reaped`, the other nodes were told this node's sessions are gone.
   */
  resynced(reaped: boolean): void;
}

export interface Cluster {
  /** This node's id, unique in the deployment. */
  readonly nodeId: string;

  /** Connects the cluster to its hub; called once before any other method. */
  start(inbox: ClusterInbox): Promise<void>;
  /** Leaves the deployment: this node's sessions vanish from every other node's view at once. */
  close(): Promise<void>;

  // Writes of this node's own state. Failures are the cluster's to handle: the promises some of
  // them return always resolve, and soon, outage or not.
  /**
   * Registers a session. A promise, when returned, resolves once other nodes count the session;
   * the hub holds the session's `welcome` until then, so a client that has been welcomed is
   * counted everywhere.
   */
  sessionOpened(sessionId: string, name: string): Promise<void> | void;
  sessionRenamed(sessionId: string, name: string, rooms: string[]): void;
  sessionClosed(sessionId: string): void;
  /**
   * Resolves when other nodes list the member and frames they publish to `room` will reach this
   * node.
   */
  joined(room: string, sessionId: string, name: string): Promise<void>;
  /** Resolves when other nodes no longer list the member. */
  left(room: string, sessionId: string): Promise<void>;

  // Delivery to other nodes.
  /** Hands a serialized event to the other nodes' members of `room`. */
  publish(room: string, frame: string): void;
  /** Routes a signal to the node of `signal.to`, if it is on another node. */
  signal(signal: Signal): void;

  // Reads about the other nodes; this node's own share comes from the hub.
  /** Sessions connected to other live nodes. */
  remoteCount(): Promise<number>;
  /** Members of `room` connected to other live nodes. */
  remoteMembers(room: string): Promise<Member[]>;
  /** Rooms' member counts on other live nodes. */
  remoteRooms(): Promise<Map<string, number>>;
  /** Whether `sessionId` is connected to another live node. */
  locate(sessionId: string): Promise<boolean>;
}
