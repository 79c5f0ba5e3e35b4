/**
 * The transitions of the conversations reducer (`conversations_reducer.ts`): {@linkcode STEPS}
 * holds one function per {@linkcode ConversationEvent} type, each taking the state and an event of
 * its own type and returning the next state.
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
 *   conversation is shown, or while the reader does not see the conversations (`watching` off);
 *   our own actions never do. Seeing them again reads the one shown.
 * - A peer whose connection dropped is *away* (`peer_away`) until it resumes (`peer_back`) or its
 *   conversation ends. Away is a mark on a live conversation, not a status: the conversation is
 *   still open and what we send waits for the peer. Anything the peer says marks it back.
 *
 * Notices get their keys from a counter in the state, and their time from the event's `at`, so the
 * same events always give the same state.
 *
 * @module
 */

import type { CloseReason } from "../protocol/mod.ts";
import {
  closedByUs,
  edit,
  find,
  findLive,
  fresh,
  keptMark,
  put,
  rename,
} from "./conversations_edit.ts";
import {
  type ConversationEvent,
  type ConversationsState,
  type DmStatus,
  LIVE,
} from "./conversations_state.ts";
import type { StreamItem } from "./stream.ts";

type State = ConversationsState;
type Of<T extends ConversationEvent["type"]> = Extract<ConversationEvent, { type: T }>;

/** One step per event type; the mapped type makes a missing one a compile error. */
export const STEPS: { [T in ConversationEvent["type"]]: (state: State, event: Of<T>) => State } = {
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

  watching(state, { on }) {
    if (state.watching === on) return state;
    const next = { ...state, watching: on };
    const shown = on && state.active !== null ? find(state, state.active) : undefined;
    return shown === undefined || shown.unread === 0 ? next : put(next, { ...shown, unread: 0 });
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
