/**
 * How a stream reads: consecutive messages from one sender form a group (the name and time are
 * said once, at its top), and a run of join, leave and rename notices folds into one line
 * ("3 people joined, 1 left") that opens to show who. After a reconnect a room may see a dozen
 * such notices in a row; folded, they no longer push the conversation out of view. Pure.
 *
 * ```ts
 * import { notice } from "./stream.ts";
 * const joined = (name: string) =>
 *   notice(`${name} joined #lobby.`, 0, { action: "join", sessionId: name, name });
 * streamRows([joined("Ada"), joined("Grace"), joined("Linus")])[0];
 * // { kind: "people", summary: "3 people joined", … }
 * ```
 *
 * @module
 */

import type { StreamItem } from "./stream.ts";

export type MessageItem = Extract<StreamItem, { kind: "message" }>;
export type NoticeItem = Extract<StreamItem, { kind: "notice" }>;

/** One row of a stream as drawn. `key` is its first item's. */
export type StreamRow =
  | {
    kind: "message";
    key: string;
    item: MessageItem;
    /** Same sender as the message just above, soon after it: drawn without name and time. */
    continues: boolean;
  }
  | { kind: "notice"; key: string; item: NoticeItem }
  | { kind: "people"; key: string; items: NoticeItem[]; summary: string };

/** Messages further apart than this start a new group, even from the same sender. */
export const GROUP_MS = 5 * 60_000;

export function streamRows(items: readonly StreamItem[], groupMs = GROUP_MS): StreamRow[] {
  const rows: StreamRow[] = [];
  let run: NoticeItem[] = [];
  const flush = () => {
    if (run.length === 1) rows.push({ kind: "notice", key: run[0].key, item: run[0] });
    if (run.length > 1) {
      rows.push({ kind: "people", key: run[0].key, items: run, summary: summarize(run) });
    }
    run = [];
  };
  for (const item of items) {
    if (item.kind === "notice" && item.about !== undefined) {
      run.push(item);
      continue;
    }
    flush();
    if (item.kind === "notice") {
      rows.push({ kind: "notice", key: item.key, item });
      continue;
    }
    const above = rows.at(-1);
    const continues = above?.kind === "message" && above.item.from === item.from &&
      above.item.mine === item.mine && item.ts - above.item.ts < groupMs;
    rows.push({ kind: "message", key: item.key, item, continues });
  }
  flush();
  return rows;
}

/**
 * A run of people notices in one line: how many people joined, left, and changed their name. A
 * rename of someone who joined in the same run is part of their arrival, not news of its own.
 */
export function summarize(run: readonly NoticeItem[]): string {
  const did = { join: new Set<string>(), leave: new Set<string>(), rename: new Set<string>() };
  for (const { about } of run) if (about) did[about.action].add(about.sessionId);
  const renamed = [...did.rename].filter((id) => !did.join.has(id)).length;
  const parts: string[] = [];
  if (did.join.size > 0) parts.push(`${people(did.join.size)} joined`);
  if (did.leave.size > 0) {
    parts.push(parts.length ? `${did.leave.size} left` : `${people(did.leave.size)} left`);
  }
  if (renamed > 0) {
    parts.push(
      parts.length ? `${renamed} changed their name` : `${people(renamed)} changed their name`,
    );
  }
  return parts.join(", ");
}

function people(n: number): string {
  return n === 1 ? "1 person" : `${n} people`;
}
