/**
 * The hub: the coordinator of this node's sessions, with no sockets inside. Each session is given
 * a `send` function that takes one serialized frame, so the hub is testable with plain arrays and
 * the transport (WebSocket today) stays at the edge.
 *
 * It keeps the session registry and the request table, and hands the rest to one module each:
 * {@link Rooms} (membership, fan-out, presence), {@link RoomRequests} (the requests about rooms),
 * {@link Conversations} (the DM state machine), {@link ServerCalls} (what the server API asks),
 * and the inbox (`inbox.ts`: what the cluster delivers). A session's token was checked at the edge;
 * the hub gets its {@link Identity}.
 * Other nodes are reached through a {@link Cluster}; with the default `LocalCluster` the hub is
 * the whole deployment.
 *
 * Requests reach the hub already validated (see `lib/protocol/validate.ts`). A request returns its
 * reply data, or a promise of it when the answer needs the other nodes, or throws a
 * {@link HubError}. Local state changes before the handler returns, so a client may pipeline
 * `join` and `chat`.
 *
 * It runs a little over 300 lines because the request table, the one place where every request
 * type is handled, belongs with the registry it reads.
 *
 * @module
 */

import { LocalCluster } from "../cluster/local.ts";
import type { Cluster, ClusterInbox, UserSession } from "../cluster/seam.ts";
import type { ReplyData, RequestType } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { Conversations } from "./conversations.ts";
import { MAX_ROOMS_LISTED, Rooms, type RoomsOptions } from "./rooms.ts";
import {
  encodeEvent,
  HubError,
  type Identity,
  type Link,
  member,
  type Send,
  type Session,
} from "./session.ts";
import { mustRename, visibleRooms } from "./access.ts";
import { RoomRequests } from "./room_requests.ts";
import { Sessions } from "./sessions.ts";
import { Moves } from "./moves.ts";
import { Directory } from "./directory.ts";
import { ServerCalls } from "./server_calls.ts";
import { hubInbox } from "./inbox.ts";
import { monotonicUlid } from "./ulid.ts";
import { realTimers, type Timers } from "./timers.ts";
import {
  heartbeatFrame,
  type HeartbeatOptions,
  HeartbeatWheel,
  SessionTable,
} from "./heartbeat.ts";

export { encodeEvent, HubError, MAX_ROOMS_LISTED };
export type { Identity, Link, Send, Session };

/** ULIDs that keep increasing within one millisecond, so ids sort in the order they were made. */
const ulid = monotonicUlid();

/** Fan-out slices and heartbeat slots take their defaults (`fanout.ts`, `heartbeat.ts`). */
export interface HubOptions
  extends
    Pick<RoomsOptions, "fanoutSlice" | "yieldTo" | "maxRoomBacklog">,
    Pick<HeartbeatOptions, "heartbeatSlots"> {
  /**
   * Advertised in `welcome`; the heartbeat itself is driven by {@link Hub.startHeartbeat}, each
   * session at its own phase of the interval (`heartbeat.ts`).
   */
  heartbeatMs: number;
  /** How long a DM request waits for an answer. */
  dmRequestTtlMs: number;
  /** Rooms larger than this get no `presence`/`renamed` events, which would cost O(n²) to fill. */
  presenceLimit?: number;
  /** The other nodes; a deployment of one by default. */
  cluster?: Cluster;
  /** Clock and timers; injectable so tests drive time by hand. */
  timers?: Timers;
  /** Epoch milliseconds; overrides `timers.now`, for tests that only need a fixed clock. */
  now?: () => number;
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number;
  /** How long a dropped session waits to be resumed; 0 (the default here) turns resume off. */
  resumeTtlMs?: number;
  /** Events an away session may miss and still be resumed whole. */
  resumeBuffer?: number;
}

/** The hub's share of `/api/stats`; the edge counts frames in and out. */
export interface HubStats {
  count: number;
  rooms: number;
  uptimeMs: number;
}

type Handler<T extends RequestType> = (
  session: Session,
  data: Extract<ValidRequest, { type: T }>["data"],
) => ReplyData<T> | Promise<ReplyData<T>>;

/**
 * Owns this node's sessions, rooms and conversations.
 *
 * @example
 * ```ts
 * const hub = new Hub({ heartbeatMs: 60_000, dmRequestTtlMs: 60_000 });
 * const frames: string[] = [];
 * const session = hub.connect((frame) => frames.push(frame));
 * hub.handle(session.id, { type: "random", id: 1, data: { text: "hi" } }); // { text: "hi 42", n: 42 }
 * ```
 */
export class Hub {
  readonly cluster: Cluster;
  /** What the server API asks of the deployment (`server_calls.ts`). */
  readonly calls: ServerCalls;
  readonly #wheel: HeartbeatWheel;
  readonly #sessions: SessionTable;
  readonly #rooms: Rooms;
  readonly #dms: Conversations;
  readonly #lives: Sessions;
  readonly #moves: Moves;
  readonly #directory: Directory;
  readonly #roomRequests: RoomRequests;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #startedAt: number;
  /** What the cluster delivers to this node, and reads from it (`inbox.ts`). */
  readonly #inbox: ClusterInbox;

  constructor(options: HubOptions) {
    this.cluster = options.cluster ?? new LocalCluster();
    const timers: Timers = options.timers ?? realTimers;
    this.#now = options.now ?? (() => timers.now());
    this.#random = options.random ?? Math.random;
    this.#wheel = new HeartbeatWheel({ ...options, timers, now: this.#now });
    this.#sessions = new SessionTable(this.#wheel);
    const { broker, registry } = this.cluster;
    const presenceLimit = options.presenceLimit ?? 250;
    this.#rooms = new Rooms({ ...options, broker, registry, presenceLimit });
    this.#dms = new Conversations({
      sessions: this.#sessions,
      broker,
      registry,
      requestTtlMs: options.dmRequestTtlMs,
      timers,
      now: this.#now,
      newId: ulid,
      disconnect: (signal) => this.calls.receive(signal),
    });
    this.#lives = new Sessions({
      sessions: this.#sessions,
      registry,
      rooms: this.#rooms,
      dms: this.#dms,
      timers,
      now: this.#now,
      newId: ulid,
      heartbeatMs: options.heartbeatMs,
      resumeTtlMs: options.resumeTtlMs ?? 0,
      resumeBuffer: options.resumeBuffer ?? 1000,
    });
    this.#roomRequests = new RoomRequests({
      rooms: this.#rooms,
      cluster: this.cluster,
      now: this.#now,
      newId: ulid,
    });
    this.#directory = new Directory({
      list: () => this.#rooms.list(),
      live: (session) => this.#sessions.get(session.id) === session,
      timers,
    });
    this.#moves = new Moves({
      sessions: this.#sessions,
      lives: this.#lives,
      rooms: this.#rooms,
      dms: this.#dms,
      cluster: this.cluster,
      now: this.#now,
      resumeTtlMs: options.resumeTtlMs ?? 0,
      resumeBuffer: options.resumeBuffer ?? 1000,
    });
    const calls = { sessions: this.#sessions, rooms: this.#rooms, lives: this.#lives };
    this.calls = new ServerCalls({ ...calls, cluster: this.cluster, now: this.#now, newId: ulid });
    this.#startedAt = this.#now();
    this.#inbox = hubInbox({
      sessions: this.#sessions,
      rooms: this.#rooms,
      dms: this.#dms,
      moves: this.#moves,
    });
    // The default cluster has nothing to connect to; only its room streams need the inbox.
    if (!options.cluster) void this.cluster.start(this.#inbox);
  }

  /** Connects the hub to its cluster; call once before serving when the cluster is not local. */
  start(): Promise<void> {
    return this.cluster.start(this.#inbox);
  }

  /** Sessions connected to this node; away sessions do not count. */
  get count(): number {
    return this.#lives.connected;
  }

  /** Sessions of this node waiting away to be resumed. */
  get away(): number {
    return this.#sessions.size - this.#lives.connected;
  }

  /** How resume tokens fared since start: the session resumed, or a new one in its place. */
  readonly resumes = { resumed: 0, failed: 0 };

  /** Sessions connected to the whole deployment. */
  async deploymentCount(): Promise<number> {
    return this.#lives.connected + await this.cluster.registry.remoteCount();
  }

  /** Looks a local session up, for the transport and for tests. */
  session(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Names of rooms with at least one member on this node. */
  roomNames(): string[] {
    return this.#rooms.names();
  }

  /** Figures for `/api/stats`: `count` and `rooms` are deployment-wide. */
  async stats(): Promise<HubStats> {
    const [count, rooms] = await Promise.all([this.deploymentCount(), this.#rooms.sizes()]);
    return { count, rooms: rooms.size, uptimeMs: this.#now() - this.#startedAt };
  }

  /**
   * Registers a session for a new connection and sends it `welcome`: the session `resumeToken`
   * names when it can be resumed whole (its missed events follow the welcome), otherwise a new one
   * in the lobby. `identity` is what the connection's token says (the edge checked it; none:
   * anonymous): a new session is its user's, and a resumed one must be. `link` may be a bare send
   * function for a connection that never closes itself.
   */
  connect(link: Link | Send, resumeToken?: undefined, identity?: Identity): Session;
  connect(
    link: Link | Send,
    resumeToken: string | undefined,
    identity?: Identity,
  ): Session | Promise<Session>;
  connect(
    link: Link | Send,
    resumeToken?: string,
    identity?: Identity,
  ): Session | Promise<Session> {
    const bound = typeof link === "function" ? { send: link, close() {} } : link;
    if (resumeToken === undefined) return this.#lives.open(bound, identity);
    const resumed = this.#moves.resume(bound, resumeToken, identity);
    if (resumed instanceof Promise) return resumed.then((s) => this.#resumed(s, bound, identity));
    return this.#resumed(resumed, bound, identity);
  }

  /** Counts a resume's outcome; a token that resumed nothing gets a new session. */
  #resumed(session: Session | undefined, link: Link, identity?: Identity): Session {
    this.resumes[session ? "resumed" : "failed"]++;
    return session ?? this.#lives.open(link, identity);
  }

  /**
   * A session's new token, checked by the edge: the session lives on until its `exp`.
   *
   * @throws {HubError} `forbidden` when it names another user than the session's.
   */
  refresh(sessionId: string, identity: Identity): ReplyData<"refresh"> {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new HubError("not_found", "Session is no longer connected");
    if (identity.userId !== session.userId) {
      throw new HubError("forbidden", "The new token is for another user than this session's");
    }
    const moved = identity.expiresAt !== session.identity?.expiresAt;
    session.identity = identity;
    // The session now lives until the new token's exp, sooner or later than the old one's. The
    // same exp again (a page with nothing fresher) must not be warned again at once, and again,
    // in a loop: the clock runs on as it was.
    if (moved) this.#lives.expiry.arm(session);
    this.#lives.saved(session);
    return { expiresAt: identity.expiresAt };
  }

  /**
   * Every session of user `userId` in the deployment, oldest first, connected or away (waiting
   * to be resumed).
   */
  userSessions(userId: string): Promise<UserSession[]> {
    return this.cluster.registry.userSessions(userId);
  }

  /**
   * The connection `link` of a session ended: with `clean` (a close with code 1000), or when
   * resume is off, the session ends; otherwise it is away until resumed or timed out.
   */
  detach(id: string, link: Link, clean: boolean): void {
    this.#lives.detach(id, link, clean);
  }

  /** Ends a session, its rooms (`presence` leave) and conversations (`dm_closed`); idempotent. */
  disconnect(id: string): void {
    this.#lives.end(id);
  }

  /**
   * Runs one validated request for a session and returns its reply data, or a promise of it.
   *
   * @throws {HubError} when the request is refused; the code goes to the client. A returned
   * promise rejects with a HubError for refusals that needed the other nodes to decide.
   */
  handle<R extends ValidRequest>(
    sessionId: string,
    request: R,
  ): ReplyData<R["type"]> | Promise<ReplyData<R["type"]>> {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new HubError("not_found", "Session is no longer connected");
    const handler = this.#handlers[request.type] as Handler<R["type"]>;
    return handler(session, request.data as never);
  }

  /** Sends the "Connected" heartbeat to every local session now, all at once (tests, tools). */
  heartbeat(): void {
    const frame = heartbeatFrame(this.#now());
    for (const session of this.#sessions.values()) session.send(frame);
  }

  /**
   * Sends every session the heartbeat every `heartbeatMs` until {@link close}, each at its own
   * phase, a slice of the sessions per tick.
   */
  startHeartbeat(): void {
    this.#wheel.start();
  }

  /**
   * Stops timers, leaves the cluster and forgets every session without telling local clients:
   * the transport closes their sockets.
   */
  async close(): Promise<void> {
    this.#wheel.stop();
    if (this.#lives.resumable && this.cluster.handover.claim) {
      // Sessions go away rather than end: another node adopts them, and clients resume there.
      this.cluster.handover.stop?.();
      await this.cluster.handover.evacuate(await this.#moves.evacuate());
    }
    this.#dms.stop();
    this.#lives.close();
    this.#directory.stop();
    this.#sessions.clear();
    this.#rooms.clear();
    await this.cluster.close();
  }

  readonly #handlers: { [T in RequestType]: Handler<T> } = {
    server_time: () => ({ serverTime: this.#now() }),
    ping: () => ({ serverTime: this.#now() }),
    client_time: (s) => ({ connectedAt: s.connectedAt, elapsedMs: this.#now() - s.connectedAt }),
    num_clients: async () => ({ count: await this.deploymentCount() }),
    random: (_s, { text }) => {
      const n = Math.floor(this.#random() * 100) + 1;
      return { text: `${text} ${n}`, n };
    },
    set_name: (s, { name }) => {
      mustRename(s);
      if (s.name !== name) {
        s.name = name;
        const rooms = [...s.rooms];
        this.#rooms.toRoommates(rooms, encodeEvent("renamed", { sessionId: s.id, name }), s);
        this.cluster.registry.sessionRenamed(member(s), rooms);
      }
      return { name };
    },
    join: (s, data) => this.#roomRequests.join(s, data),
    leave: (s, data) => this.#roomRequests.leave(s, data),
    rooms: async (s) => ({ rooms: visibleRooms(s.identity, await this.#rooms.list()) }),
    watch_rooms: async (s) => ({ rooms: await this.#directory.watch(s) }),
    unwatch_rooms: (s) => {
      this.#directory.unwatch(s);
      return {};
    },
    history: (s, data) => this.#roomRequests.history(s, data),
    chat: (s, data) => this.#roomRequests.chat(s, data),
    dm_request: (s, { to }) => this.#dms.request(s, to),
    dm_accept: (s, { from }) => this.#dms.accept(s, from),
    dm_decline: (s, { from }) => this.#dms.decline(s, from),
    dm: (s, { to, text }) => this.#dms.message(s, to, text),
    dm_close: (s, { with: other }) => this.#dms.close(s, other),
    // The edge checks the token and calls `refresh` above; no edge hands the bare request on.
    refresh: () => {
      throw new HubError("unauthorized", "This server takes no tokens");
    },
  };
}
