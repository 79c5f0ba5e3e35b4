/**
 * The conversations slice of the store: direct requests, conversations, their unread counts and
 * endings. Its state is one signal that only {@linkcode reduceConversations} changes; the actions
 * send the request, then dispatch what the reply says, and the store dispatches the hub's events.
 *
 * @module
 */

import { computed, type ReadonlySignal, signal } from "@preact/signals";
import { type Events, LIMITS } from "../protocol/mod.ts";
import { checkSessionId } from "./checks.ts";
import {
  type Conversation,
  type ConversationChange,
  type ConversationEvent,
  type ConversationsState,
  initialConversations,
  reduceConversations,
} from "./conversations_reducer.ts";
import { errorText } from "./error_text.ts";
import { checkText, type Request } from "./requests.ts";

/** What the islands read and call. Actions reject with a readable Error. */
export interface ConversationsView {
  /** Conversations, newest first. */
  readonly conversations: ReadonlySignal<readonly Conversation[]>;
  readonly activeDm: ReadonlySignal<string | null>;
  requestDm(to: string): Promise<void>;
  acceptDm(peer: string): Promise<void>;
  declineDm(peer: string): Promise<void>;
  closeDm(peer: string): Promise<void>;
  sendDm(peer: string, text: string): Promise<void>;
  showDm(peer: string | null): void;
  dismissDm(peer: string): void;
}

/** The slice: the view, plus what the store feeds it. */
export interface ConversationsSlice extends ConversationsView {
  /** Folds one change in, stamped with the local clock. */
  dispatch(change: ConversationChange): void;
  /** Folds in one of the hub's DM events. */
  receive<E extends DmEvent>(type: E, data: Events[E]): void;
  /** The whole state, to keep across a reload of the page. */
  snapshot(): ConversationsState;
  /** Takes back a state from {@linkcode snapshot}, in place of the current one. */
  restore(state: ConversationsState): void;
}

/** The hub events that concern conversations. */
export type DmEvent =
  | "dm_request"
  | "dm_accepted"
  | "dm_declined"
  | "dm"
  | "dm_closed"
  | "dm_away"
  | "dm_back";

/** The hub events the slice folds in, by name, for the store to subscribe to. */
export const DM_EVENTS: readonly DmEvent[] = [
  "dm_request",
  "dm_accepted",
  "dm_declined",
  "dm",
  "dm_closed",
  "dm_away",
  "dm_back",
];

/** What the slice needs from the rest of the store. */
export interface ConversationsDeps {
  request: Request;
  /** Our session id, or "" before the first welcome. */
  me(): string;
  /** Our display name. */
  myName(): string;
  /** A name for a session we have no conversation with yet (a room member's, or the default). */
  nameOf(sessionId: string): string;
  /** Items kept per conversation. */
  maxItems?: number;
}

export function createConversations(deps: ConversationsDeps): ConversationsSlice {
  const { request, me } = deps;
  const state = signal<ConversationsState>(initialConversations({ maxItems: deps.maxItems }));
  const conversations = computed(() => state.value.conversations);
  const activeDm = computed(() => state.value.active);

  function dispatch(change: ConversationChange): void {
    const event: ConversationEvent = { ...change, at: Date.now() };
    state.value = reduceConversations(state.value, event);
  }

  function receive<E extends DmEvent>(type: E, data: Events[E]): void {
    const e = { type, data } as { [K in DmEvent]: { type: K; data: Events[K] } }[DmEvent];
    switch (e.type) {
      case "dm_request":
        return dispatch({ type: "request_received", peer: e.data.from, name: e.data.name });
      case "dm_accepted":
        return dispatch({ type: "accepted", peer: e.data.with, name: e.data.name });
      case "dm_declined":
        return dispatch({ type: "declined", peer: e.data.with, reason: e.data.reason });
      case "dm_closed":
        return dispatch({ type: "closed", peer: e.data.with, reason: e.data.reason });
      case "dm_away":
        return dispatch({ type: "peer_away", peer: e.data.with });
      case "dm_back":
        return dispatch({ type: "peer_back", peer: e.data.with });
      case "dm": {
        const { from, name, msgId, text, ts } = e.data;
        return dispatch({ type: "message_received", peer: from, name, msgId, text, ts });
      }
    }
  }

  /** Answers only a request that still waits: any other would come back `no_request`. */
  function assertIncoming(peer: string): void {
    const c = state.value.conversations.find((x) => x.peer === peer);
    if (c?.status !== "incoming") throw new Error(errorText("dm_accept", "no_request"));
  }

  return {
    conversations,
    activeDm,
    dispatch,
    receive,
    snapshot: () => state.value,
    restore(saved) {
      state.value = { ...saved, maxItems: state.value.maxItems, watching: state.value.watching };
    },

    async requestDm(to) {
      const peer = checkSessionId(to);
      if (peer === me()) throw new Error("That is your own session.");
      const known = state.value.conversations.find((c) => c.peer === peer);
      // Already talking, or already asked: the hub would change nothing, so just show it.
      if (known?.status === "open" || known?.status === "outgoing") {
        dispatch({ type: "shown", peer });
        return;
      }
      const waiting = state.value.conversations.filter((c) => c.status === "outgoing").length;
      if (waiting >= LIMITS.maxPendingDmRequests) {
        throw new Error(errorText("dm_request", "too_many"));
      }
      const reply = await request("dm_request", { to: peer });
      dispatch({
        type: "request_sent",
        peer,
        name: deps.nameOf(peer),
        accepted: reply.status === "accepted",
      });
    },

    async acceptDm(peer) {
      assertIncoming(peer);
      const reply = await request("dm_accept", { from: peer });
      dispatch({ type: "accept_sent", peer, name: reply.name });
    },

    async declineDm(peer) {
      assertIncoming(peer);
      await request("dm_decline", { from: peer });
      dispatch({ type: "decline_sent", peer });
    },

    async closeDm(peer) {
      // Mark first: our own dm_closed event arrives before the reply.
      dispatch({ type: "close_started", peer });
      try {
        await request("dm_close", { with: peer });
      } catch (err) {
        dispatch({ type: "close_failed", peer });
        throw err;
      }
      dispatch({ type: "close_sent", peer });
    },

    async sendDm(peer, text) {
      checkText(text);
      const reply = await request("dm", { to: peer, text });
      const { msgId, ts } = reply;
      dispatch({ type: "message_sent", peer, msgId, from: me(), name: deps.myName(), text, ts });
    },

    showDm(peer) {
      dispatch({ type: "shown", peer });
    },

    dismissDm(peer) {
      dispatch({ type: "dismissed", peer });
    },
  };
}
