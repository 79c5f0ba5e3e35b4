/**
 * The hub: the coordinator of this node's sessions, with no sockets inside. Each session is given
 * a `send` function that takes one serialized frame, so the hub is testable with plain arrays and
 * the transport (WebSocket today) stays at the edge.
 *
 * It keeps the session registry and the request table, and hands the rest to one module each:
 * {@link Rooms} (membership, fan-out, presence), {@link Conversations} (the DM state machine) and
 * {@link ServerCalls} (what the server API asks).
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
import type { Cluster, ClusterInbox, GoneSession, UserSession } from "../cluster/seam.ts";
import { LIMITS, type ReplyData, type RequestType } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { Conversations } from "./conversations.ts";
import { MAX_ROOMS_LISTED, Rooms, type RoomsOptions } from "./rooms.ts";
import { encodeEvent, HubError, type Link, member, type Send, type Session } from "./session.ts";
import { Sessions } from "./sessions.ts";
import { Moves } from "./moves.ts";
import { Directory } from "./directory.ts";
import { ServerCalls } from "./server_calls.ts";
import { monotonicUlid } from "./ulid.ts";
import { realTimers, type Timers } from "./timers.ts";
import {
  heartbeatFrame,
  type HeartbeatOptions,
  HeartbeatWheel,
  SessionTable,
} from "./heartbeat.ts";

export { encodeEvent, HubError, MAX_ROOMS_LISTED };
export type { Link, Send, Session };

/** ULIDs that keep increasing within one millisecond, so ids sort in the order they were made. */
const ulid = monotonicUlid();

/** Fan-out slices and heartbeat slots take their defaults (`fanout.ts`, `heartbeat.ts`). */
export interface HubOptions
  extends Pick<RoomsOptions, "fanoutSlice" | "yieldTo">, Pick<HeartbeatOptions, "heartbeatSlots"> {
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
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #startedAt: number;

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
   * in the lobby, of user `userId` (the edge checked the token that names it; null: anonymous).
   * `link` may be a bare send function for a connection that never closes itself.
   */
  connect(link: Link | Send): Session;
  connect(
    link: Link | Send,
    resumeToken: string | undefined,
    userId?: string | null,
  ): Session | Promise<Session>;
  connect(
    link: Link | Send,
    resumeToken?: string,
    userId: string | null = null,
  ): Session | Promise<Session> {
    const bound = typeof link === "function" ? { send: link, close() {} } : link;
    if (resumeToken === undefined) return this.#lives.open(bound, userId);
    const resumed = this.#moves.resume(bound, resumeToken);
    if (resumed instanceof Promise) return resumed.then((s) => this.#resumed(s, bound, userId));
    return this.#resumed(resumed, bound, userId);
  }

  /** Counts a resume's outcome; a token that resumed nothing gets a new session. */
  #resumed(session: Session | undefined, link: Link, userId: string | null): Session {
    this.resumes[session ? "resumed" : "failed"]++;
    return session ?? this.#lives.open(link, userId);
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
      if (s.name !== name) {
        s.name = name;
        const rooms = [...s.rooms];
        this.#rooms.toRoommates(rooms, encodeEvent("renamed", { sessionId: s.id, name }), s);
        this.cluster.registry.sessionRenamed(member(s), rooms);
      }
      return { name };
    },
    join: async (s, { room }) => {
      if (!s.rooms.has(room)) {
        if (s.rooms.size >= LIMITS.maxRoomsPerSession) {
          throw new HubError(
            "too_many",
            `A session can be in at most ${LIMITS.maxRoomsPerSession} rooms`,
          );
        }
        await this.#rooms.join(s, room);
      }
      const [members, position] = await Promise.all([
        this.#rooms.members(room),
        this.cluster.streams.position(room),
      ]);
      return { room, members, ...position };
    },
    leave: async (s, { room }) => {
      this.#member(s, room);
      await this.#rooms.leave(s, room);
      return { room, members: await this.#rooms.members(room) };
    },
    rooms: async () => ({ rooms: await this.#rooms.list() }),
    watch_rooms: async (s) => ({ rooms: await this.#directory.watch(s) }),
    unwatch_rooms: (s) => {
      this.#directory.unwatch(s);
      return {};
    },
    history: async (s, { room, limit, before }) => {
      this.#member(s, room);
      const page = await this.cluster.streams.history(room, {
        limit: limit ?? LIMITS.defaultHistoryLimit,
        before,
      });
      return { room, ...page };
    },
    chat: (s, { room, text }) => {
      this.#member(s, room);
      const msgId = ulid();
      const ts = this.#now();
      const published = this.cluster.streams.publish({
        room,
        msgId,
        from: s.id,
        userId: s.userId,
        name: s.name,
        text,
        ts,
      });
      return published instanceof Promise ? published.then(() => ({ msgId, ts })) : { msgId, ts };
    },
    dm_request: (s, { to }) => this.#dms.request(s, to),
    dm_accept: (s, { from }) => this.#dms.accept(s, from),
    dm_decline: (s, { from }) => this.#dms.decline(s, from),
    dm: (s, { to, text }) => this.#dms.message(s, to, text),
    dm_close: (s, { with: other }) => this.#dms.close(s, other),
  };

  #member(s: Session, room: string): void {
    if (!s.rooms.has(room)) throw new HubError("not_member", `Not a member of room "${room}"`);
  }

  /** What the cluster delivers to this node, and reads from it. */
  readonly #inbox: ClusterInbox = {
    room: (room, frame) => this.#rooms.deliver(room, frame),
    signal: (signal) => this.#dms.receive(signal),
    renamed: (sessionId, name, rooms) => {
      this.#rooms.toRoommates(rooms, encodeEvent("renamed", { sessionId, name }));
    },
    gone: (sessions) => {
      for (const gone of sessions) this.#rooms.vanished(gone);
      this.#dms.gone(new Set(sessions.map((g) => g.sessionId)));
    },
    resynced: (reaped) => void this.#reconcile(reaped),
    release: (sessionId, secret, forward) => this.#moves.release(sessionId, secret, forward),
    adopt: (states) => this.#moves.adopt(states),
    abandon: (ids) => this.#moves.abandon(ids),
    snapshot: (): GoneSession[] =>
      [...this.#sessions.values()].map((s) => ({
        ...member(s),
        rooms: [...s.rooms],
        away: s.away !== undefined,
        connectedAt: s.connectedAt,
      })),
  };

  /**
   * Mends what an outage broke: conversations first; then, when the other nodes were told this
   * node's sessions were gone, its members are announced in their rooms again.
   */
  async #reconcile(reaped: boolean): Promise<void> {
    await this.#dms.reconcile(reaped);
    if (reaped) { for (const session of this.#sessions.values()) this.#rooms.announce(session); }
  }
}
