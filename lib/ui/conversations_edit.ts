/**
 * The pure helpers the reducer's steps (`conversations_steps.ts`) are written with: finding a
 * conversation, starting one, putting a changed one back in its place, and {@linkcode edit}, the
 * one place where notices get their keys, streams are capped, unread counts grow and the away
 * mark is dropped. None of them changes what it is given.
 *
 * @module
 */

import {
  type Conversation,
  type ConversationsState,
  type DmStatus,
  LIVE,
} from "./conversations_state.ts";
import { append, type StreamItem } from "./stream.ts";

type State = ConversationsState;

export function find(state: State, peer: string): Conversation | undefined {
  return state.conversations.find((c) => c.peer === peer);
}

export function findLive(state: State, peer: string): Conversation | undefined {
  const c = find(state, peer);
  return c !== undefined && LIVE.has(c.status) ? c : undefined;
}

/** A conversation not in the state yet; each step sets its status. */
export function fresh(peer: string, name: string): Conversation {
  return {
    peer,
    name,
    status: "outgoing",
    closedByMe: false,
    peerAway: false,
    items: [],
    unread: 0,
  };
}

/** A live conversation keeps its close mark (a close may be under way); a new start drops it. */
export function keptMark(c: Conversation | undefined): boolean {
  return c !== undefined && LIVE.has(c.status) && c.closedByMe;
}

/** The state with `c` in place of the conversation with its peer, or first if it is new. */
export function put(state: State, c: Conversation): State {
  const known = state.conversations.some((x) => x.peer === c.peer);
  const conversations = known
    ? state.conversations.map((x) => x.peer === c.peer ? c : x)
    : [c, ...state.conversations];
  return { ...state, conversations };
}

export function rename(state: State, c: Conversation, name: string): State {
  return c.name === name ? state : put(state, { ...c, name });
}

export function closedByUs(state: State, c: Conversation, at: number): State {
  return edit(state, c, {
    status: "closed",
    closedByMe: true,
    notice: c.status === "open" ? "You closed this conversation." : "You withdrew your request.",
  }, at);
}

/** What a step changes in one conversation; what it leaves out stays as it was. */
export interface Edit {
  name?: string;
  status?: DmStatus;
  closedByMe?: boolean;
  /** A notice to add, stamped with the event's time. */
  notice?: string;
  message?: StreamItem;
  /** The peer or the hub caused it: counts as unread unless the conversation is shown and seen. */
  fromPeer?: boolean;
}

/** `c` changed by `edit` and put into the state. */
export function edit(state: State, c: Conversation, edit: Edit, at: number): State {
  let { notices } = state;
  let items = c.items;
  if (edit.notice !== undefined) {
    const item: StreamItem = { kind: "notice", key: `dm${++notices}`, text: edit.notice, ts: at };
    items = append(items, item, state.maxItems);
  }
  if (edit.message !== undefined) items = append(items, edit.message, state.maxItems);
  const counts = edit.fromPeer === true && (state.active !== c.peer || !state.watching);
  const status = edit.status ?? c.status;
  return put({ ...state, notices }, {
    ...c,
    name: edit.name ?? c.name,
    status,
    closedByMe: edit.closedByMe ?? c.closedByMe,
    // The peer spoke, so it is here; and only a live conversation has a peer to wait for.
    peerAway: c.peerAway && edit.fromPeer !== true && LIVE.has(status),
    items,
    unread: counts ? c.unread + 1 : c.unread,
  });
}
