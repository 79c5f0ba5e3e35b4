/**
 * End-to-end tests of rooms as streams, written from docs/protocol.md ("Rooms as streams, and
 * history") over real sockets to a real single server: `offset` and `epoch` on every chat and in
 * the `join` reply, the `history` request (newest first page, paging back with `before`, limits,
 * membership, bad input), `HISTORY_SIZE`, `HISTORY_TTL_MS` (history outliving the last member,
 * and lost after the room stays idle), a new epoch after a restart, and offset order for every
 * member.
 */

import assert from "node:assert/strict";
import type { ChatMessage, HistoryReply } from "../lib/protocol/mod.ts";
import { delay, eventually, Probe, startTestServer } from "./helpers.ts";
import { barrier, idOf, isEvent, ok, open, refused, welcomeOf } from "./protocol_asserts.ts";
import { spawnServer } from "./server_process.ts";

// ---- helpers ----------------------------------------------------------------------------------

/** Sends `count` chats to `room` at once (CHAT_RATE must be off) and waits for every reply. */
async function flood(probe: Probe, room: string, count: number, prefix = "m"): Promise<void> {
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  ids.forEach((id, i) =>
    probe.send({ type: "chat", id, data: { room, text: `${prefix}${i + 1}` } })
  );
  const replies = await Promise.all(ids.map((id) => probe.reply(id)));
  for (const reply of replies) ok(reply);
}

async function history(probe: Probe, data: Record<string, unknown>): Promise<HistoryReply> {
  return ok(await probe.request("history", data)) as unknown as HistoryReply;
}

/** The chat events of `room` a probe got, as data. */
function chats(probe: Probe, room: string): ChatMessage[] {
  return probe.frames
    .filter(isEvent("chat", (d) => d.room === room))
    .map((f) => f.data as unknown as ChatMessage);
}

const offsets = (messages: ChatMessage[]) => messages.map((m) => m.offset);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

// ---- offsets and epochs -----------------------------------------------------------------------

Deno.test("join reports epoch and offset 0 for a new room; chats then count 1, 2, 3 in that epoch", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  const joined = ok(await a.request("join", { room: "den" }));
  assert.equal(joined.offset, 0, "offset is 0 before the first message");
  assert.equal(typeof joined.epoch, "string");
  assert.ok((joined.epoch as string).length > 0, "epoch is a non-empty string");
  const empty = await history(a, { room: "den" });
  assert.deepEqual(empty, { room: "den", epoch: joined.epoch, offset: 0, messages: [] });

  for (const text of ["one", "two", "three"]) ok(await a.request("chat", { room: "den", text }));
  await a.next(isEvent("chat", (d) => d.text === "three"));
  const seen = chats(a, "den");
  assert.deepEqual(offsets(seen), [1, 2, 3]);
  assert.ok(seen.every((m) => m.epoch === joined.epoch), "the epoch the join reply named");

  // A later joiner is told where the stream stands, and its next chat continues it.
  const late = ok(await b.request("join", { room: "den" }));
  assert.equal(late.epoch, joined.epoch);
  assert.equal(late.offset, 3);
  ok(await b.request("chat", { room: "den", text: "four" }));
  const four = await b.next(isEvent("chat", (d) => d.text === "four"));
  assert.equal(four.data?.offset, 4);
  assert.equal(four.data?.epoch, joined.epoch);
  // Rooms count on their own.
  ok(await a.request("join", { room: "attic" }));
  ok(await a.request("chat", { room: "attic", text: "first up here" }));
  assert.equal((await a.next(isEvent("chat", (d) => d.room === "attic"))).data?.offset, 1);
});

// ---- the history request ----------------------------------------------------------------------

Deno.test("history gives the newest limit messages oldest first (default 50, at most 100), equal to the chat events", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  await using a = await open(server);
  await using watcher = await open(server);
  ok(await a.request("join", { room: "den" }));
  ok(await watcher.request("join", { room: "den" }));
  await flood(a, "den", 120);
  await watcher.next(isEvent("chat", (d) => d.text === "m120"));
  const live = chats(watcher, "den");
  assert.deepEqual(offsets(live), range(1, 120));

  const byDefault = await history(watcher, { room: "den" });
  assert.equal(byDefault.room, "den");
  assert.equal(byDefault.offset, 120);
  assert.equal(byDefault.epoch, live[0].epoch);
  assert.deepEqual(offsets(byDefault.messages), range(71, 120), "the default limit is 50");
  assert.deepEqual(byDefault.messages, live.slice(70), "messages hold the data of chat events");

  assert.deepEqual(
    offsets((await history(watcher, { room: "den", limit: 100 })).messages),
    range(21, 120),
  );
  assert.deepEqual(offsets((await history(watcher, { room: "den", limit: 1 })).messages), [120]);
  assert.deepEqual(
    offsets((await history(watcher, { room: "den", limit: 7 })).messages),
    range(114, 120),
  );
});

Deno.test("paging back with before is exact: contiguous pages, every message once, before=1 gives none", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  await using a = await open(server);
  await flood(a, "lobby", 103);
  const newest = await history(a, { room: "lobby", limit: 10 });
  assert.deepEqual(offsets(newest.messages), range(94, 103));

  const all: ChatMessage[] = [...newest.messages];
  let before = newest.messages[0].offset;
  let pages = 1;
  while (true) {
    const page = await history(a, { room: "lobby", limit: 10, before });
    assert.equal(page.offset, 103, "offset is always the room's latest");
    assert.equal(page.epoch, newest.epoch);
    if (page.messages.length === 0) break;
    assert.deepEqual(offsets(page.messages), range(Math.max(1, before - 10), before - 1));
    all.unshift(...page.messages);
    before = page.messages[0].offset;
    assert.ok(++pages < 20, "paging never ends");
  }
  assert.equal(before, 1);
  assert.deepEqual(offsets(all), range(1, 103));
  assert.deepEqual(all.map((m) => m.text), range(1, 103).map((i) => `m${i}`));
  assert.equal(new Set(all.map((m) => m.msgId)).size, 103);
  const sorted = [...all].map((m) => m.msgId).sort();
  assert.deepEqual(all.map((m) => m.msgId), sorted, "msgIds sort in offset order");

  // before without limit: the newest 50 below it.
  assert.deepEqual(
    offsets((await history(a, { room: "lobby", before: 80 })).messages),
    range(30, 79),
  );
  assert.deepEqual(offsets((await history(a, { room: "lobby", before: 2, limit: 100 })).messages), [
    1,
  ]);
  assert.deepEqual((await history(a, { room: "lobby", before: 1 })).messages, []);
  // The offset after the latest is a valid before: the same page as without before.
  assert.deepEqual(
    (await history(a, { room: "lobby", limit: 10, before: 104 })).messages,
    newest.messages,
  );
});

Deno.test("history needs membership: not_member for a room never joined, a room left, a room that does not exist", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("join", { room: "den" }));
  ok(await a.request("chat", { room: "den", text: "secret" }));
  refused(await b.request("history", { room: "den" }), "not_member");
  refused(await b.request("history", { room: "nowhere" }), "not_member");
  ok(await a.request("leave", { room: "lobby" }));
  refused(await a.request("history", { room: "lobby" }), "not_member");
  // Joining is enough, whether or not one was there when the message was sent.
  ok(await b.request("join", { room: "den" }));
  assert.deepEqual((await history(b, { room: "den" })).messages.map((m) => m.text), ["secret"]);
  assert.equal(b.frames.filter(isEvent("chat", (d) => d.text === "secret")).length, 0);
});

Deno.test("history bad input: each bad limit, before or room is refused with bad_request naming the field", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("chat", { room: "lobby", text: "x" }));
  const cases: [string, Record<string, unknown>, string][] = [
    ["limit 0", { room: "lobby", limit: 0 }, "limit"],
    ["limit 101", { room: "lobby", limit: 101 }, "limit"],
    ["limit -1", { room: "lobby", limit: -1 }, "limit"],
    ["limit 1.5", { room: "lobby", limit: 1.5 }, "limit"],
    ["limit 1e21", { room: "lobby", limit: 1e21 }, "limit"],
    ['limit as the string "10"', { room: "lobby", limit: "10" }, "limit"],
    ["limit true", { room: "lobby", limit: true }, "limit"],
    ["limit null", { room: "lobby", limit: null }, "limit"],
    ["limit []", { room: "lobby", limit: [] }, "limit"],
    ["limit {}", { room: "lobby", limit: {} }, "limit"],
    ["before -1", { room: "lobby", before: -1 }, "before"],
    ["before 2.5", { room: "lobby", before: 2.5 }, "before"],
    ['before as the string "5"', { room: "lobby", before: "5" }, "before"],
    ["before false", { room: "lobby", before: false }, "before"],
    ["before null", { room: "lobby", before: null }, "before"],
    ["before {}", { room: "lobby", before: {} }, "before"],
    ["before 1e300", { room: "lobby", before: 1e300 }, "before"],
    ["a missing room", {}, "room"],
    ["room 42", { room: 42 }, "room"],
    ["room with a space", { room: "a room" }, "room"],
    ["a 65-character room", { room: "r".repeat(65) }, "room"],
    ["an empty room", { room: "" }, "room"],
  ];
  for (const [name, data, field] of cases) {
    await t.step(name, async () => {
      refused(await a.request("history", data), "bad_request", field);
    });
  }
  // The connection is still usable and nobody else was affected.
  assert.equal((await history(a, { room: "lobby", limit: 100 })).messages.length, 1);
  await barrier(b);
  assert.equal(b.frames.filter((f) => f.type === "reply" && f.ok === false).length, 0);
});

Deno.test("history with data missing altogether is a bad_request, not a crash", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  a.send({ type: "history", id: "no-data" });
  refused(await a.reply("no-data"), "bad_request");
  assert.equal(ok(await a.request("ping")).serverTime !== undefined, true);
});

// ---- HISTORY_SIZE -----------------------------------------------------------------------------

Deno.test("HISTORY_SIZE caps history to the newest messages while offsets keep counting", async () => {
  await using server = await startTestServer({ chatRate: 0, historySize: 5 });
  await using a = await open(server);
  await flood(a, "lobby", 12);
  const h = await history(a, { room: "lobby", limit: 100 });
  assert.equal(h.offset, 12);
  assert.deepEqual(offsets(h.messages), range(8, 12));
  assert.deepEqual(h.messages.map((m) => m.text), range(8, 12).map((i) => `m${i}`));
  assert.deepEqual(offsets((await history(a, { room: "lobby", limit: 2 })).messages), [11, 12]);
  assert.deepEqual(offsets((await history(a, { room: "lobby", before: 10 })).messages), [8, 9]);
  assert.deepEqual((await history(a, { room: "lobby", before: 8 })).messages, []);
  assert.equal(ok(await a.request("join", { room: "lobby" })).offset, 12);
});

Deno.test("HISTORY_SIZE=0 keeps no messages, but chats still carry contiguous offsets", async () => {
  await using server = await startTestServer({ chatRate: 0, historySize: 0 });
  await using a = await open(server);
  await flood(a, "lobby", 4);
  await a.next(isEvent("chat", (d) => d.text === "m4"));
  assert.deepEqual(offsets(chats(a, "lobby")), [1, 2, 3, 4]);
  const h = await history(a, { room: "lobby" });
  assert.deepEqual(h.messages, []);
  assert.equal(h.offset, 4);
  assert.equal(h.epoch, chats(a, "lobby")[0].epoch);
});

// ---- HISTORY_TTL_MS and epochs -----------------------------------------------------------------

Deno.test("history outlives the room's last member within HISTORY_TTL_MS; after it the epoch changes and history is empty", async () => {
  const ttl = 400;
  await using server = await startTestServer({ historyTtlMs: ttl });
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("join", { room: "den" }));
  for (const text of ["one", "two", "three"]) ok(await a.request("chat", { room: "den", text }));
  const lastMessage = Date.now();
  const epoch = (await a.next(isEvent("chat", (d) => d.text === "three"))).data?.epoch;
  ok(await a.request("leave", { room: "den" }));
  // The room is empty, so forgotten as a room...
  const rooms = ok(await a.request("rooms")).rooms as { room: string }[];
  assert.ok(!rooms.some((r) => r.room === "den"), "an empty room is not listed");
  // ...but its history is not: someone else joins soon after.
  const again = ok(await b.request("join", { room: "den" }));
  assert.ok(Date.now() - lastMessage < ttl, "the test was too slow to check inside the window");
  assert.equal(again.epoch, epoch);
  assert.equal(again.offset, 3);
  assert.deepEqual((await history(b, { room: "den" })).messages.map((m) => m.text), [
    "one",
    "two",
    "three",
  ]);
  ok(await b.request("leave", { room: "den" }));

  // Joining does not refresh the TTL; only a message does. Past it the history is lost.
  await delay(ttl + 50);
  await eventually(async () => {
    const joined = ok(await b.request("join", { room: "den" }));
    const h = await history(b, { room: "den" });
    ok(await b.request("leave", { room: "den" }));
    assert.notEqual(joined.epoch, epoch, "a new epoch once the history is lost");
    assert.equal(joined.offset, 0);
    assert.deepEqual(h.messages, []);
    assert.equal(h.offset, 0);
  }, 3000);
  // The new epoch the join reply names is the one the next message carries.
  const rejoined = ok(await b.request("join", { room: "den" }));
  ok(await b.request("chat", { room: "den", text: "fresh start" }));
  const fresh = await b.next(isEvent("chat", (d) => d.text === "fresh start"));
  assert.notEqual(fresh.data?.epoch, epoch);
  assert.equal(fresh.data?.epoch, rejoined.epoch);
  assert.equal(fresh.data?.offset, rejoined.offset as number + 1);
});

Deno.test("a room idle longer than HISTORY_TTL_MS gets a new epoch even with members in it", async () => {
  const ttl = 300;
  await using server = await startTestServer({ historyTtlMs: ttl });
  await using a = await open(server);
  await using b = await open(server);
  for (const p of [a, b]) ok(await p.request("join", { room: "den" }));
  ok(await a.request("chat", { room: "den", text: "before" }));
  const first = await b.next(isEvent("chat", (d) => d.text === "before"));
  await delay(ttl * 2 + 100);
  // A newcomer is told the new epoch, and the next message is in it.
  await using c = await open(server);
  const joined = ok(await c.request("join", { room: "den" }));
  assert.notEqual(joined.epoch, first.data?.epoch);
  assert.deepEqual((await history(c, { room: "den" })).messages, []);
  ok(await a.request("chat", { room: "den", text: "after" }));
  const second = await b.next(isEvent("chat", (d) => d.text === "after"));
  assert.notEqual(second.data?.epoch, first.data?.epoch);
  assert.equal(second.data?.epoch, joined.epoch);
  assert.equal(second.data?.offset, joined.offset as number + 1);
  assert.equal(
    (await c.next(isEvent("chat", (d) => d.text === "after"))).data?.epoch,
    joined.epoch,
  );
  const h = await history(b, { room: "den" });
  assert.equal(h.epoch, second.data?.epoch);
  assert.deepEqual(h.messages.map((m) => m.text), ["after"]);
  assert.equal(h.offset, second.data?.offset);
});

Deno.test("HISTORY_TTL_MS counts from the room's last message: a room that keeps talking keeps its epoch", async () => {
  const ttl = 500;
  await using server = await startTestServer({ historyTtlMs: ttl });
  await using a = await open(server);
  ok(await a.request("join", { room: "den" }));
  const start = Date.now();
  for (let i = 1; i <= 5; i++) {
    ok(await a.request("chat", { room: "den", text: `t${i}` }));
    if (i < 5) await delay(200);
  }
  await a.next(isEvent("chat", (d) => d.text === "t5"));
  assert.ok(Date.now() - start > ttl, "the messages span more than one TTL");
  const seen = chats(a, "den");
  assert.deepEqual(offsets(seen), [1, 2, 3, 4, 5]);
  assert.equal(new Set(seen.map((m) => m.epoch)).size, 1, "one epoch throughout");
  assert.deepEqual(offsets((await history(a, { room: "den" })).messages), [1, 2, 3, 4, 5]);
});

Deno.test("the epoch changes after a restart of the in-memory default; history starts empty", async () => {
  const epochs: string[] = [];
  for (let run = 0; run < 2; run++) {
    await using server = await spawnServer({});
    await using p = await Probe.open(server.wsUrl);
    const joined = ok(await p.request("join", { room: "den" }));
    if (run === 1) {
      assert.equal(joined.offset, 0, "offsets start again");
      assert.deepEqual((await history(p, { room: "den" })).messages, []);
    }
    ok(await p.request("chat", { room: "den", text: `run ${run}` }));
    const chat = await p.next(isEvent("chat", (d) => d.text === `run ${run}`));
    assert.equal(chat.data?.offset, 1);
    epochs.push(chat.data?.epoch as string);
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0);
  }
  assert.notEqual(epochs[0], epochs[1]);
});

// ---- order and content ------------------------------------------------------------------------

Deno.test("every member sees a room's messages in offset order, the same as history, with three senders at once", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  const senders = [await open(server), await open(server), await open(server)];
  await using watcher = await open(server);
  try {
    for (const p of [...senders, watcher]) ok(await p.request("join", { room: "den" }));
    await Promise.all(senders.map((p, i) => flood(p, "den", 30, `s${i}-`)));
    const everyone = [...senders, watcher];
    for (const p of everyone) await p.next(isEvent("chat", () => chats(p, "den").length === 90));
    const reference = chats(watcher, "den");
    assert.deepEqual(offsets(reference), range(1, 90));
    for (const p of everyone) {
      assert.deepEqual(chats(p, "den"), reference, `${idOf(p)} sees the same stream`);
    }
    // Each sender's messages keep its own send order.
    for (let i = 0; i < 3; i++) {
      const mine = reference.filter((m) => m.from === idOf(senders[i])).map((m) => m.text);
      assert.deepEqual(mine, range(1, 30).map((n) => `s${i}-${n}`));
    }
    const msgIds = reference.map((m) => m.msgId);
    assert.deepEqual(msgIds, [...msgIds].sort(), "msgIds sort in offset order");
    const h = await history(watcher, { room: "den", limit: 100 });
    assert.deepEqual(h.messages, reference);
  } finally {
    for (const p of senders) await p[Symbol.asyncDispose]();
  }
});

Deno.test("history keeps the name a message was sent under, and each room's history is its own", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const oldName = welcomeOf(a).name;
  ok(await a.request("join", { room: "den" }));
  ok(await a.request("chat", { room: "den", text: "in den" }));
  ok(await a.request("chat", { room: "lobby", text: "in lobby" }));
  ok(await a.request("set_name", { name: "Renamed" }));
  ok(await a.request("chat", { room: "den", text: "after rename" }));
  const den = await history(a, { room: "den" });
  assert.deepEqual(den.messages.map((m) => [m.text, m.name, m.from, m.room]), [
    ["in den", oldName, idOf(a), "den"],
    ["after rename", "Renamed", idOf(a), "den"],
  ]);
  const lobby = await history(a, { room: "lobby" });
  assert.deepEqual(lobby.messages.map((m) => m.text), ["in lobby"]);
  assert.equal(lobby.offset, 1);
  assert.equal(den.offset, 2);
  for (const m of [...den.messages, ...lobby.messages]) {
    assert.deepEqual(Object.keys(m).sort(), [
      "epoch",
      "from",
      "msgId",
      "name",
      "offset",
      "room",
      "text",
      "ts",
      "userId",
    ]);
  }
  await a.next(isEvent("chat", (d) => d.text === "after rename"));
  assert.deepEqual(
    a.frames.filter(isEvent("chat", (d) => d.room === "den")).map((f) => f.data),
    den.messages,
  );
});

Deno.test("a room whose only member is away keeps its epoch, offset and history", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, historyTtlMs: 60_000 });
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("join", { room: "den" }));
  ok(await a.request("chat", { room: "den", text: "kept" }));
  const epoch = (await a.next(isEvent("chat", (d) => d.text === "kept"))).data?.epoch;
  a.socket.close(4000);
  await a.closed;
  await b.next(isEvent("presence", (d) => d.sessionId === idOf(a) && d.action === "away"));
  const joined = ok(await b.request("join", { room: "den" }));
  assert.equal(joined.epoch, epoch);
  assert.equal(joined.offset, 1);
  assert.deepEqual((await history(b, { room: "den" })).messages.map((m) => m.text), ["kept"]);
});
