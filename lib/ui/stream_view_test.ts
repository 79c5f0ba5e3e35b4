import assert from "node:assert/strict";
import { notice, type PeopleNotice, type StreamItem } from "./stream.ts";
import { GROUP_MS, streamRows } from "./stream_view.ts";

const message = (key: string, from: string, ts: number, mine = false): StreamItem => ({
  kind: "message",
  key,
  from,
  name: from,
  text: key,
  ts,
  mine,
});
const person = (action: PeopleNotice["action"], who: string, name = who) =>
  notice(`${who} ${action}`, 0, { action, sessionId: who, name });
const shape = (items: StreamItem[]) =>
  streamRows(items).map((r) =>
    r.kind === "message"
      ? `${r.key}${r.continues ? "+" : ""}`
      : r.kind === "people"
      ? `[${r.summary}]`
      : r.item.text
  );

Deno.test("stream rows: one sender's messages in a row group; a gap, a notice or another sender ends it", () => {
  assert.deepEqual(
    shape([
      message("a1", "ada", 0),
      message("a2", "ada", 1000),
      message("b1", "bob", 2000),
      message("b2", "bob", 2000 + GROUP_MS),
      notice("Connection lost."),
      message("b3", "bob", 2000 + GROUP_MS),
      message("b4", "bob", 2001 + GROUP_MS, true),
    ]),
    ["a1", "a2+", "b1", "b2", "Connection lost.", "b3", "b4"],
  );
});

Deno.test("stream rows: a run of people notices folds into one line, a single one stays as it is", () => {
  assert.deepEqual(
    shape([
      person("join", "ada"),
      message("m", "bob", 0),
      person("join", "ada"),
      person("join", "grace"),
      person("join", "linus"),
      message("n", "bob", 1),
      person("join", "x"),
      person("rename", "x", "Xena"),
      person("leave", "y"),
      person("rename", "z"),
      notice("Reconnected."),
      person("join", "a"),
      person("join", "b"),
      person("join", "c"),
      person("join", "d"),
      person("leave", "e"),
      person("rename", "f"),
      notice("."),
      person("leave", "y"),
      person("rename", "z"),
    ]),
    [
      "ada join",
      "m",
      "[ada, grace and linus joined]",
      "n",
      "[Xena joined, y left, z changed their name]",
      "Reconnected.",
      "[4 people joined, 1 left, 1 changed their name]",
      ".",
      "[y left, z changed their name]",
    ],
  );
  // The run keeps its first notice's key as it grows, so an opened run stays open.
  const first = person("join", "a");
  const run = [first, person("join", "b")];
  assert.equal(streamRows(run)[0].key, first.key);
  assert.equal(streamRows([...run, person("leave", "c")])[0].key, first.key);
});
