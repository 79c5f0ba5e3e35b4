/**
 * What the hub knows about one connected client, and the two things every hub module hands
 * around with it: the `send` function the transport gave it, and {@link HubError}, the refusal a
 * client is told about.
 *
 * @module
 */

import type { ErrorCode, Events, EventType, Member } from "../protocol/mod.ts";

/** Hands one serialized frame to a session's transport. Must not throw. */
export type Send = (frame: string) => void;

/** A timer handle from {@link Timers}. */
export type TimerId = number;

/** A DM request waiting for its answer: the timer that expires it, and when. */
export interface Pending {
  readonly timer: TimerId;
  readonly expiresAt: number;
}

/**
 * Who a session's token says it is. The edge checked the token (`lib/auth/`); the hub trusts this
 * and never sees the token itself.
 */
export interface Identity {
  /** The token's `sub`. */
  readonly userId: string;
  /** The token's `name`, when it has one: the session's display name, which it cannot change. */
  readonly name?: string;
  /** Room names, or patterns ending in `*`, the session may join beyond public rooms. */
  readonly rooms: readonly string[];
  /** May join every room. */
  readonly admin: boolean;
  /** When the token expires (epoch ms): the session ends then, unless refreshed. */
  readonly expiresAt: number;
}

/** A session's current connection, as the transport hands it to the hub. */
export interface Link {
  send: Send;
  /** Closes the connection with a WebSocket close code, e.g. 4009 when another one resumed it. */
  close(code: number, reason: string): void;
  /**
   * True once the connection is gone, when the hub may still be getting its session ready (a
   * claim from another node): nothing sent on it arrives, so it must not be welcomed.
   */
  readonly gone?: boolean;
}

/** What a session keeps while its connection is gone and it waits to be resumed. */
export interface Away {
  /** Ends the session when the resume window closes. */
  readonly timer: TimerId;
  /** When the window closes (epoch ms). */
  readonly until: number;
  /** Frames to replay on resume, in the order they would have been sent. */
  readonly frames: string[];
  /** Set once the buffer overflowed: the session is ending and can no longer be resumed. */
  overflowed: boolean;
}

/**
 * One local session. Conversation state lives here; `conversations.ts` is what changes it. Its
 * `send` goes to the connection, or into the replay buffer while the session is away.
 */
export interface Session {
  readonly id: string;
  /** The user its token named, for as long as the session lives; null when anonymous. */
  readonly userId: string | null;
  /** Its token's claims, replaced by each refresh; undefined when anonymous. */
  identity: Identity | undefined;
  name: string;
  readonly connectedAt: number;
  readonly send: Send;
  /** The connection; undefined while away. */
  link: Link | undefined;
  /**
   * Frames held back, whatever the session's state: until its `welcome` can go out (a new
   * session waits to be counted by every node), or while it moves here from another node.
   */
  held: string[] | undefined;
  away: Away | undefined;
  readonly rooms: Set<string>;
  /** Accepted conversations: peer id → peer name. */
  readonly peers: Map<string, string>;
  /** DM requests this session sent that await an answer: target id → expiry. */
  readonly outgoing: Map<string, Pending>;
  /** DM requests this session received and has not answered: requester id → requester name. */
  readonly incoming: Map<string, string>;
}

/** A refusal the client is told about: the code and a message naming the cause. */
export class HubError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = "HubError";
  }
}

/** Serializes a server event frame once, for any number of recipients. */
export function encodeEvent<E extends EventType>(type: E, data: Events[E]): string {
  return `{"type":"${type}","data":${JSON.stringify(data)}}`;
}

/** A session as member lists and the registry name it. */
export function member(session: Session): Member {
  return { sessionId: session.id, userId: session.userId, name: session.name };
}
