/**
 * The state of a page's direct conversations, and the changes that move it: the types that
 * `conversations_reducer.ts` (which folds the changes in), `conversations.ts` (which dispatches
 * them) and `page_memory.ts` (which keeps the state across a reload) share. Nothing here changes
 * anything.
 *
 * @module
 */

import type { CloseReason, DeclineReason } from "../protocol/mod.ts";
import { MAX_ITEMS, type StreamItem } from "./stream.ts";

/**
 * Where a direct conversation stands.
 *
 * - `outgoing`: we asked, waiting for an answer; `incoming`: they asked, we must answer.
 * - `open`: both agreed; messages flow.
 * - `declined`: they said no; `refused`: we said no; `expired`: nobody answered in time.
 * - `closed`: one side closed it; `gone`: the peer disconnected.
 * - `ended`: our own connection dropped, so this session (and the conversation) is gone.
 */
export type DmStatus =
  | "outgoing"
  | "incoming"
  | "open"
  | "declined"
  | "refused"
  | "expired"
  | "closed"
  | "gone"
  | "ended";

/** A direct conversation (or request) with one peer. */
export interface Conversation {
  peer: string;
  name: string;
  status: DmStatus;
  /** We asked to close it (for `closed`: we closed it). */
  closedByMe: boolean;
  /** The peer's connection dropped and it may come back; only ever set while live. */
  peerAway: boolean;
  items: StreamItem[];
  unread: number;
}

/** Statuses in which something can still happen: a request waits, or messages flow. */
export const LIVE: ReadonlySet<DmStatus> = new Set(["outgoing", "incoming", "open"]);

/** Statuses in which nothing more can happen without a new request. */
export const FINISHED: ReadonlySet<DmStatus> = new Set([
  "declined",
  "refused",
  "expired",
  "closed",
  "gone",
  "ended",
]);

/** Every conversation of this page, and which one is shown. */
export interface ConversationsState {
  /** Newest first: a new conversation goes to the top, and stays where it is after that. */
  readonly conversations: readonly Conversation[];
  /** The peer whose conversation is shown, if any. */
  readonly active: string | null;
  /**
   * Whether the reader sees the conversations (the page is in sight, and on a phone their tab is
   * open): while not, even the shown conversation counts what arrives as unread.
   */
  readonly watching: boolean;
  /** Notices made so far; the next notice's key comes from it. */
  readonly notices: number;
  /** Items kept per conversation. */
  readonly maxItems: number;
}

/**
 * What can happen to the conversations. `peer` is always the other session's id.
 *
 * From the hub: `request_received` (`dm_request`), `accepted` (`dm_accepted`), `declined`
 * (`dm_declined`: declined or expired), `closed` (`dm_closed`: closed, disconnected, expired),
 * `message_received` (`dm`), `peer_away` (`dm_away`), `peer_back` (`dm_back`).
 *
 * Replies to our own requests: `request_sent` (`dm_request`, `accepted` when the hub connected us
 * at once), `accept_sent`, `decline_sent`, `close_started` / `close_sent` / `close_failed`
 * (around `dm_close`), `message_sent` (`dm`).
 *
 * On the page: `renamed` (the peer took a new name), `shown`, `dismissed`, `watching` (the reader
 * sees the conversations, or stopped seeing them),
 * `session_replaced` (we reconnected as a new session, so every live conversation ended), and
 * `session_resumed` (we reconnected to the same session, so every conversation goes on).
 */
export type ConversationChange =
  | { type: "request_received"; peer: string; name: string }
  | {
    type: "request_sent";
    peer: string;
    /** The peer's name, used if the conversation is new. */
    name: string;
    accepted: boolean;
  }
  | { type: "accepted"; peer: string; name: string }
  | { type: "accept_sent"; peer: string; name: string }
  | { type: "declined"; peer: string; reason: DeclineReason }
  | { type: "decline_sent"; peer: string }
  | { type: "closed"; peer: string; reason: CloseReason }
  | { type: "close_started"; peer: string }
  | { type: "close_sent"; peer: string }
  | { type: "close_failed"; peer: string }
  | {
    type: "message_received";
    peer: string;
    name: string;
    msgId: string;
    text: string;
    ts: number;
  }
  | {
    type: "message_sent";
    peer: string;
    msgId: string;
    /** Our own session id and name. */
    from: string;
    name: string;
    text: string;
    ts: number;
  }
  | { type: "peer_away"; peer: string }
  | { type: "peer_back"; peer: string }
  | { type: "renamed"; peer: string; name: string }
  | { type: "shown"; peer: string | null }
  | { type: "dismissed"; peer: string }
  | { type: "watching"; on: boolean }
  | { type: "session_replaced" }
  | { type: "session_resumed" };

/** A {@linkcode ConversationChange} and when it happened (local clock, ms): the notices' time. */
export type ConversationEvent = ConversationChange & { at: number };

/** No conversations yet. */
export function initialConversations(
  { maxItems = MAX_ITEMS }: { maxItems?: number } = {},
): ConversationsState {
  return { conversations: [], active: null, watching: true, notices: 0, maxItems };
}
