/**
 * The seam between one hub and the other nodes of a deployment. The hub keeps its own sessions
 * and answers for them; a {@link Cluster} carries everything that crosses nodes, in two parts with
 * separate jobs, as Centrifuge separates its Broker from its PresenceManager:
 *
 * - a {@link Broker} delivers: room frames to the other nodes' members, signals to one session;
 * - a {@link Registry} records where this node's sessions and memberships are, and answers for
 *   the other nodes' share of counts, member lists and locations.
 *
 * Traffic from the other nodes comes back through the hub's {@link ClusterInbox}, which also
 * hands the cluster a snapshot of this node's state when it must be written again.
 *
 * The embedded default, `LocalCluster` (`local.ts`), is a deployment of one: there are no other nodes,
 * so it has nothing to carry and nothing to add. `redis/mod.ts` is the Redis implementation.
 *
 * Each interface states its guarantee. In short: delivery is at most once and in order per room
 * and publishing node; while the transport is down, cross-node traffic is dropped, never queued
 * without bound, and reads answer for the other nodes as best they can, never with an error, so
 * local clients are always served.
 *
 * It runs past 300 lines because it is the whole contract between the hub and every cluster, each
 * method with the guarantee an implementation must keep; splitting it would split that contract.
 *
 * @module
 */

import type { Identity } from "../hub/session.ts";
import type {
  ChatMessage,
  CloseReason,
  Events,
  HistoryReply,
  Member,
  StreamPosition,
} from "../protocol/mod.ts";

/**
 * A message for one session, wherever it is connected. Direct-message consent lives with each
 * session's own node, so every step of the handshake travels as a signal to the other side; a
 * `disconnect` from the server API travels the same way to the node that ends the session.
 */
export type Signal =
  | { kind: "dm_request"; to: string; from: string; userId: string | null; name: string }
  | { kind: "dm_accepted"; to: string; from: string; name: string }
  | { kind: "dm_declined"; to: string; from: string }
  | ({ kind: "dm"; to: string } & Events["dm"])
  | { kind: "dm_end"; to: string; from: string; reason: CloseReason }
  | { kind: "dm_away"; to: string; from: string }
  | { kind: "dm_back"; to: string; from: string }
  | { kind: "disconnect"; to: string; code: number; reason: string };

/** A session that left with no goodbye: its node died or lost the cluster. */
export interface GoneSession {
  sessionId: string;
  /** Its user; null when anonymous. */
  userId: string | null;
  name: string;
  rooms: string[];
  /** In a snapshot: the session is away, waiting to be resumed, and not counted as connected. */
  away?: boolean;
  /** In a snapshot: when the session started (epoch ms), for the per-user index. */
  connectedAt?: number;
}

/** One session of a user, as the per-user index answers it. */
export interface UserSession {
  sessionId: string;
  name: string;
  /** When the session started (epoch ms). */
  connectedAt: number;
  /** Its connection dropped and it waits to be resumed. */
  away: boolean;
}

/** A place held for one connection of a user while it is admitted ({@link Registry.admit}). */
export interface Admission {
  /**
   * Gives the place back: the connection was welcomed (its session counts by itself from then
   * on), or it went before that. A second call does nothing.
   */
  release(): void;
}

/**
 * Everything a session is, as it moves to another node: handed over by a live node to the node its
 * client resumed on, saved by a node that stops, or rebuilt from the registry after a node died.
 */
export interface SessionState {
  sessionId: string;
  /** Its user, kept wherever it moves; null when anonymous. */
  userId: string | null;
  /**
   * Its token's claims, absent when anonymous; also absent when it was rebuilt after its node
   * died (the registry keeps the user, not the claims), until a resume presents a token again.
   */
  identity?: Identity;
  name: string;
  connectedAt: number;
  /**
   * The SHA-256 of its resume token's secret (`hashSecret` in `lib/hub/tokens.ts`), never the
   * secret itself; "" when it cannot be resumed.
   */
  secretHash: string;
  rooms: string[];
  /** Accepted conversations: peer id and name. */
  peers: [string, string][];
  /** Requests it received and has not answered: requester id and name. */
  incoming: [string, string][];
  /** Requests it sent that wait for an answer: target id and when the request expires. */
  outgoing: [string, number][];
  /** Events it missed while away, in order, as frames. */
  frames: string[];
  /** Per room, the last message its node delivered: where a replay from history starts. */
  lastOffsets: Record<string, StreamPosition>;
  /** When its resume window ends (epoch ms), if it was away; absent if it was connected. */
  awayUntil?: number;
  /**
   * Set when the events it missed were lost: it was away on a node that died, which buffered
   * them. Its replay could not be whole, so it ends as it is taken in.
   */
  lost?: boolean;
}

/** What a cluster hands to its hub, and reads from it. Each callback concerns local sessions. */
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
  /** This node's sessions with their names and rooms, for writing its state again. */
  snapshot(): GoneSession[];
  /**
   * Another node claims a local session because its client resumed there: the hub lets it go
   * without a word to anyone and answers its state, or null if `secret` is not its token's.
   * Signals that still come here for it are handed to `forward`. A hub that is stopping answers
   * `retry`: its sessions are about to be saved for adoption, so the claimer should look again.
   */
  release(
    sessionId: string,
    secret: string,
    forward: (signal: Signal) => void,
  ): Promise<SessionState | null | "retry">;
  /**
   * Another node adopted these local sessions while this node was cut off: the hub lets them go,
   * telling nobody, and closes their connections so their clients resume where they live now.
   */
  abandon(sessionIds: string[]): void;
  /** Sessions of a node that stopped or died, now this node's: they wait away to be resumed. */
  adopt(states: SessionState[]): Promise<void>;
}

/**
 * Delivery to other nodes.
 *
 * Guarantee (every implementation): a frame or signal reaches each other node at most once, and
 * frames that one node publishes to one room arrive at every other node in the order they were
 * published. Nothing is queued while the transport is down: traffic is dropped, and the
 * {@link ClusterInbox.resynced} call after the outage lets the hub mend what was lost. Neither
 * method throws nor waits: delivery is fire-and-forget.
 */
export interface Broker {
  /** Hands a serialized event to the other nodes' members of `room`. */
  publish(room: string, frame: string): void;
  /** Routes a signal to the node of `signal.to`, if it is on another node. */
  signal(signal: Signal): void;
}

/**
 * Who is where. Writes record this node's own sessions and memberships; reads answer for the
 * other live nodes only, since this node's share comes from the hub.
 *
 * Guarantee: writes are applied in the order they are made, and the promises they return always
 * resolve, and soon, outage or not (a write lost in an outage is made good by the resync after
 * it). Reads never reject: while the transport is down they answer for the other nodes as best
 * they can, possibly empty, so local clients are always served. A node that dies stops counting
 * in every read within the implementation's node timeout.
 */
export interface Registry {
  /**
   * Registers a session. A promise, when returned, resolves once other nodes count the session;
   * the hub holds the session's `welcome` until then, so a client that has been welcomed is
   * counted everywhere.
   */
  sessionOpened(member: Member, connectedAt: number): Promise<void> | void;
  /** `member` carries the new name. */
  sessionRenamed(member: Member, rooms: string[]): void;
  sessionClosed(sessionId: string): void;
  /** The session's connection dropped: it stays locatable, but no longer counts as connected. */
  sessionAway(sessionId: string): void;
  /** An away session resumed on this node. */
  sessionBack(sessionId: string, name: string): void;
  /**
   * Resolves when other nodes list the member and frames they publish to `room` will reach this
   * node.
   */
  joined(room: string, member: Member): Promise<void>;
  /** Resolves when other nodes no longer list the member. */
  left(room: string, sessionId: string): Promise<void>;

  /** Sessions connected to other live nodes. */
  remoteCount(): Promise<number>;
  /** Members of `room` connected to other live nodes. */
  remoteMembers(room: string): Promise<Member[]>;
  /** Rooms' member counts on other live nodes. */
  remoteRooms(): Promise<Map<string, number>>;
  /** Whether `sessionId` is connected to another live node. */
  locate(sessionId: string): Promise<boolean>;
  /**
   * Every session of user `userId` in the deployment, this node's included (unlike the reads
   * above): connected ones and away ones, oldest first. What `USER_CONNECTION_LIMIT` counts and
   * the server API lists and disconnects by user.
   */
  userSessions(userId: string): Promise<UserSession[]>;
  /**
   * Holds a place for one more connection of user `userId` if the user's connected sessions in
   * the deployment (away ones aside, and `resuming`, the session the connection takes over) and
   * the places held for its connections still being admitted number fewer than `limit`; null when
   * not. Check and hold are one step: of connections that race, on one node or on several, no
   * more get in than the limit leaves room for. The caller releases the place once the session is
   * welcomed, and so counted, or the connection went; a place a dead node never released lapses
   * after `ADMISSION_TTL_MS`. While the transport is down only this node's share counts.
   */
  admit(userId: string, limit: number, resuming?: string): Promise<Admission | null>;

  /**
   * What a node that died would need to rebuild the session: its name, start and the hash of its
   * token's secret, made by calling `secretHash` (a registry that keeps nothing never pays for the
   * SHA-256), and its token's claims (again after each refresh), so that a rebuilt session keeps
   * its grants and its expiry. Only called with resume on.
   */
  sessionSaved(
    member: Member,
    connectedAt: number,
    secretHash: () => string,
    identity?: Identity,
  ): void;
  /** One conversation of a session changed (`null`: it is over), for the same reason. */
  conversation(sessionId: string, other: string, entry: ConversationEntry | null): void;
  /** This node took the session over (resumed here, or adopted): it is routed here now. */
  sessionAdopted(state: SessionState, away: boolean): Promise<void>;
  /** Another node took the session over: this node drops its entries, and nobody is told. */
  sessionReleased(sessionId: string, rooms: string[]): void;
}

/** One conversation as the registry keeps it: a peer, a request in, or a request out. */
export type ConversationEntry =
  | { kind: "peer"; name: string }
  | { kind: "in"; name: string }
  | { kind: "out"; expiresAt: number };

/**
 * Moving sessions between nodes, so a client can resume on any node. Guarantee: a session lives on
 * exactly one node at a time; a claim either moves it whole, with every event it missed, or
 * leaves it where it is and answers null.
 */
export interface Handover {
  /**
   * Takes session `sessionId` over for a client that resumed on this node: from the live node
   * that has it, or from a node that stopped or died (after adopting its sessions). Answers the
   * state, `"local"` when the session turned out to be (or became) this node's, or null.
   * Absent where there is no other node to claim from.
   */
  claim?(sessionId: string, secret: string): Promise<SessionState | "local" | null>;
  /**
   * This node starts to stop: from now on it takes no session in (nor claims one), since it could
   * not save it. Called before the node reads the states it saves.
   */
  stop?(): void;
  /** Saves the states of this node's sessions as it stops, so other nodes adopt them. */
  evacuate(states: SessionState[]): Promise<void>;
  /** Signals that reached no node while their session moved, for the node that has it now. */
  drain(sessionId: string): Promise<Signal[]>;
}

/** A chat message before its room numbers it. */
export type ChatDraft = Omit<ChatMessage, "offset" | "epoch">;

/**
 * Rooms as numbered streams: chat messages get consecutive offsets within a room's epoch, are
 * kept for `history`, and reach every member in the deployment, local ones through the inbox's
 * `room` callback.
 *
 * Guarantee: every member, on any node, sees one room's messages in offset order, whichever nodes
 * published them; offsets within an epoch have no gaps. When history is lost (a restart of the
 * in-memory default, Redis losing its data, a room idle past its history TTL), the epoch changes.
 */
export interface RoomStreams {
  /** Numbers, keeps and delivers one message; resolves to its position. */
  publish(draft: ChatDraft): StreamPosition | Promise<StreamPosition>;
  /** The room's latest position; offset 0 and a fresh epoch for a room with no message. */
  position(room: string): StreamPosition | Promise<StreamPosition>;
  /**
   * Every message after `from`, oldest first, if they are all still kept and there are at most
   * `max`; null when the replay could not be whole (the epoch changed, or history is too short).
   */
  since(
    room: string,
    from: StreamPosition,
    max: number,
  ): ChatMessage[] | null | Promise<ChatMessage[] | null>;
  /** The newest `limit` messages, or the newest of those before offset `before`, oldest first. */
  history(
    room: string,
    options: { limit: number; before?: number },
  ): Omit<HistoryReply, "room"> | Promise<Omit<HistoryReply, "room">>;
}

/**
 * What an idempotency key holds: nothing yet (`claimed`: the caller is first and runs the call),
 * `pending` (another caller is running it), or the first call's answer as it was stored.
 */
export type KeyState = { kind: "claimed" } | { kind: "pending" } | { kind: "done"; answer: string };

/**
 * The first answers of server API calls that carry an idempotency key, deployment-wide, so a
 * retry that reaches another node finds them.
 *
 * Guarantee: of the callers that claim one key within its TTL, exactly one is told `claimed`,
 * while the transport is up; the others see it `pending`, then `done`. While Redis is down, keys
 * are kept in this process: a retry on the same node is still answered once, and one on another
 * node may run again. Keys expire `ttlMs` after their claim. Nothing here rejects.
 */
export interface Idempotency {
  /** Claims `key` for `ttlMs`, or answers where another caller's claim stands. */
  claim(key: string, ttlMs: number): Promise<KeyState>;
  /** Stores the answer of the call that claimed `key`, kept for `ttlMs` from now. */
  settle(key: string, answer: string, ttlMs: number): Promise<void>;
  /** Lets go of a claim whose call failed, so that a retry runs it. */
  release(key: string): Promise<void>;
}

/** One node's membership of a deployment: its broker, its registry, and their lifetime. */
export interface Cluster {
  /** This node's id, unique in the deployment. */
  readonly nodeId: string;
  /**
   * Which implementation this is, for the few readers outside `lib/cluster/` that report on
   * Redis (readiness, metrics) without importing it: the Redis client is loaded only by a server
   * that has `REDIS_URL` set.
   */
  readonly kind: "memory" | "redis";
  readonly broker: Broker;
  readonly registry: Registry;
  readonly streams: RoomStreams;
  readonly handover: Handover;
  readonly idempotency: Idempotency;
  /** Connects the cluster to its hub; called once before any other method. */
  start(inbox: ClusterInbox): Promise<void>;
  /** Leaves the deployment: this node's sessions vanish from every other node's view at once. */
  close(): Promise<void>;
}
