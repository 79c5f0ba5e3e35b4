/**
 * Direct conversations as a pure reducer: {@linkcode reduceConversations} takes the state and one
 * {@linkcode ConversationEvent} and returns the next state, changing nothing it was given. Every
 * request, answer, ending and message in or out goes through it, whether the hub pushed it, a
 * reply to our own request brought it, or the user did something on the page.
 *
 * The reducer is three modules with one job each, and this one is the entry point that the rest
 * of the page imports (the types are re-exported here):
 *
 * - `conversations_state.ts`: the state, the events, and the initial state;
 * - `conversations_steps.ts`: one step per event type, and the rules that make odd orders of
 *   events come out right;
 * - `conversations_edit.ts`: the pure helpers the steps are written with.
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

import type { ConversationEvent, ConversationsState } from "./conversations_state.ts";
import { STEPS } from "./conversations_steps.ts";

type State = ConversationsState;

export {
  type Conversation,
  type ConversationChange,
  type ConversationEvent,
  type ConversationsState,
  type DmStatus,
  FINISHED,
  initialConversations,
  LIVE,
} from "./conversations_state.ts";

/**
 * The state after `event`. Returns `state` itself when the event changes nothing, so a signal
 * holding it does not notify.
 */
export function reduceConversations(
  state: ConversationsState,
  event: ConversationEvent,
): ConversationsState {
  // Each step takes the event of its own type; the table is complete by its type.
  const step = STEPS[event.type] as (s: State, e: ConversationEvent) => State;
  return step(state, event);
}
