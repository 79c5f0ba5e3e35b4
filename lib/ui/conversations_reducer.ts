/**
 * Direct conversations as a pure reducer: {@linkcode reduceConversations} takes the state and one
 * {@linkcode ConversationEvent} and returns the next state, changing nothing it was given. Every
 * request, answer, ending and message in or out goes through it, whether the hub pushed it, a
 * reply to our own request brought it, or the user did something on the page.
 *
 * The rules, so odd orders come out right:
 *
 * - What the hub says *opens* something always applies: a request received, an accept, a reply
 *   that says we are connected. The hub knows which conversations are live; hiding one it has
 *   opened would leave the peer talking to no one. A repeat (a request while one is waiting, an
 *   accept of an open conversation) changes nothing but the peer's name.
 * - What *ends* something applies only to a live conversation (`outgoing`, `incoming`, `open`):
 *   there is nothing to end in an unknown or finished one, and a second ending would only confuse.
 *   A decline answers our request, so it applies only while we wait (`outgoing`).
 * - No message is lost: one from an unknown peer starts an open conversation (the hub relays
 *   messages only within one); one whose id is already in the stream is not added again.
 * - Our own close: `close_started` marks the conversation, so the `closed` event the hub echoes to
 *   us (before the reply) reads "You closed…", not "{peer} closed…"; `close_sent` covers a reply
 *   without an echo, `close_failed` takes the mark back.
 * - A notice or message that the peer or the hub caused counts as unread while another
 *   conversation is shown; our own actions never do.
 * - A peer whose connection dropped is *away* (`peer_away`) until it resumes (`peer_back`) or its
 *   conversation ends. Away is a mark on a live conversation, not a status: the conversation is
 *   still open and what we send waits for the peer. Anything the peer says marks it back.
 *
 * Notices get their keys from a counter in the state, and their time from the event's `at`, so the
 * same events always give the same state.
 *
 * To add a transition: add its shape to {@linkcode ConversationChange} and its function to
 * `STEPS`; the compiler asks for both.
 *
 * ```ts
 * let s = initialConversations();
 * s = reduceConversations(s, { type: "request_received", peer: "01B", name: "Bob", at: 0 });
 * s.conversations[0].status; // "incoming"
 * ```
 *
 * @module
 */

import type { CloseReason, DeclineReason } from "../protocol/mod.ts";
import { append, MAX_ITEMS, type StreamItem } from "./stream.ts";

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
 * On the page: `renamed` (the peer took a new name), `shown`, `dismissed`,
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
  | { type: "session_replaced" }
  | { type: "session_resumed" };

/** A {@linkcode ConversationChange} and when it happened (local clock, ms): the notices' time. */
export type ConversationEvent = ConversationChange & { at: number };

/** No conversations yet. */
export function initialConversations(
  { maxItems = MAX_ITEMS }: { maxItems?: number } = {},
): ConversationsState {
  return { conversations: [], active: null, notices: 0, maxItems };
}

/**
 * The state after `event`. Returns `state` itself when the event changes nothing, so a signal
 * holding it does not notify.
 */
export function reduceConversations(
  state: ConversationsState,
  event: ConversationEvent,
): ConversationsState {
  // Each step takes the event of its own type; the table is complete by its type.
  const step = STEPS[event.type] as (s: ConversationsState, e: ConversationEvent) => State;
  return step(state, event);
}

// ---- the steps ---------------------------------------------------------------------------------

type State = ConversationsState;
type Of<T extends ConversationEvent["type"]> = Extract<ConversationEvent, { type: T }>;

const STEPS: { [T in ConversationEvent["type"]]: (state: State, event: Of<T>) => State } = {
  request_received(state, { peer, name, at }) {
    const c = find(state, peer);
    if (c?.status === "incoming") return rename(state, c, name);
    // Nothing else shown: show the request at once, so Accept and Decline are in view.
    const shown = state.active === null ? { ...state, active: peer } : state;
    return edit(shown, c ?? fresh(peer, name), {
      name,
      status: "incoming",
      closedByMe: keptMark(c),
      notice: `${name} wants to start a conversation.`,
      fromPeer: true,
    }, at);
  },

  request_sent(state, { peer, name, accepted, at }) {
    const c = find(state, peer);
    const shown = state.active === peer ? state : { ...state, active: peer };
    // A repeat, or a late "pending" after the peer's accept arrived: nothing new to say.
    if (c?.status === "open" || (c?.status === "outgoing" && !accepted)) return shown;
    const who = c?.name ?? name;
    return edit(shown, c ?? fresh(peer, name), {
      status: accepted ? "open" : "outgoing",
      closedByMe: keptMark(c),
      notice: accepted
        ? `You and ${who} are connected.`
        : `Request sent to ${who}. Waiting for an answer…`,
    }, at);
  },

  accepted(state, { peer, name, at }) {
    const c = find(state, peer);
    if (c?.status === "open") return rename(state, c, name);
    return edit(state, c ?? fresh(peer, name), {
      name,
      status: "open",
      closedByMe: keptMark(c),
      notice: `${name} accepted. You can talk now.`,
      fromPeer: true,
    }, at);
  },

  accept_sent(state, { peer, name, at }) {
    const c = find(state, peer);
    if (c?.status === "open") return rename(state, c, name);
    return edit(state, c ?? fresh(peer, name), {
      name,
      status: "open",
      closedByMe: keptMark(c),
      notice: `You accepted. Say hello to ${name}!`,
    }, at);
  },

  declined(state, { peer, reason, at }) {
    const c = find(state, peer);
    if (c?.status !== "outgoing") return state;
    return edit(state, c, {
      status: reason === "expired" ? "expired" : "declined",
      notice: reason === "expired"
        ? `Your request to ${c.name} expired without an answer.`
        : `${c.name} declined your request.`,
      fromPeer: true,
    }, at);
  },

  decline_sent(state, { peer, at }) {
    const c = findLive(state, peer);
    if (c === undefined) return state;
    return edit(state, c, { status: "refused", notice: `You declined ${c.name}'s request.` }, at);
  },

  closed(state, { peer, reason, at }) {
    const c = findLive(state, peer);
    if (c === undefined) return state;
    // Our own dm_close, echoed to us.
    if (reason === "closed" && c.closedByMe) return closedByUs(state, c, at);
    const ending: Record<CloseReason, [DmStatus, string]> = {
      closed: [
        "closed",
        c.status === "open"
          ? `${c.name} closed the conversation.`
          : `${c.name} withdrew the request.`,
      ],
      disconnected: ["gone", `${c.name} went offline.`],
      expired: ["expired", `${c.name}'s request expired.`],
    };
    const [status, notice] = ending[reason];
    return edit(state, c, { status, notice, fromPeer: true }, at);
  },

  close_started(state, { peer }) {
    const c = findLive(state, peer);
    if (c === undefined || c.closedByMe) return state;
    return put(state, { ...c, closedByMe: true });
  },

  close_sent(state, { peer, at }) {
    const c = findLive(state, peer);
    return c === undefined ? state : closedByUs(state, c, at);
  },

  close_failed(state, { peer }) {
    const c = findLive(state, peer);
    if (c === undefined || !c.closedByMe) return state;
    return put(state, { ...c, closedByMe: false });
  },

  message_received(state, { peer, name, msgId, text, ts, at }) {
    const c = find(state, peer);
    if (c?.items.some((i) => i.key === msgId)) return state;
    const message: StreamItem = {
      kind: "message",
      key: msgId,
      from: peer,
      name,
      text,
      ts,
      mine: false,
    };
    return edit(state, c ?? { ...fresh(peer, name), status: "open" }, {
      name,
      message,
      fromPeer: true,
    }, at);
  },

  message_sent(state, { peer, msgId, from, name, text, ts, at }) {
    const c = find(state, peer);
    if (c === undefined || c.items.some((i) => i.key === msgId)) return state;
    const message: StreamItem = { kind: "message", key: msgId, from, name, text, ts, mine: true };
    return edit(state, c, { message }, at);
  },

  peer_away(state, { peer }) {
    const c = findLive(state, peer);
    if (c === undefined || c.peerAway) return state;
    return put(state, { ...c, peerAway: true });
  },

  peer_back(state, { peer }) {
    const c = find(state, peer);
    if (c === undefined || !c.peerAway) return state;
    return put(state, { ...c, peerAway: false });
  },

  renamed(state, { peer, name }) {
    const c = find(state, peer);
    return c === undefined ? state : rename(state, c, name);
  },

  shown(state, { peer }) {
    if (peer === null) return state.active === null ? state : { ...state, active: null };
    const c = find(state, peer);
    if (c === undefined) return state;
    if (state.active === peer && c.unread === 0) return state;
    return put({ ...state, active: peer }, { ...c, unread: 0 });
  },

  dismissed(state, { peer }) {
    if (find(state, peer) === undefined) return state;
    return {
      ...state,
      conversations: state.conversations.filter((c) => c.peer !== peer),
      active: state.active === peer ? null : state.active,
    };
  },

  session_replaced(state, { at }) {
    let next = state;
    for (const c of state.conversations) {
      if (!LIVE.has(c.status)) continue;
      next = edit(next, c, {
        status: "ended",
        notice: "Your connection dropped, so this conversation ended.",
      }, at);
    }
    return next;
  },

  session_resumed(state) {
    // A resume replays messages and endings but not dm_away/dm_back: a peer that came back while
    // we were gone would stay marked away for good. Not knowing reads better than being wrong.
    let next = state;
    for (const c of state.conversations) {
      if (c.peerAway) next = put(next, { ...c, peerAway: false });
    }
    return next;
  },
};

// ---- helpers -----------------------------------------------------------------------------------

function find(state: State, peer: string): Conversation | undefined {
  return state.conversations.find((c) => c.peer === peer);
}

function findLive(state: State, peer: string): Conversation | undefined {
  const c = find(state, peer);
  return c !== undefined && LIVE.has(c.status) ? c : undefined;
}

/** A conversation not in the state yet; each step sets its status. */
function fresh(peer: string, name: string): Conversation {
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
function keptMark(c: Conversation | undefined): boolean {
  return c !== undefined && LIVE.has(c.status) && c.closedByMe;
}

/** The state with `c` in place of the conversation with its peer, or first if it is new. */
function put(state: State, c: Conversation): State {
  const known = state.conversations.some((x) => x.peer === c.peer);
  const conversations = known
    ? state.conversations.map((x) => x.peer === c.peer ? c : x)
    : [c, ...state.conversations];
  return { ...state, conversations };
}

function rename(state: State, c: Conversation, name: string): State {
  return c.name === name ? state : put(state, { ...c, name });
}

function closedByUs(state: State, c: Conversation, at: number): State {
  return edit(state, c, {
    status: "closed",
    closedByMe: true,
    notice: c.status === "open" ? "You closed this conversation." : "You withdrew your request.",
  }, at);
}

interface Edit {
  name?: string;
  status?: DmStatus;
  closedByMe?: boolean;
  /** A notice to add, stamped with the event's time. */
  notice?: string;
  message?: StreamItem;
  /** The peer or the hub caused it: counts as unread unless the conversation is shown. */
  fromPeer?: boolean;
}

/** `c` changed by `edit` and put into the state. */
function edit(state: State, c: Conversation, edit: Edit, at: number): State {
  let { notices } = state;
  let items = c.items;
  if (edit.notice !== undefined) {
    const item: StreamItem = { kind: "notice", key: `dm${++notices}`, text: edit.notice, ts: at };
    items = append(items, item, state.maxItems);
  }
  if (edit.message !== undefined) items = append(items, edit.message, state.maxItems);
  const counts = edit.fromPeer === true && state.active !== c.peer;
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
