/**
 * How a stream reads: consecutive messages from one sender form a group (the name and time are
 * said once, at its top), and a run of join, leave and rename notices folds into one line
 * ("Ada and Grace joined", "5 people joined, 2 left") that opens to show each notice. After a reconnect a room may see a dozen
 * such notices in a row; folded, they no longer push the conversation out of view. Pure.
 *
 * ```ts
 * import { notice } from "./stream.ts";
 * const joined = (name: string) =>
 *   notice(`${name} joined #lobby.`, 0, { action: "join", sessionId: name, name });
 * streamRows(["Ada", "Grace", "Linus", "Rich"].map(joined))[0];
 * // { kind: "people", summary: "4 people joined", … }
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

/** Runs of up to this many people name them; longer ones count them. */
export const NAMED_PEOPLE = 3;

/**
 * A run of people notices in one line: who joined, left, and changed their name, by name when
 * few people are in it ("Ada and Grace joined"), else by count ("5 people joined, 2 left"). A
 * rename of someone who joined in the same run is part of their arrival, not news of its own, and
 * everyone is named as they are called at the end of the run.
 */
export function summarize(run: readonly NoticeItem[]): string {
  const people = new Map<string, { name: string; did: Set<string> }>();
  for (const { about } of run) {
    if (about === undefined) continue;
    const person = people.get(about.sessionId) ?? { name: about.name, did: new Set<string>() };
    person.name = about.name;
    person.did.add(about.action);
    people.set(about.sessionId, person);
  }
  const all = [...people.values()];
  const joined = all.filter((p) => p.did.has("join"));
  const left = all.filter((p) => p.did.has("leave"));
  const renamed = all.filter((p) => p.did.has("rename") && !p.did.has("join"));
  const named = all.length <= NAMED_PEOPLE;
  const parts: string[] = [];
  const say = (group: typeof all, verb: string) => {
    if (group.length === 0) return;
    const who = named
      ? list(group.map((p) => p.name))
      : parts.length > 0
      ? String(group.length)
      : group.length === 1
      ? "1 person"
      : `${group.length} people`;
    parts.push(`${who} ${verb}`);
  };
  say(joined, "joined");
  say(left, "left");
  say(renamed, renamed.length === 1 ? "changed their name" : "changed their names");
  return parts.join(", ");
}

/** "Ada", "Ada and Grace", "Ada, Grace and Linus". */
function list(names: string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
