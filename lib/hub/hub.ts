/**
 * The hub: every session, room, connect time and direct-message conversation of this node, with
 * no sockets inside. Each session is given a `send` function that takes one serialized frame, so
 * the hub is testable with plain arrays and the transport (WebSocket today) stays at the edge.
 *
 * Other nodes are reached through a {@link Cluster}; with the default {@link LocalCluster} the hub
 * is the whole deployment. Every step of a direct-message handshake travels as a {@link Signal}
 * to the other side's node, even when both sides are here, so one code path serves both cases.
 *
 * Requests reach the hub already validated (see `validate.ts`). A request returns its reply data,
 * or a promise of it when the answer needs the other nodes, or throws a {@link HubError}. Local
 * state changes before the handler returns, so a client may pipeline `join` and `chat`.
 *
 * Fan-out serializes each event once and hands the same string to every recipient.
 *
 * @module
 */

import { monotonicFactory } from "ulid";
import { type Cluster, type ClusterInbox, type GoneSession, type Signal } from "../cluster/seam.ts";
import { LocalCluster } from "../cluster/local.ts";
import {
  type CloseReason,
  defaultName,
  type ErrorCode,
  type Events,
  type EventType,
  LIMITS,
  LOBBY,
  type Member,
  type ReplyData,
  type RequestType,
  type RoomInfo,
} from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";

type Timer = ReturnType<typeof setTimeout>;

/** ULIDs that keep increasing within one millisecond, so ids sort in the order they were made. */
const ulid = monotonicFactory();

/** Hands one serialized frame to a session's transport. Must not throw. */
export type Send = (frame: string) => void;

/** A refusal the client is told about: the code and a message naming the cause. */
export class HubError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = "HubError";
  }
}

export interface HubOptions {
  /** Advertised in `welcome`; the heartbeat itself is driven by {@link Hub.startHeartbeat}. */
  heartbeatMs: number;
  /** How long a DM request waits for an answer. */
  dmRequestTtlMs: number;
  /** Rooms larger than this get no `presence`/`renamed` events, which would cost O(n²) to fill. */
  presenceLimit?: number;
  /** The other nodes; a deployment of one by default. */
  cluster?: Cluster;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number;
}

/** What the hub knows about one connected client. */
export interface Session {
  readonly id: string;
  name: string;
  readonly connectedAt: number;
  readonly send: Send;
  readonly rooms: Set<string>;
  /** Accepted conversations: peer id → peer name. */
  readonly peers: Map<string, string>;
  /** DM requests this session sent that await an answer: target id → expiry timer. */
  readonly outgoing: Map<string, Timer>;
  /** DM requests this session received and has not answered: requester id → requester name. */
  readonly incoming: Map<string, string>;
}

/** Counters for `/api/stats`. The transport counts frames in and out. */
export interface HubMetrics {
  messagesIn: number;
  messagesOut: number;
}

export interface HubStats extends HubMetrics {
  count: number;
  rooms: number;
  uptimeMs: number;
}

type Handler<T extends RequestType> = (
  session: Session,
  data: Extract<ValidRequest, { type: T }>["data"],
) => ReplyData<T> | Promise<ReplyData<T>>;

/** Serializes a server event frame once, for any number of recipients. */
export function encodeEvent<E extends EventType>(type: E, data: Events[E]): string {
  return `{"type":"${type}","data":${JSON.stringify(data)}}`;
}

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
  readonly metrics: HubMetrics = { messagesIn: 0, messagesOut: 0 };
  readonly cluster: Cluster;
  readonly #sessions = new Map<string, Session>();
  readonly #rooms = new Map<string, Set<Session>>();
  readonly #options: Required<Omit<HubOptions, "cluster">>;
  readonly #startedAt: number;
  #heartbeat: Timer | undefined;

  constructor(options: HubOptions) {
    const { cluster, ...rest } = options;
    this.#options = { presenceLimit: 250, now: Date.now, random: Math.random, ...rest };
    this.cluster = cluster ?? new LocalCluster();
    this.#startedAt = this.#options.now();
  }

  /** Connects the hub to its cluster; call once before serving when the cluster is not local. */
  start(): Promise<void> {
    return this.cluster.start(this.#inbox);
  }

  /** Sessions connected to this node. */
  get count(): number {
    return this.#sessions.size;
  }

  /** Sessions connected to the whole deployment. */
  async deploymentCount(): Promise<number> {
    return this.#sessions.size + await this.cluster.remoteCount();
  }

  /** Looks a local session up, for the transport and for tests. */
  session(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** This node's sessions with their rooms, for a cluster rewriting its state. */
  snapshot(): GoneSession[] {
    return [...this.#sessions.values()].map((s) => ({
      sessionId: s.id,
      name: s.name,
      rooms: [...s.rooms],
    }));
  }

  /** Names of rooms with at least one member on this node. */
  roomNames(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Figures for `/api/stats`: `count` and `rooms` are deployment-wide. */
  async stats(): Promise<HubStats> {
    const [count, rooms] = await Promise.all([this.deploymentCount(), this.#roomSizes()]);
    return {
      count,
      rooms: rooms.size,
      uptimeMs: this.#options.now() - this.#startedAt,
      ...this.metrics,
    };
  }

  /**
   * Registers a new session, sends it `welcome` and puts it in the lobby. When the cluster needs
   * time to register the session with the other nodes, `welcome` waits for it, and frames for the
   * session wait behind `welcome`, so a welcomed client is already counted everywhere.
   */
  connect(send: Send): Session {
    const id = ulid();
    const name = defaultName(id);
    const connectedAt = this.#options.now();
    const welcome = () =>
      encodeEvent("welcome", {
        sessionId: id,
        name,
        connectedAt,
        serverTime: this.#options.now(),
        heartbeatMs: this.#options.heartbeatMs,
      });
    const registered = this.cluster.sessionOpened(id, name);
    let held: string[] | undefined;
    if (registered) {
      held = [];
      registered.then(() => {
        const frames = held!;
        held = undefined;
        send(welcome());
        for (const frame of frames) send(frame);
      });
    } else {
      send(welcome());
    }
    const session: Session = {
      id,
      name,
      connectedAt,
      send: registered ? (frame) => held ? held.push(frame) : send(frame) : send,
      rooms: new Set(),
      peers: new Map(),
      outgoing: new Map(),
      incoming: new Map(),
    };
    this.#sessions.set(id, session);
    this.#join(session, LOBBY);
    return session;
  }

  /**
   * Removes a session and everything that refers to it: room memberships (members are told with
   * `presence` leave) and conversations (the other sides get `dm_closed` "disconnected").
   * Safe to call twice.
   */
  disconnect(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    for (const room of session.rooms) this.#leave(session, room);
    const others = new Set([
      ...session.peers.keys(),
      ...session.outgoing.keys(),
      ...session.incoming.keys(),
    ]);
    for (const timer of session.outgoing.values()) clearTimeout(timer);
    for (const other of others) {
      this.#signal({ kind: "dm_end", to: other, from: id, reason: "disconnected" });
    }
    this.cluster.sessionClosed(id);
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

  /** Sends the "Connected" heartbeat to every local session now. */
  heartbeat(): void {
    const frame = encodeEvent("heartbeat", { text: "Connected", serverTime: this.#options.now() });
    for (const session of this.#sessions.values()) session.send(frame);
  }

  /** Sends the heartbeat every `heartbeatMs` until {@link close}. */
  startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => this.heartbeat(), this.#options.heartbeatMs);
  }

  /**
   * Stops timers, leaves the cluster and forgets every session without telling local clients:
   * the transport closes their sockets.
   */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const session of this.#sessions.values()) {
      for (const timer of session.outgoing.values()) clearTimeout(timer);
    }
    this.#sessions.clear();
    this.#rooms.clear();
    await this.cluster.close();
  }

  readonly #handlers: { [T in RequestType]: Handler<T> } = {
    server_time: () => ({ serverTime: this.#options.now() }),
    ping: () => ({ serverTime: this.#options.now() }),
    client_time: (s) => ({
      connectedAt: s.connectedAt,
      elapsedMs: this.#options.now() - s.connectedAt,
    }),
    num_clients: async () => ({ count: await this.deploymentCount() }),
    random: (_s, { text }) => {
      const n = Math.floor(this.#options.random() * 100) + 1;
      return { text: `${text} ${n}`, n };
    },
    set_name: (s, { name }) => {
      if (s.name !== name) {
        s.name = name;
        const rooms = [...s.rooms];
        this.#toRoommates(rooms, encodeEvent("renamed", { sessionId: s.id, name }), s);
        this.cluster.sessionRenamed(s.id, name, rooms);
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
        await this.#join(s, room);
      }
      return { room, members: await this.#members(room) };
    },
    leave: async (s, { room }) => {
      if (!s.rooms.has(room)) throw new HubError("not_member", `Not a member of room "${room}"`);
      await this.#leave(s, room);
      return { room, members: await this.#members(room) };
    },
    rooms: async () => ({ rooms: await this.#roomList() }),
    chat: (s, { room, text }) => {
      if (!s.rooms.has(room)) throw new HubError("not_member", `Not a member of room "${room}"`);
      const msgId = ulid();
      const ts = this.#options.now();
      const frame = encodeEvent("chat", { room, msgId, from: s.id, name: s.name, text, ts });
      this.#toRoom(room, frame);
      return { msgId, ts };
    },
    dm_request: async (s, { to }) => {
      this.#notSelf(s, to, "data.to");
      if (s.peers.has(to)) return { to, status: "accepted" };
      // Both asked each other: that is consent on both sides.
      if (s.incoming.has(to)) {
        this.#accept(s, to);
        return { to, status: "accepted" };
      }
      if (s.outgoing.has(to)) return { to, status: "pending" };
      if (s.outgoing.size >= LIMITS.maxPendingDmRequests) {
        throw new HubError(
          "too_many",
          `At most ${LIMITS.maxPendingDmRequests} DM requests may wait for an answer at once`,
        );
      }
      // The slot is taken before the other nodes are asked, so pipelined requests cannot all
      // pass the limit while the lookups are in flight.
      s.outgoing.set(to, setTimeout(() => this.#expire(s, to), this.#options.dmRequestTtlMs));
      try {
        await this.#mustExist(to);
      } catch (err) {
        clearTimeout(s.outgoing.get(to));
        s.outgoing.delete(to);
        throw err;
      }
      // The session may have gone, or the request been answered, while the others were asked.
      if (!this.#sessions.has(s.id)) {
        throw new HubError("not_found", "Session is no longer connected");
      }
      if (s.outgoing.has(to)) this.#signal({ kind: "dm_request", to, from: s.id, name: s.name });
      return { to, status: s.peers.has(to) ? "accepted" : "pending" };
    },
    dm_accept: (s, { from }) => {
      this.#notSelf(s, from, "data.from");
      const known = s.peers.get(from);
      if (known !== undefined) return { with: from, name: known };
      const name = s.incoming.get(from);
      if (name === undefined) return this.#noRequest(from);
      this.#accept(s, from);
      return { with: from, name };
    },
    dm_decline: (s, { from }) => {
      this.#notSelf(s, from, "data.from");
      if (!s.incoming.delete(from)) return this.#noRequest(from);
      this.#signal({ kind: "dm_declined", to: from, from: s.id });
      return { with: from };
    },
    dm: (s, { to, text }) => {
      this.#notSelf(s, to, "data.to");
      if (!s.peers.has(to)) {
        return this.#mustExist(to).then(() => {
          throw new HubError("not_connected", `No accepted conversation with ${to}`);
        });
      }
      const msgId = ulid();
      const ts = this.#options.now();
      this.#signal({ kind: "dm", to, from: s.id, name: s.name, text, msgId, ts });
      return { msgId, ts };
    },
    dm_close: (s, { with: other }) => {
      this.#notSelf(s, other, "data.with");
      if (!this.#forget(s, other)) {
        return this.#mustExist(other).then(() => {
          throw new HubError("not_connected", `No conversation with ${other}`);
        });
      }
      this.#closed(s, other, "closed");
      this.#signal({ kind: "dm_end", to: other, from: s.id, reason: "closed" });
      return { with: other };
    },
  };

  /** What the cluster delivers to this node. */
  readonly #inbox: ClusterInbox = {
    room: (room, frame) => {
      const members = this.#rooms.get(room);
      if (members) { for (const member of members) member.send(frame); }
    },
    signal: (signal) => this.#apply(signal),
    renamed: (sessionId, name, rooms) => {
      this.#toRoommates(rooms, encodeEvent("renamed", { sessionId, name }));
    },
    gone: (sessions) => this.#gone(sessions),
    resynced: (reaped) => void this.#reconcile(reaped),
  };

  /**
   * Mends what an outage broke. Reaped: the other nodes ended every conversation with this node's
   * sessions and saw them leave their rooms, so this side ends those conversations too and
   * announces its members again. Not reaped: a signal that ended a conversation may have been
   * lost, so each partner on another node is looked up, and the gone are let go.
   */
  async #reconcile(reaped: boolean): Promise<void> {
    for (const session of [...this.#sessions.values()]) {
      const partners = [
        ...session.peers.keys(),
        ...session.outgoing.keys(),
        ...session.incoming.keys(),
      ].filter((id) => !this.#sessions.has(id));
      for (const partner of partners) {
        if (!reaped && await this.cluster.locate(partner)) continue;
        if (!this.#forget(session, partner)) continue;
        this.#closed(session, partner, "disconnected");
        if (reaped) {
          this.cluster.signal({
            kind: "dm_end",
            to: partner,
            from: session.id,
            reason: "disconnected",
          });
        }
      }
      if (reaped) {
        for (const room of session.rooms) {
          if ((this.#rooms.get(room)?.size ?? 0) > this.#options.presenceLimit) continue;
          this.cluster.publish(
            room,
            encodeEvent("presence", {
              room,
              sessionId: session.id,
              name: session.name,
              action: "join",
            }),
          );
        }
      }
    }
  }

  /** Refuses an operation on one's own session id. */
  #notSelf(self: Session, id: string, field: string): void {
    if (id === self.id) throw new HubError("bad_request", `${field} is your own session id`);
  }

  /** Resolves when `id` is connected somewhere in the deployment; `not_found` otherwise. */
  async #mustExist(id: string): Promise<void> {
    if (this.#sessions.has(id) || await this.cluster.locate(id)) return;
    throw new HubError("not_found", `No session ${id} is connected`);
  }

  /** Refuses an answer to a request that is not there: `not_found` if the asker is gone too. */
  #noRequest(from: string): Promise<never> {
    return this.#mustExist(from).then(() => {
      throw new HubError("no_request", `No DM request from ${from}`);
    });
  }

  /** Delivers a signal here when its target is local, or hands it to the cluster. */
  #signal(signal: Signal): void {
    if (this.#sessions.has(signal.to)) this.#apply(signal);
    else this.cluster.signal(signal);
  }

  /** The receiving side of every DM step; each side changes only its own session's state. */
  #apply(signal: Signal): void {
    const target = this.#sessions.get(signal.to);
    if (!target) {
      // The target left while the signal travelled (or its end was lost in an outage): a request
      // or a message needs an answer, or the sender would go on talking to no one.
      if (signal.kind === "dm_request" || signal.kind === "dm") {
        this.#signal({ kind: "dm_end", to: signal.from, from: signal.to, reason: "disconnected" });
      }
      return;
    }
    const from = signal.from;
    switch (signal.kind) {
      case "dm_request":
        if (target.peers.has(from) || target.incoming.has(from)) return;
        if (target.outgoing.has(from)) {
          // The two requests crossed between nodes: both sides have consented.
          clearTimeout(target.outgoing.get(from));
          target.outgoing.delete(from);
          target.peers.set(from, signal.name);
          target.send(encodeEvent("dm_accepted", { with: from, name: signal.name }));
          this.#signal({ kind: "dm_accepted", to: from, from: target.id, name: target.name });
          return;
        }
        target.incoming.set(from, signal.name);
        target.send(encodeEvent("dm_request", { from, name: signal.name }));
        return;
      case "dm_accepted":
        if (target.peers.has(from)) return;
        if (!target.outgoing.has(from)) {
          // Accepted after the request expired or was withdrawn: the conversation is off.
          this.#signal({ kind: "dm_end", to: from, from: target.id, reason: "closed" });
          return;
        }
        clearTimeout(target.outgoing.get(from));
        target.outgoing.delete(from);
        target.peers.set(from, signal.name);
        target.send(encodeEvent("dm_accepted", { with: from, name: signal.name }));
        return;
      case "dm_declined":
        if (!target.outgoing.has(from)) return;
        clearTimeout(target.outgoing.get(from));
        target.outgoing.delete(from);
        target.send(encodeEvent("dm_declined", { with: from, reason: "declined" }));
        return;
      case "dm":
        if (!target.peers.has(from)) {
          // This side had ended the conversation, and the sender never heard.
          this.#signal({ kind: "dm_end", to: from, from: target.id, reason: "closed" });
          return;
        }
        target.send(encodeEvent("dm", {
          from,
          name: signal.name,
          text: signal.text,
          msgId: signal.msgId,
          ts: signal.ts,
        }));
        return;
      case "dm_end":
        if (this.#forget(target, from)) this.#closed(target, from, signal.reason);
        return;
    }
  }

  #accept(target: Session, requester: string): void {
    const name = target.incoming.get(requester)!;
    target.incoming.delete(requester);
    target.peers.set(requester, name);
    this.#signal({ kind: "dm_accepted", to: requester, from: target.id, name: target.name });
  }

  /** Drops any conversation or request between `session` and `other`; false if there was none. */
  #forget(session: Session, other: string): boolean {
    const timer = session.outgoing.get(other);
    clearTimeout(timer);
    const outgoing = session.outgoing.delete(other);
    const peer = session.peers.delete(other);
    const incoming = session.incoming.delete(other);
    return outgoing || peer || incoming;
  }

  #expire(requester: Session, target: string): void {
    if (!requester.outgoing.delete(target)) return;
    requester.send(encodeEvent("dm_declined", { with: target, reason: "expired" }));
    this.#signal({ kind: "dm_end", to: target, from: requester.id, reason: "expired" });
  }

  #closed(session: Session, other: string, reason: CloseReason): void {
    session.send(encodeEvent("dm_closed", { with: other, reason }));
  }

  /** Sessions of another node vanished: their roommates and conversation partners here learn it. */
  #gone(sessions: GoneSession[]): void {
    for (const gone of sessions) {
      for (const room of gone.rooms) {
        const members = this.#rooms.get(room);
        if (!members || members.size > this.#options.presenceLimit) continue;
        const frame = encodeEvent("presence", {
          room,
          sessionId: gone.sessionId,
          name: gone.name,
          action: "leave",
        });
        for (const member of members) member.send(frame);
      }
    }
    const ids = new Set(sessions.map((g) => g.sessionId));
    for (const session of this.#sessions.values()) {
      if (session.peers.size + session.outgoing.size + session.incoming.size === 0) continue;
      for (const id of ids) {
        if (this.#forget(session, id)) this.#closed(session, id, "disconnected");
      }
    }
  }

  /** A frame for every member of `room`: local ones now, the other nodes' through the cluster. */
  #toRoom(room: string, frame: string): void {
    const members = this.#rooms.get(room);
    if (members) { for (const member of members) member.send(frame); }
    this.cluster.publish(room, frame);
  }

  #join(session: Session, room: string): Promise<void> {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, members = new Set());
    members.add(session);
    session.rooms.add(room);
    this.#presence(members, session, room, "join");
    return this.cluster.joined(room, session.id, session.name);
  }

  #leave(session: Session, room: string): Promise<void> {
    const members = this.#rooms.get(room);
    session.rooms.delete(room);
    const left = this.cluster.left(room, session.id);
    if (members) {
      members.delete(session);
      if (members.size === 0) this.#rooms.delete(room);
      this.#presence(members, session, room, "leave");
    }
    return left;
  }

  #presence(members: Set<Session>, who: Session, room: string, action: "join" | "leave"): void {
    if (members.size > this.#options.presenceLimit) return;
    const frame = encodeEvent("presence", { room, sessionId: who.id, name: who.name, action });
    for (const member of members) if (member !== who) member.send(frame);
    this.cluster.publish(room, frame);
  }

  /** Every local member of presence-sized `rooms`, each once, except `skip`. */
  #toRoommates(rooms: string[], frame: string, skip?: Session): void {
    const seen = new Set<Session>();
    if (skip) seen.add(skip);
    for (const room of rooms) {
      const members = this.#rooms.get(room);
      if (!members || members.size > this.#options.presenceLimit) continue;
      for (const member of members) {
        if (seen.has(member)) continue;
        seen.add(member);
        member.send(frame);
      }
    }
  }

  async #members(room: string): Promise<Member[]> {
    const local = [...this.#rooms.get(room) ?? []].map((m) => ({ sessionId: m.id, name: m.name }));
    const remote = await this.cluster.remoteMembers(room);
    return remote.length === 0 ? local : local.concat(remote);
  }

  /** Member counts of every room in the deployment. */
  async #roomSizes(): Promise<Map<string, number>> {
    const sizes = await this.cluster.remoteRooms();
    for (const [room, members] of this.#rooms) {
      sizes.set(room, (sizes.get(room) ?? 0) + members.size);
    }
    return sizes;
  }

  async #roomList(): Promise<RoomInfo[]> {
    return [...await this.#roomSizes()].map(([room, size]) => ({ room, size }))
      .sort((a, b) => b.size - a.size || (a.room < b.room ? -1 : 1))
      .slice(0, MAX_ROOMS_LISTED);
  }
}

/** `rooms` lists at most this many rooms, largest first, so one reply cannot grow without bound. */
export const MAX_ROOMS_LISTED = 1000;
