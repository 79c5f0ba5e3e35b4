/**
 * The wire protocol, in one place: every frame shape, request, reply, event and error code that
 * the server, the islands, the load client, third-party clients and the tests speak.
 * `docs/protocol.md` is the prose version of this file; keep the two in step.
 *
 * This module is types and constants only, so it is cheap to import in the browser.
 *
 * @module
 */

/** Correlates a request with its one reply. */
export type RequestId = number | string;

/** A client frame as it arrives: `{type, id?, data?}`. */
export interface ClientFrame {
  type: string;
  id?: RequestId;
  data?: Record<string, unknown>;
}

/** A room member as the server reports it. */
export interface Member {
  sessionId: string;
  name: string;
}

/** A room and how many sessions are in it. */
export interface RoomInfo {
  room: string;
  size: number;
}

/** Replies carry a room's full member list, so a client can draw it without a second request. */
export interface RoomReply {
  room: string;
  members: Member[];
}

/** Every request type: what the client sends as `data`, and what the reply carries as `data`. */
export interface Requests {
  server_time: { req: Record<never, never>; res: { serverTime: number } };
  client_time: { req: Record<never, never>; res: { connectedAt: number; elapsedMs: number } };
  num_clients: { req: Record<never, never>; res: { count: number } };
  ping: { req: Record<never, never>; res: { serverTime: number } };
  random: { req: { text: string }; res: { text: string; n: number } };
  set_name: { req: { name: string }; res: { name: string } };
  join: { req: { room: string }; res: RoomReply };
  leave: { req: { room: string }; res: RoomReply };
  rooms: { req: Record<never, never>; res: { rooms: RoomInfo[] } };
  chat: { req: { room: string; text: string }; res: { msgId: string; ts: number } };
  dm_request: { req: { to: string }; res: { to: string; status: "pending" | "accepted" } };
  dm_accept: { req: { from: string }; res: { with: string; name: string } };
  dm_decline: { req: { from: string }; res: { with: string } };
  dm: { req: { to: string; text: string }; res: { msgId: string; ts: number } };
  dm_close: { req: { with: string }; res: { with: string } };
}

export type RequestType = keyof Requests;
export type RequestData<T extends RequestType> = Requests[T]["req"];
export type ReplyData<T extends RequestType> = Requests[T]["res"];

/** Why a direct-message request ended without a conversation. */
export type DeclineReason = "declined" | "expired";
/**
 * Why a conversation ended, or a pending request went away: `closed` by `dm_close`, the other side
 * `disconnected`, or (sent to the target of a request) the request `expired` unanswered.
 */
export type CloseReason = "closed" | "disconnected" | "expired";

/** Every server-pushed event and its `data`. */
export interface Events {
  welcome: {
    sessionId: string;
    name: string;
    connectedAt: number;
    serverTime: number;
    heartbeatMs: number;
  };
  heartbeat: { text: "Connected"; serverTime: number };
  presence: { room: string; sessionId: string; name: string; action: "join" | "leave" };
  /** A member of one of your rooms changed their display name. */
  renamed: { sessionId: string; name: string };
  chat: { room: string; msgId: string; from: string; name: string; text: string; ts: number };
  dm_request: { from: string; name: string };
  dm_accepted: { with: string; name: string };
  dm_declined: { with: string; reason: DeclineReason };
  dm: { from: string; name: string; text: string; msgId: string; ts: number };
  dm_closed: { with: string; reason: CloseReason };
}

export type EventType = keyof Events;

/** A server event frame. */
export interface EventFrame<E extends EventType = EventType> {
  type: E;
  data: Events[E];
}

/** The reasons a request can fail; each is named in `docs/protocol.md`. */
export const ERROR_CODES = [
  "bad_json",
  "bad_request",
  "unknown_type",
  "rate_limited",
  "not_member",
  "not_found",
  "not_connected",
  "no_request",
  "too_many",
  "internal",
] as const;

export type ErrorCode = typeof ERROR_CODES[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** A reply frame: exactly one per request that carried an `id`; errors also go to `id: null`. */
export type ReplyFrame<D = unknown> =
  | { type: "reply"; id: RequestId; ok: true; data: D }
  | { type: "reply"; id: RequestId | null; ok: false; error: ErrorBody };

/** Any frame the server sends. */
export type ServerFrame = ReplyFrame | EventFrame;

/** Limits that both sides may check; the server enforces them. */
export const LIMITS = {
  /** Chat, DM and random-service text, in UTF-16 code units (JavaScript string length). */
  maxTextLength: 4000,
  minNameLength: 1,
  maxNameLength: 32,
  /** Room names: 1 to 64 of `[A-Za-z0-9_.-]`. */
  roomPattern: /^[A-Za-z0-9_.-]{1,64}$/,
  /** Rooms one session may be in at once, lobby included. */
  maxRoomsPerSession: 100,
  /** Outgoing DM requests one session may have pending at once. */
  maxPendingDmRequests: 20,
  /** A string request id longer than this is refused, so replies cannot be used to amplify. */
  maxIdLength: 64,
} as const;

/** The room every session is in from the start. */
export const LOBBY = "lobby";

/**
 * The name a session has until it sets one: readable, and still telling sessions apart, as the
 * tail of the random part of its ULID. Clients use it too, for a peer whose name they never saw.
 */
export function defaultName(sessionId: string): string {
  return `guest-${sessionId.slice(-6).toLowerCase()}`;
}

/** WebSocket close codes the server uses. */
export const CLOSE_CODES = {
  /** Server shutting down. */
  goingAway: 1001,
  /** Stayed over a rate limit for too long. */
  policyViolation: 1008,
  /** Frame over `MAX_MESSAGE_BYTES`. */
  tooBig: 1009,
  /** Slow consumer: too much unsent data queued for this client. */
  slowConsumer: 4008,
} as const;
