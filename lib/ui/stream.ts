/**
 * The lines of a chat or conversation stream, and the two things every stream does with them:
 * add a notice, and keep only the newest items. Pure, apart from the counter behind room notice
 * keys.
 *
 * @module
 */

/** One line in a chat or conversation stream. */
export type StreamItem =
  | {
    kind: "message";
    /** Message id, unique in its stream. */
    key: string;
    from: string;
    name: string;
    text: string;
    ts: number;
    mine: boolean;
  }
  | {
    kind: "notice";
    key: string;
    text: string;
    ts: number;
    /** Set on presence and rename notices, which the page folds into runs ("3 people joined"). */
    about?: PeopleNotice;
  };

/** Who a presence or rename notice is about, and what they did. */
export interface PeopleNotice {
  action: "join" | "leave" | "rename";
  sessionId: string;
  /** The name they have after it. */
  name: string;
}

/** Messages kept per stream unless a store says otherwise. */
export const MAX_ITEMS = 500;

let noticeCounter = 0;

/**
 * A notice with a key no other notice made here has.
 *
 * ```ts
 * notice("You joined #deno.").kind; // "notice"
 * ```
 */
export function notice(text: string, ts: number = Date.now(), about?: PeopleNotice): StreamItem {
  const item: StreamItem = { kind: "notice", key: `n${++noticeCounter}`, text, ts };
  return about === undefined ? item : { ...item, about };
}

/**
 * `items` with `item` added at the end, cut to the newest `max`. Never changes `items`.
 *
 * ```ts
 * const [a, b, c] = ["a", "b", "c"].map((text) => notice(text));
 * append([a, b], c, 2); // [b, c]
 * ```
 */
export function append(
  items: readonly StreamItem[],
  item: StreamItem,
  max: number,
): StreamItem[] {
  const next = [...items, item];
  return next.length > max ? next.slice(next.length - max) : next;
}
