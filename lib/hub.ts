/**
 * The hub: every session, room, connect time and direct-message conversation, with no sockets
 * inside. Each session is given a `send` function that takes one serialized frame, so the hub is
 * testable with plain arrays and the transport (WebSocket today) stays at the edge.
 *
 * Requests reach the hub already validated (see `validate.ts`). A request either returns its reply
 * data or throws a {@link HubError} whose code is one of the protocol's error codes.
 *
 * Fan-out serializes each event once and hands the same string to every recipient.
 *
 * @module
 */

import { monotonicFactory } from "ulid";
import {
  type CloseReason,
  type ErrorCode,
  type Events,
  type EventType,
  LIMITS,
  LOBBY,
  type Member,
  type ReplyData,
  type RequestType,
  type RoomInfo,
} from "./protocol.ts";
import type { ValidRequest } from "./validate.ts";

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
  /** Accepted conversations, by peer id. */
  readonly peers: Set<string>;
  /** DM requests this session sent and that await an answer: target id → expiry timer. */
  readonly outgoing: Map<string, Timer>;
  /** DM requests this session received and has not answered, by requester id. */
  readonly incoming: Set<string>;
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
) => ReplyData<T>;

/** Serializes a server event frame once, for any number of recipients. */
export function encodeEvent<E extends EventType>(type: E, data: Events[E]): string {
  return `{"type":"${type}","data":${JSON.stringify(data)}}`;
}

/**
 * Owns sessions, rooms and conversations.
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
  readonly #sessions = new Map<string, Session>();
  readonly #rooms = new Map<string, Set<Session>>();
  readonly #options: Required<HubOptions>;
  readonly #startedAt: number;
  #heartbeat: Timer | undefined;

  constructor(options: HubOptions) {
    this.#options = {
      presenceLimit: 1000,
      now: Date.now,
      random: Math.random,
      ...options,
    };
    this.#startedAt = this.#options.now();
  }

  /** Sessions connected to this hub. */
  get count(): number {
    return this.#sessions.size;
  }

  /** Looks a session up, for the transport and for tests. */
  session(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Room names with at least one member. */
  roomNames(): string[] {
    return [...this.#rooms.keys()];
  }

  stats(): HubStats {
    return {
      count: this.#sessions.size,
      rooms: this.#rooms.size,
      uptimeMs: this.#options.now() - this.#startedAt,
      ...this.metrics,
    };
  }

  /** Registers a new session, sends it `welcome` and puts it in the lobby. */
  connect(send: Send): Session {
    const id = ulid();
    const session: Session = {
      id,
      name: defaultName(id),
      connectedAt: this.#options.now(),
      send,
      rooms: new Set(),
      peers: new Set(),
      outgoing: new Map(),
      incoming: new Set(),
    };
    this.#sessions.set(id, session);
    send(encodeEvent("welcome", {
      sessionId: id,
      name: session.name,
      connectedAt: session.connectedAt,
      serverTime: this.#options.now(),
      heartbeatMs: this.#options.heartbeatMs,
    }));
    this.#join(session, LOBBY);
    return session;
  }

  /**
   * Removes a session and everything that refers to it: room memberships (members are told with
   * `presence` leave) and conversations (peers are told with `dm_closed` "disconnected").
   * Safe to call twice.
   */
  disconnect(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    for (const room of session.rooms) this.#leave(session, room);
    for (const peerId of session.peers) {
      const peer = this.#sessions.get(peerId);
      if (!peer) continue;
      peer.peers.delete(id);
      this.#closed(peer, id, "disconnected");
    }
    for (const [targetId, timer] of session.outgoing) {
      clearTimeout(timer);
      const target = this.#sessions.get(targetId);
      if (!target) continue;
      target.incoming.delete(id);
      this.#closed(target, id, "disconnected");
    }
    for (const fromId of session.incoming) {
      const from = this.#sessions.get(fromId);
      if (!from) continue;
      clearTimeout(from.outgoing.get(id));
      from.outgoing.delete(id);
      this.#closed(from, id, "disconnected");
    }
  }

  /**
   * Runs one validated request for a session and returns its reply data.
   *
   * @throws {HubError} when the request is refused; the code goes to the client.
   */
  handle<R extends ValidRequest>(sessionId: string, request: R): ReplyData<R["type"]> {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new HubError("not_found", "Session is no longer connected");
    const handler = this.#handlers[request.type] as Handler<R["type"]>;
    return handler(session, request.data as never);
  }

  /** Sends the "Connected" heartbeat to every session now. */
  heartbeat(): void {
    const frame = encodeEvent("heartbeat", { text: "Connected", serverTime: this.#options.now() });
    for (const session of this.#sessions.values()) this.#deliver(session, frame);
  }

  /** Sends the heartbeat every `heartbeatMs` until {@link close}. */
  startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => this.heartbeat(), this.#options.heartbeatMs);
  }

  /** Stops timers and forgets every session, without telling anyone: the transport closes sockets. */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const session of this.#sessions.values()) {
      for (const timer of session.outgoing.values()) clearTimeout(timer);
    }
    this.#sessions.clear();
    this.#rooms.clear();
  }

  readonly #handlers: { [T in RequestType]: Handler<T> } = {
    server_time: () => ({ serverTime: this.#options.now() }),
    ping: () => ({ serverTime: this.#options.now() }),
    client_time: (s) => ({
      connectedAt: s.connectedAt,
      elapsedMs: this.#options.now() - s.connectedAt,
    }),
    num_clients: () => ({ count: this.#sessions.size }),
    random: (_s, { text }) => {
      const n = Math.floor(this.#options.random() * 100) + 1;
      return { text: `${text} ${n}`, n };
    },
    set_name: (s, { name }) => {
      if (s.name !== name) {
        s.name = name;
        this.#toRoommates(s, encodeEvent("renamed", { sessionId: s.id, name }));
      }
      return { name };
    },
    join: (s, { room }) => {
      if (!s.rooms.has(room)) {
        if (s.rooms.size >= LIMITS.maxRoomsPerSession) {
          throw new HubError(
            "too_many",
            `A session can be in at most ${LIMITS.maxRoomsPerSession} rooms`,
          );
        }
        this.#join(s, room);
      }
      return { room, members: this.#members(room) };
    },
    leave: (s, { room }) => {
      if (!s.rooms.has(room)) throw new HubError("not_member", `Not a member of room "${room}"`);
      this.#leave(s, room);
      return { room, members: this.#members(room) };
    },
    rooms: () => ({ rooms: this.#roomList() }),
    chat: (s, { room, text }) => {
      const members = this.#rooms.get(room);
      if (!members || !s.rooms.has(room)) {
        throw new HubError("not_member", `Not a member of room "${room}"`);
      }
      const msgId = ulid();
      const ts = this.#options.now();
      const frame = encodeEvent("chat", { room, msgId, from: s.id, name: s.name, text, ts });
      for (const member of members) this.#deliver(member, frame);
      return { msgId, ts };
    },
    dm_request: (s, { to }) => {
      const target = this.#other(s, to, "data.to");
      if (s.peers.has(to)) return { to, status: "accepted" };
      // Both asked each other: that is consent on both sides.
      if (s.incoming.has(to)) {
        this.#accept(s, target);
        return { to, status: "accepted" };
      }
      if (s.outgoing.has(to)) return { to, status: "pending" };
      if (s.outgoing.size >= LIMITS.maxPendingDmRequests) {
        throw new HubError(
          "too_many",
          `At most ${LIMITS.maxPendingDmRequests} DM requests may wait for an answer at once`,
        );
      }
      const timer = setTimeout(() => this.#expire(s.id, to), this.#options.dmRequestTtlMs);
      s.outgoing.set(to, timer);
      target.incoming.add(s.id);
      this.#deliver(target, encodeEvent("dm_request", { from: s.id, name: s.name }));
      return { to, status: "pending" };
    },
    dm_accept: (s, { from }) => {
      const requester = this.#other(s, from, "data.from");
      if (s.peers.has(from)) return { with: from, name: requester.name };
      if (!s.incoming.has(from)) throw new HubError("no_request", `No DM request from ${from}`);
      this.#accept(s, requester);
      return { with: from, name: requester.name };
    },
    dm_decline: (s, { from }) => {
      const requester = this.#other(s, from, "data.from");
      if (!s.incoming.has(from)) throw new HubError("no_request", `No DM request from ${from}`);
      this.#dropRequest(requester, s);
      this.#deliver(requester, encodeEvent("dm_declined", { with: s.id, reason: "declined" }));
      return { with: from };
    },
    dm: (s, { to, text }) => {
      const peer = this.#other(s, to, "data.to");
      if (!s.peers.has(to)) {
        throw new HubError("not_connected", `No accepted conversation with ${to}`);
      }
      const msgId = ulid();
      const ts = this.#options.now();
      this.#deliver(peer, encodeEvent("dm", { from: s.id, name: s.name, text, msgId, ts }));
      return { msgId, ts };
    },
    dm_close: (s, { with: other }) => {
      const peer = this.#other(s, other, "data.with");
      if (s.peers.has(other)) {
        s.peers.delete(other);
        peer.peers.delete(s.id);
      } else if (s.outgoing.has(other)) {
        this.#dropRequest(s, peer);
      } else if (s.incoming.has(other)) {
        this.#dropRequest(peer, s);
      } else {
        throw new HubError("not_connected", `No conversation with ${other}`);
      }
      this.#closed(s, other, "closed");
      this.#closed(peer, s.id, "closed");
      return { with: other };
    },
  };

  #deliver(session: Session, frame: string): void {
    session.send(frame);
  }

  /** The other party of a DM operation, which must exist and not be the caller. */
  #other(self: Session, id: string, field: string): Session {
    if (id === self.id) throw new HubError("bad_request", `${field} is your own session id`);
    const other = this.#sessions.get(id);
    if (!other) throw new HubError("not_found", `No session ${id} is connected`);
    return other;
  }

  #join(session: Session, room: string): void {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, members = new Set());
    members.add(session);
    session.rooms.add(room);
    this.#presence(members, session, room, "join");
  }

  #leave(session: Session, room: string): void {
    const members = this.#rooms.get(room);
    session.rooms.delete(room);
    if (!members) return;
    members.delete(session);
    if (members.size === 0) this.#rooms.delete(room);
    else this.#presence(members, session, room, "leave");
  }

  #presence(members: Set<Session>, who: Session, room: string, action: "join" | "leave"): void {
    if (members.size > this.#options.presenceLimit) return;
    const frame = encodeEvent("presence", { room, sessionId: who.id, name: who.name, action });
    for (const member of members) if (member !== who) this.#deliver(member, frame);
  }

  /** Everyone who shares a room of presence-limited size with `session`, each once. */
  #toRoommates(session: Session, frame: string): void {
    const seen = new Set<Session>([session]);
    for (const room of session.rooms) {
      const members = this.#rooms.get(room)!;
      if (members.size > this.#options.presenceLimit) continue;
      for (const member of members) {
        if (seen.has(member)) continue;
        seen.add(member);
        this.#deliver(member, frame);
      }
    }
  }

  #members(room: string): Member[] {
    const members = this.#rooms.get(room);
    if (!members) return [];
    return [...members].map((m) => ({ sessionId: m.id, name: m.name }));
  }

  #roomList(): RoomInfo[] {
    return [...this.#rooms].map(([room, members]) => ({ room, size: members.size }))
      .sort((a, b) => b.size - a.size || (a.room < b.room ? -1 : 1))
      .slice(0, MAX_ROOMS_LISTED);
  }

  #accept(target: Session, requester: Session): void {
    this.#dropRequest(requester, target);
    target.peers.add(requester.id);
    requester.peers.add(target.id);
    this.#deliver(requester, encodeEvent("dm_accepted", { with: target.id, name: target.name }));
  }

  #dropRequest(requester: Session, target: Session): void {
    clearTimeout(requester.outgoing.get(target.id));
    requester.outgoing.delete(target.id);
    target.incoming.delete(requester.id);
  }

  #expire(requesterId: string, targetId: string): void {
    const requester = this.#sessions.get(requesterId);
    const target = this.#sessions.get(targetId);
    if (!requester || !target || !requester.outgoing.has(targetId)) return;
    this.#dropRequest(requester, target);
    this.#deliver(requester, encodeEvent("dm_declined", { with: targetId, reason: "expired" }));
    this.#closed(target, requesterId, "expired");
  }

  #closed(session: Session, other: string, reason: CloseReason): void {
    this.#deliver(session, encodeEvent("dm_closed", { with: other, reason }));
  }
}

/** `rooms` lists at most this many rooms, largest first, so one reply cannot grow without bound. */
export const MAX_ROOMS_LISTED = 1000;

/** A readable default that still tells sessions apart: the tail of the random part of the ULID. */
export function defaultName(sessionId: string): string {
  return `guest-${sessionId.slice(-6).toLowerCase()}`;
}
