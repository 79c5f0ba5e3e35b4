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
  /** The user the session's token named (its `sub`); null for an anonymous session. */
  userId: string | null;
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

/**
 * Where a room's message stream stands: `offset` is the latest message's number (0 before the
 * first), and `epoch` names the stream, changing whenever the room's history is lost.
 */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

/** A chat message as `chat` events and `history` replies carry it. */
export interface ChatMessage extends StreamPosition {
  room: string;
  msgId: string;
  /** The sender's session id, or {@link SERVER_SENDER} for a message the server API published. */
  from: string;
  /** The sender's user id; null for an anonymous sender. */
  userId: string | null;
  name: string;
  text: string;
  ts: number;
  /**
   * What the application attached to a message it published through the server API: a JSON
   * object of at most `LIMITS.maxDataLength` characters as JSON. Absent on members' messages.
   */
  data?: Record<string, unknown>;
}

/** The `from` of a chat message the application's backend published through the server API. */
export const SERVER_SENDER = "server";

/** The `history` reply: the room's latest position and messages from it, oldest first. */
export interface HistoryReply extends StreamPosition {
  room: string;
  messages: ChatMessage[];
}

/** Every request type: what the client sends as `data`, and what the reply carries as `data`. */
export interface Requests {
  server_time: { req: Record<never, never>; res: { serverTime: number } };
  client_time: { req: Record<never, never>; res: { connectedAt: number; elapsedMs: number } };
  num_clients: { req: Record<never, never>; res: { count: number } };
  ping: { req: Record<never, never>; res: { serverTime: number } };
  random: { req: { text: string }; res: { text: string; n: number } };
  set_name: { req: { name: string }; res: { name: string } };
  join: { req: { room: string }; res: RoomReply & StreamPosition };
  leave: { req: { room: string }; res: RoomReply };
  rooms: { req: Record<never, never>; res: { rooms: RoomInfo[] } };
  watch_rooms: { req: Record<never, never>; res: { rooms: RoomInfo[] } };
  unwatch_rooms: { req: Record<never, never>; res: Record<never, never> };
  history: { req: { room: string; limit?: number; before?: number }; res: HistoryReply };
  chat: { req: { room: string; text: string }; res: { msgId: string; ts: number } };
  dm_request: { req: { to: string }; res: { to: string; status: "pending" | "accepted" } };
  dm_accept: { req: { from: string }; res: { with: string; name: string } };
  dm_decline: { req: { from: string }; res: { with: string } };
  dm: { req: { to: string; text: string }; res: { msgId: string; ts: number } };
  dm_close: { req: { with: string }; res: { with: string } };
  /** A new token for this session: same `sub`; the session then lives until its `exp`. */
  refresh: { req: { token: string }; res: { expiresAt: number } };
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
    /** The token's `sub`; null for an anonymous session. */
    userId: string | null;
    name: string;
    connectedAt: number;
    serverTime: number;
    heartbeatMs: number;
    /** Single use: pass it as `/ws?resume=<token>` to continue this session; "" when resume is off. */
    resumeToken: string;
    /** How long a dropped session waits to be resumed; 0 when resume is off. */
    resumeTtlMs: number;
    /** Whether this connection continues an earlier session. */
    resumed: boolean;
    /** Whether the name comes from the session's token, so `set_name` is refused. */
    nameLocked: boolean;
  };
  heartbeat: { text: "Connected"; serverTime: number };
  presence: {
    room: string;
    sessionId: string;
    userId: string | null;
    name: string;
    action: PresenceAction;
  };
  /** A member of one of your rooms changed their display name. */
  renamed: { sessionId: string; name: string };
  chat: ChatMessage;
  dm_request: { from: string; userId: string | null; name: string };
  dm_accepted: { with: string; name: string };
  dm_declined: { with: string; reason: DeclineReason };
  dm: {
    from: string;
    userId: string | null;
    name: string;
    text: string;
    msgId: string;
    ts: number;
  };
  dm_closed: { with: string; reason: CloseReason };
  /** The room list changed (to sessions that sent `watch_rooms`; at most once a second). */
  rooms: { rooms: RoomInfo[] };
  /** A peer's connection dropped; its session waits to be resumed. */
  dm_away: { with: string };
  /** An away peer resumed its session. */
  dm_back: { with: string };
  /** The session's token expires at `expiresAt` (epoch ms), 30 s from now: send `refresh`. */
  token_expiring: { expiresAt: number };
}

/** `join`/`leave` as members come and go; `away`/`back` as a member's connection drops and resumes. */
export type PresenceAction = "join" | "leave" | "away" | "back";

/** Events a resumed session gets replayed, in the order it would have got them. */
export const REPLAYED_EVENTS = [
  "chat",
  "dm",
  "dm_request",
  "dm_accepted",
  "dm_declined",
  "dm_closed",
] as const satisfies readonly EventType[];

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
  "unauthorized",
  "forbidden",
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
  /** `history` returns at most this many messages per request... */
  maxHistoryLimit: 100,
  /** ...and this many when no `limit` is given. */
  defaultHistoryLimit: 50,
  /**
   * A server API message's `data`: at most this many characters as JSON (`JSON.stringify`), so a
   * chat frame stays within what nodes accept from each other.
   */
  maxDataLength: 8192,
  /**
   * A token's `rooms` claim: at most this many entries, each a room name or a prefix of one
   * ending in `*` (`private-team-*`; `*` alone grants every room).
   */
  maxRoomGrants: 256,
  roomGrantPattern: /^(?:[A-Za-z0-9_.-]{1,64}|[A-Za-z0-9_.-]{0,63}\*)$/,
  /** Connection tokens (JWTs), in characters. */
  maxTokenLength: 8192,
  /** User ids (a token's `sub`): 1 to 64 characters, none of them control characters. */
  maxUserIdLength: 64,
  /** Resume tokens: at most 256 URL-safe characters. */
  resumeTokenPattern: /^[A-Za-z0-9._-]{1,256}$/,
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
  /** The client ends its session: no resume. */
  normal: 1000,
  /** Server shutting down. */
  goingAway: 1001,
  /** Stayed over a rate limit for too long. */
  policyViolation: 1008,
  /** Frame over `MAX_MESSAGE_BYTES`. */
  tooBig: 1009,
  /** A failure on the server's side. */
  internalError: 1011,
  /** Server restarting (SIGTERM): reconnect at once, without backoff, and resume elsewhere. */
  serviceRestart: 1012,
  /**
   * The application ended this session through the server API (`POST /api/disconnect`); the
   * default of the codes it may choose (4000 to 4999). `HubClient` does not reconnect after it.
   */
  disconnected: 4003,
  /** The session's token expired before a `refresh`: the session has ended. */
  tokenExpired: 4001,
  /** The user already has `USER_CONNECTION_LIMIT` sessions in the deployment. */
  userLimit: 4005,
  /** Slow consumer: too much unsent data queued for this client. */
  slowConsumer: 4008,
  /** Another connection resumed this session. */
  replaced: 4009,
} as const;
