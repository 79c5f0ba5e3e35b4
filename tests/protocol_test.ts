/**
 * End-to-end tests of docs/protocol.md over real sockets to a real server: the welcome, every
 * request and its reply, room and chat events, reply-id semantics, bad input, `/api/stats` and the
 * plain-HTTP `/ws` answer. Direct messages are in `protocol_dm_test.ts`; frame size, binary frames,
 * rate limits, slow consumers, origins, heartbeats and load are in `limits_test.ts` and
 * `scenario_test.ts`.
 *
 * Waits are event-driven. To prove that something did *not* arrive, a test uses a barrier rather
 * than a sleep: the server writes the events a request causes before that request's reply, and
 * writes each socket's frames in order, so once a probe has the reply to a `ping` it sent after
 * another request was answered, every frame that request caused for the probe has arrived.
 */

import assert from "node:assert/strict";
import type { Events } from "../lib/protocol/mod.ts";
import {
  connectClient,
  delay,
  eventually,
  type Frame,
  Probe,
  startTestServer,
  stats,
} from "./helpers.ts";

import { barrier, idOf, isEvent, ok, open, refused, welcomeOf } from "./protocol_asserts.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The epoch milliseconds in a ULID's first 10 characters. */
function ulidTime(id: string): number {
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(char);
  return ms;
}

/** Every frame received after the first `mark` frames that matches. */
function since(probe: Probe, mark: number, match: (f: Frame) => boolean = () => true): Frame[] {
  return probe.frames.slice(mark).filter(match);
}

// ---- connecting -------------------------------------------------------------------------------

Deno.test("welcome: ULID session id, guest name, connect time and the configured heartbeat", async () => {
  await using server = await startTestServer({ heartbeatMs: 4321 });
  const before = Date.now();
  await using a = await open(server);
  await using b = await open(server);
  const after = Date.now();

  assert.equal(a.frames[0].type, "welcome", "welcome is the first frame");
  const w = welcomeOf(a);
  assert.deepEqual(Object.keys(w).sort(), [
    "connectedAt",
    "heartbeatMs",
    "name",
    "nameLocked",
    "resumeToken",
    "resumeTtlMs",
    "resumed",
    "serverTime",
    "sessionId",
    "userId",
  ]);
  assert.equal(w.userId, null, "anonymous: null, not absent");
  assert.equal(w.nameLocked, false);
  assert.equal(w.resumed, false);
  assert.equal(w.resumeTtlMs, 120_000, "the default RESUME_TTL_MS");
  assert.match(w.resumeToken, /^[A-Za-z0-9._-]{1,256}$/);
  assert.notEqual(w.resumeToken, welcomeOf(b).resumeToken);
  assert.match(w.sessionId, ULID);
  assert.ok(ulidTime(w.sessionId) >= before && ulidTime(w.sessionId) <= after);
  // ULIDs are case-insensitive; the server writes the name's tail in lower case.
  assert.match(w.name, /^guest-[0-9a-z]{6}$/);
  assert.equal(w.name.toUpperCase(), `GUEST-${w.sessionId.slice(-6)}`);
  assert.ok(before <= w.connectedAt, `connectedAt ${w.connectedAt} before ${before}`);
  assert.ok(w.connectedAt <= w.serverTime, "connectedAt is after serverTime");
  assert.ok(w.serverTime <= after);
  assert.equal(w.heartbeatMs, 4321);

  const wb = welcomeOf(b);
  assert.notEqual(wb.sessionId, w.sessionId, "each connection is a new session");
  assert.notEqual(wb.name, w.name);
  assert.ok(wb.sessionId > w.sessionId, "session ids are time-ordered");
});

Deno.test("every session is in the lobby from the start and its arrival is announced there", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  assert.deepEqual(ok(await a.request("rooms")), { rooms: [{ room: "lobby", size: 1 }] });

  await using b = await open(server);
  const presence = await a.next(isEvent("presence", (d) => d.sessionId === idOf(b)));
  assert.deepEqual(presence.data, {
    room: "lobby",
    sessionId: idOf(b),
    userId: null,
    name: welcomeOf(b).name,
    action: "join",
  });
  assert.deepEqual(ok(await b.request("rooms")), { rooms: [{ room: "lobby", size: 2 }] });
  // Already a member: joining the lobby changes nothing and lists both.
  const { members } = ok(await b.request("join", { room: "lobby" }));
  assert.deepEqual(
    (members as { sessionId: string }[]).map((m) => m.sessionId).sort(),
    [idOf(a), idOf(b)].sort(),
  );
  await barrier(b);
  assert.deepEqual(since(b, 0, isEvent("presence")), [], "no presence about oneself");
});

// ---- simple requests --------------------------------------------------------------------------

Deno.test("server_time and ping reply with the server's clock", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  for (const type of ["server_time", "ping"]) {
    const before = Date.now();
    const data = ok(await a.request(type));
    const after = Date.now();
    assert.deepEqual(Object.keys(data), ["serverTime"], type);
    assert.equal(typeof data.serverTime, "number");
    assert.ok(
      before <= (data.serverTime as number) && (data.serverTime as number) <= after,
      `${type}: ${data.serverTime} not in [${before}, ${after}]`,
    );
  }
});

Deno.test("client_time: connectedAt of this session and an elapsedMs that grows", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const { connectedAt } = welcomeOf(a);
  const first = ok(await a.request("client_time"));
  assert.equal(first.connectedAt, connectedAt);
  assert.equal(typeof first.elapsedMs, "number");
  assert.ok((first.elapsedMs as number) >= 0);
  assert.ok((first.elapsedMs as number) <= Date.now() - connectedAt);
  await eventually(async () => {
    const later = ok(await a.request("client_time"));
    assert.equal(later.connectedAt, connectedAt);
    assert.ok((later.elapsedMs as number) > (first.elapsedMs as number), "elapsedMs did not grow");
  });
});

Deno.test("num_clients counts every session and drops when one leaves", async () => {
  await using server = await startTestServer();
  await using a = await connectClient(server);
  await using b = await connectClient(server);
  const c = await connectClient(server);
  for (const client of [a, b, c]) {
    assert.deepEqual(await client.request("num_clients"), { count: 3 });
  }
  await c.close();
  await eventually(async () => assert.deepEqual(await a.request("num_clients"), { count: 2 }));
  assert.deepEqual(await b.request("num_clients"), { count: 2 });
});

Deno.test("random appends n in 1..100 to the text, and both ends of the range turn up", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const count = 300;
  for (let id = 0; id < count; id++) a.send({ type: "random", id, data: { text: `t${id}` } });
  const ns: number[] = [];
  for (let id = 0; id < count; id++) {
    const { text, n } = ok(await a.reply(id)) as { text: string; n: number };
    assert.ok(Number.isInteger(n) && n >= 1 && n <= 100, `n = ${n}`);
    assert.equal(text, `t${id} ${n}`);
    ns.push(n);
  }
  assert.ok(ns.some((n) => n <= 10), "no n in 1..10 in 300 draws");
  assert.ok(ns.some((n) => n >= 91), "no n in 91..100 in 300 draws");
  assert.ok(new Set(ns).size >= 50, `only ${new Set(ns).size} distinct values in 300 draws`);
  const mean = ns.reduce((s, n) => s + n, 0) / count;
  assert.ok(mean > 40 && mean < 61, `mean ${mean} is far from 50.5`);

  // An empty text is allowed; unknown data fields are ignored.
  const empty = ok(await a.request("random", { text: "", extra: true })) as {
    text: string;
    n: number;
  };
  assert.equal(empty.text, ` ${empty.n}`);
  const long = "x".repeat(4000);
  const full = ok(await a.request("random", { text: long })) as { text: string; n: number };
  assert.equal(full.text, `${long} ${full.n}`);
});

// ---- names ------------------------------------------------------------------------------------

Deno.test("set_name trims, tells roommates with renamed, and the new name shows everywhere", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await using loner = await open(server);
  ok(await loner.request("leave", { room: "lobby" }));
  ok(await a.request("join", { room: "both" }));
  ok(await b.request("join", { room: "both" }));
  const markLoner = loner.frames.length;

  assert.deepEqual(ok(await a.request("set_name", { name: "  Ada Lovelace \n" })), {
    name: "Ada Lovelace",
  });
  const renamed = await b.next(isEvent("renamed"));
  assert.deepEqual(renamed.data, { sessionId: idOf(a), name: "Ada Lovelace" });

  // Later chat, presence and member lists carry the new name.
  const chatReply = ok(await a.request("chat", { room: "both", text: "hello" }));
  const chat = await b.next(isEvent("chat", (d) => d.msgId === chatReply.msgId));
  assert.equal(chat.data?.name, "Ada Lovelace");
  ok(await a.request("leave", { room: "both" }));
  const left = await b.next(
    isEvent("presence", (d) => d.action === "leave" && d.sessionId === idOf(a)),
  );
  assert.equal(left.data?.name, "Ada Lovelace");
  const { members } = ok(await loner.request("join", { room: "lobby" })) as {
    members: { sessionId: string; name: string }[];
  };
  assert.deepEqual(members.find((m) => m.sessionId === idOf(a)), {
    sessionId: idOf(a),
    userId: null,
    name: "Ada Lovelace",
  });
  const joined = await a.next(
    isEvent("presence", (d) => d.action === "join" && d.sessionId === idOf(loner)),
  );
  assert.equal(joined.data?.name, welcomeOf(loner).name);

  // b shared two rooms with a but heard of the rename once; loner was in no room with a.
  await barrier(b);
  assert.equal(since(b, 0, isEvent("renamed")).length, 1);
  assert.deepEqual(since(loner, markLoner, isEvent("renamed")), []);

  // 1 to 32 characters after trimming.
  const longest = "n".repeat(32);
  assert.deepEqual(ok(await a.request("set_name", { name: ` ${longest} ` })), { name: longest });
  assert.deepEqual(ok(await a.request("set_name", { name: "x" })), { name: "x" });
  refused(await a.request("set_name", { name: "n".repeat(33) }), "bad_request", "data.name");
  refused(await a.request("set_name", { name: "   " }), "bad_request", "data.name");
  refused(await a.request("set_name", { name: "" }), "bad_request", "data.name");
  refused(await a.request("set_name", { name: 7 }), "bad_request", "data.name");
  refused(await a.request("set_name", {}), "bad_request", "data.name");
  const lobby = ok(await b.request("join", { room: "lobby" })) as {
    members: { sessionId: string; name: string }[];
  };
  assert.equal(lobby.members.find((m) => m.sessionId === idOf(a))?.name, "x");
});

// ---- rooms ------------------------------------------------------------------------------------

function memberIds(data: Record<string, unknown>): string[] {
  return (data.members as { sessionId: string }[]).map((m) => m.sessionId).sort();
}

Deno.test("join, leave and rooms: replies, presence to the others, not_member, empty rooms go", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await using c = await open(server);
  // Made before r-1, so that only sorting puts it after r-1 in the list.
  ok(await c.request("join", { room: "solo" }));

  const joinA = ok(await a.request("join", { room: "r-1" }));
  assert.deepEqual(joinA, {
    room: "r-1",
    members: [{ sessionId: idOf(a), userId: null, name: welcomeOf(a).name }],
    epoch: joinA.epoch,
    offset: 0,
  });
  assert.match(joinA.epoch as string, /^\S+$/);
  const joinB = ok(await b.request("join", { room: "r-1" }));
  assert.equal(joinB.room, "r-1");
  assert.deepEqual(memberIds(joinB), [idOf(a), idOf(b)].sort());
  const presence = await a.next(isEvent("presence", (d) => d.room === "r-1"));
  assert.deepEqual(presence.data, {
    room: "r-1",
    sessionId: idOf(b),
    userId: null,
    name: welcomeOf(b).name,
    action: "join",
  });

  // Largest first: lobby (3), r-1 (2), solo (1).
  assert.deepEqual(ok(await c.request("rooms")), {
    rooms: [{ room: "lobby", size: 3 }, { room: "r-1", size: 2 }, { room: "solo", size: 1 }],
  });

  // Joining again changes nothing and tells nobody.
  const markA = a.frames.length;
  assert.deepEqual(
    memberIds(ok(await b.request("join", { room: "r-1" }))),
    [idOf(a), idOf(b)].sort(),
  );
  await barrier(a);
  assert.deepEqual(since(a, markA, isEvent("presence")), []);

  // Leave: the reply lists who is left, the others hear it, the leaver hears nothing of itself.
  assert.deepEqual(ok(await b.request("leave", { room: "r-1" })), {
    room: "r-1",
    members: [{ sessionId: idOf(a), userId: null, name: welcomeOf(a).name }],
  });
  const leave = await a.next(isEvent("presence", (d) => d.action === "leave"));
  assert.deepEqual(leave.data, {
    room: "r-1",
    sessionId: idOf(b),
    userId: null,
    name: welcomeOf(b).name,
    action: "leave",
  });
  refused(await b.request("leave", { room: "r-1" }), "not_member", "r-1");
  refused(await b.request("leave", { room: "never-made" }), "not_member", "never-made");
  await barrier(b);
  assert.deepEqual(since(b, 0, isEvent("presence", (d) => d.room === "r-1")).length, 0);

  // The last member leaving makes the room disappear; a disconnect does the same.
  assert.deepEqual(ok(await a.request("leave", { room: "r-1" })), { room: "r-1", members: [] });
  await c.socket.close(1000);
  await c.closed;
  await eventually(async () => {
    assert.deepEqual(ok(await a.request("rooms")), { rooms: [{ room: "lobby", size: 2 }] });
  });
  const gone = await a.next(
    isEvent("presence", (d) => d.action === "leave" && d.sessionId === idOf(c)),
  );
  assert.deepEqual(gone.data, {
    room: "lobby",
    sessionId: idOf(c),
    userId: null,
    name: welcomeOf(c).name,
    action: "leave",
  });

  // One can leave the lobby too.
  ok(await b.request("leave", { room: "lobby" }));
  assert.deepEqual(ok(await a.request("rooms")), { rooms: [{ room: "lobby", size: 1 }] });
});

Deno.test("a session can be in 100 rooms, lobby included; the 101st join is too_many", async () => {
  // join counts against CHAT_RATE, which would refuse 100 joins in a burst.
  await using server = await startTestServer({ chatRate: 0 });
  await using a = await open(server);
  for (let i = 1; i <= 99; i++) a.send({ type: "join", id: i, data: { room: `room-${i}` } });
  for (let i = 1; i <= 99; i++) assert.equal(ok(await a.reply(i)).room, `room-${i}`);
  refused(await a.request("join", { room: "room-100" }), "too_many", "100");
  // Rejoining a room one is in is still fine; the refused room was not made.
  assert.equal(ok(await a.request("join", { room: "room-7" })).room, "room-7");
  const { rooms } = ok(await a.request("rooms")) as { rooms: { room: string }[] };
  assert.equal(rooms.length, 100);
  assert.ok(!rooms.some((r) => r.room === "room-100"));
  // Leaving one makes room for another.
  ok(await a.request("leave", { room: "room-1" }));
  assert.equal(ok(await a.request("join", { room: "room-100" })).room, "room-100");
});

Deno.test("rooms lists at most 1,000 rooms, largest first", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  const probes: Probe[] = [];
  try {
    // 11 sessions in lobby and "big", each with 91 rooms of its own: 1,003 rooms in all.
    for (let i = 0; i < 11; i++) probes.push(await open(server));
    for (const [i, probe] of probes.entries()) {
      probe.send({ type: "join", id: "big", data: { room: "big" } });
      for (let j = 0; j < 91; j++) {
        probe.send({ type: "join", id: j, data: { room: `r${i}-${j}` } });
      }
    }
    for (const probe of probes) {
      ok(await probe.reply("big"));
      for (let j = 0; j < 91; j++) ok(await probe.reply(j));
    }
    assert.equal((await stats(server)).rooms, 1003);
    const { rooms } = ok(await probes[0].request("rooms")) as {
      rooms: { room: string; size: number }[];
    };
    assert.equal(rooms.length, 1000);
    assert.deepEqual(rooms.slice(0, 2), [{ room: "big", size: 11 }, { room: "lobby", size: 11 }]);
    assert.ok(rooms.slice(2).every((r) => r.size === 1));
  } finally {
    for (const probe of probes) await probe[Symbol.asyncDispose]();
  }
});

// ---- chat -------------------------------------------------------------------------------------

Deno.test("chat reaches every member, sender included, with the reply's msgId and ts", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await using outsider = await open(server);
  ok(await a.request("join", { room: "talk" }));
  ok(await b.request("join", { room: "talk" }));
  const markOutsider = outsider.frames.length;

  const before = Date.now();
  const reply = ok(await a.request("chat", { room: "talk", text: "hello, talk" }));
  assert.deepEqual(Object.keys(reply).sort(), ["msgId", "ts"]);
  assert.match(reply.msgId as string, ULID);
  const ts = reply.ts as number;
  assert.ok(before <= ts && ts <= Date.now());
  const msgTime = ulidTime(reply.msgId as string);
  assert.ok(msgTime <= ts && msgTime >= ts - 50, `msgId time ${msgTime} far from ts ${ts}`);

  const { epoch } = ok(await a.request("join", { room: "talk" }));
  const expected = {
    room: "talk",
    msgId: reply.msgId,
    from: idOf(a),
    userId: null,
    name: welcomeOf(a).name,
    text: "hello, talk",
    ts,
    offset: 1,
    epoch,
  };
  for (const probe of [a, b]) {
    assert.deepEqual((await probe.next(isEvent("chat"))).data, expected);
  }
  await barrier(outsider);
  assert.deepEqual(since(outsider, markOutsider, isEvent("chat")), [], "a non-member got chat");

  // Not a member, or no such room: not_member, and nobody hears it.
  refused(
    await outsider.request("chat", { room: "talk", text: "let me in" }),
    "not_member",
    "talk",
  );
  refused(await a.request("chat", { room: "nowhere", text: "echo?" }), "not_member", "nowhere");
  await barrier(a);
  await barrier(b);
  assert.deepEqual(since(a, 0, isEvent("chat")).length, 1);
  assert.deepEqual(since(b, 0, isEvent("chat")).length, 1);

  // The longest text goes through whole.
  const long = "é".repeat(4000);
  const longReply = ok(await b.request("chat", { room: "talk", text: long }));
  const longChat = await a.next(isEvent("chat", (d) => d.msgId === longReply.msgId));
  assert.equal(longChat.data?.text, long);
});

Deno.test("chat to lobby reaches everyone who has not left it", async () => {
  await using server = await startTestServer();
  const probes = [await open(server), await open(server), await open(server)];
  await using _0 = probes[0];
  await using _1 = probes[1];
  await using _2 = probes[2];
  await using gone = await open(server);
  ok(await gone.request("leave", { room: "lobby" }));

  const reply = ok(await probes[1].request("chat", { room: "lobby", text: "hi all" }));
  for (const probe of probes) {
    const chat = await probe.next(isEvent("chat"));
    assert.equal(chat.data?.msgId, reply.msgId);
    assert.equal(chat.data?.room, "lobby");
    assert.equal(chat.data?.from, idOf(probes[1]));
  }
  await barrier(gone);
  assert.deepEqual(since(gone, 0, isEvent("chat")), []);
  refused(await gone.request("chat", { room: "lobby", text: "hi" }), "not_member", "lobby");
});

Deno.test("100 chat messages from one sender arrive in order at every member", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  await using sender = await connectClient(server);
  await using b = await connectClient(server);
  await using c = await connectClient(server);
  const count = 100;
  const received = new Map<string, Events["chat"][]>();
  for (const [label, client] of [["sender", sender], ["b", b], ["c", c]] as const) {
    const list: Events["chat"][] = [];
    received.set(label, list);
    client.on("chat", (msg) => list.push(msg));
  }
  const replies = await Promise.all(
    Array.from(
      { length: count },
      (_, i) => sender.request("chat", { room: "lobby", text: `m${i}` }),
    ),
  );
  await eventually(() => {
    for (const [label, list] of received) assert.equal(list.length, count, `chats at ${label}`);
  });
  const texts = Array.from({ length: count }, (_, i) => `m${i}`);
  for (const [label, list] of received) {
    assert.deepEqual(list.map((m) => m.text), texts, `order at ${label}`);
    assert.deepEqual(list.map((m) => m.msgId), replies.map((r) => r.msgId), `msgIds at ${label}`);
    for (let i = 1; i < count; i++) assert.ok(list[i].ts >= list[i - 1].ts, "ts went back");
  }
  // ULIDs are time-ordered: one sender's ids sort in send order, even within a millisecond.
  const ids = replies.map((r) => r.msgId);
  const wrong = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]);
  assert.equal(
    wrong,
    -1,
    `msgId #${wrong} ${ids[wrong]} sorts before #${wrong - 1} ${ids[wrong - 1]}`,
  );
});

Deno.test("text and name limits count UTF-16 code units: an emoji counts as two", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const emoji = "\u{1F600}";
  const { msgId } = ok(await a.request("chat", { room: "lobby", text: emoji.repeat(2000) }));
  assert.equal(
    (await a.next(isEvent("chat", (d) => d.msgId === msgId))).data?.text,
    emoji.repeat(2000),
  );
  refused(
    await a.request("chat", { room: "lobby", text: emoji.repeat(2001) }),
    "bad_request",
    "data.text",
  );
  refused(await a.request("random", { text: emoji.repeat(2001) }), "bad_request", "data.text");
  assert.deepEqual(ok(await a.request("set_name", { name: emoji.repeat(16) })), {
    name: emoji.repeat(16),
  });
  refused(await a.request("set_name", { name: emoji.repeat(17) }), "bad_request", "data.name");
});

// ---- replies ----------------------------------------------------------------------------------

Deno.test("a string id and a numeric id each get exactly one reply carrying that id", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const ids: unknown[] = ["req-1", 7, 0, "", -2.5, "i".repeat(64)];
  for (const id of ids) a.send({ type: "ping", id });
  // Error replies carry the id too.
  a.send({ type: "chat", id: "bad-1", data: { room: "lobby" } });
  a.send({ type: "nope", id: 99 });
  for (const id of ids) ok(await a.reply(id));
  refused(await a.reply("bad-1"), "bad_request", "data.text");
  refused(await a.reply(99), "unknown_type", "nope");

  await delay(100);
  await barrier(a);
  const replies = a.frames.filter((f) => f.type === "reply");
  for (const id of [...ids, "bad-1", 99]) {
    assert.equal(
      replies.filter((f) => f.id === id).length,
      1,
      `expected one reply for id ${JSON.stringify(id)}`,
    );
  }
  // The same id used twice gets two replies, one per frame.
  a.send({ type: "ping", id: "again" });
  a.send({ type: "ping", id: "again" });
  await barrier(a);
  assert.equal(a.frames.filter((f) => f.type === "reply" && f.id === "again").length, 2);
});

Deno.test("a frame without id gets no success reply but its errors come with id null", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  const mark = a.frames.length;
  a.send({ type: "ping" });
  a.send({ type: "num_clients", data: {} });
  // Done, not answered: the chat still goes out.
  a.send({ type: "chat", data: { room: "lobby", text: "no id" } });
  const chat = await b.next(isEvent("chat"));
  assert.equal(chat.data?.text, "no id");
  await barrier(a);
  const replies = since(a, mark, (f) => f.type === "reply");
  assert.equal(replies.length, 1, `a frame without id got a reply: ${JSON.stringify(replies)}`);
  assert.equal(since(a, mark, isEvent("chat")).length, 1, "the sender gets its own chat event");

  // Errors of a frame without id: validation and hub refusals alike.
  a.send({ type: "chat", data: { room: "lobby", text: "" } });
  refused(await a.next((f) => f.type === "reply" && f.id === null), "bad_request", "data.text");
  a.send({ type: "leave", data: { room: "elsewhere" } });
  refused(await a.next((f) => f.type === "reply" && f.id === null), "not_member", "elsewhere");
  a.send({ type: "no_such_type" });
  refused(await a.next((f) => f.type === "reply" && f.id === null), "unknown_type");
});

Deno.test("an id that is not a number or a short string is refused with id null", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  const cases: [string, string][] = [
    ["true", '{"type":"ping","id":true}'],
    ["an object", '{"type":"ping","id":{"n":1}}'],
    ["an array", '{"type":"ping","id":[1]}'],
    ["null", '{"type":"ping","id":null}'],
    ["a 65-character string", JSON.stringify({ type: "ping", id: "i".repeat(65) })],
    ["an overflowing number", '{"type":"ping","id":1e400}'],
  ];
  for (const [what, text] of cases) {
    await t.step(`id ${what}`, async () => {
      const mark = a.frames.length;
      a.send(text);
      refused(await a.next((f) => f.type === "reply" && f.id === null), "bad_request", "id");
      await barrier(a);
      assert.equal(since(a, mark, (f) => f.type === "reply").length, 2, "one refusal, one ping");
    });
  }
});

// ---- bad input --------------------------------------------------------------------------------

/**
 * One bad frame of each kind the parser refuses: not JSON, an unknown type, a bad field. Every
 * kind of bad frame, with its exact message, is in `lib/protocol/validate_test.ts`; these show
 * that a refusal travels back over the wire and leaves the connection as it was.
 */
const BAD_INPUT = [
  {
    what: "invalid JSON",
    frame: '{"type":"ping","id":1',
    reply: { id: null, code: "bad_json", message: "Frame is not valid JSON" },
  },
  {
    what: "an unknown type",
    frame: { id: 3, type: "shout" },
    reply: { id: 3, code: "unknown_type", message: 'Unknown type "shout"' },
  },
  {
    what: "chat with a blank text",
    frame: { id: 22, type: "chat", data: { room: "lobby", text: " \n\t " } },
    reply: { id: 22, code: "bad_request", message: "data.text must not be empty" },
  },
];

Deno.test("bad input is refused with its code, the connection stays usable, others are unaffected", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using other = await open(server);
  ok(await other.request("join", { room: "others" }));
  const markOther = other.frames.length;
  for (const bad of BAD_INPUT) {
    await t.step(bad.what, async () => {
      assert.equal(a.socket.readyState, WebSocket.OPEN, "an earlier bad frame closed the socket");
      const mark = a.frames.length;
      a.send(bad.frame);
      const reply = await a.next((f) => f.type === "reply" && f.id === bad.reply.id);
      refused(reply, bad.reply.code);
      assert.equal(reply.error?.message, bad.reply.message);
      // Still usable, with exactly one answer to the bad frame.
      const pong = ok(await a.request("ping"));
      assert.equal(typeof pong.serverTime, "number");
      assert.equal(since(a, mark).length, 2, `extra frames: ${JSON.stringify(since(a, mark))}`);
    });
  }
  // The other client heard nothing and is served as before.
  ok(await other.request("ping"));
  assert.deepEqual(since(other, markOther).filter((f) => f.type !== "reply"), []);
  assert.equal(ok(await other.request("num_clients")).count, 2);
  assert.equal(a.socket.readyState, WebSocket.OPEN);
});

Deno.test("the longest valid values are accepted: 64-character room, 4000-character chat", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const room = "A-z_0.9" + "r".repeat(57);
  assert.equal(room.length, 64);
  assert.equal(ok(await a.request("join", { room })).room, room);
  const text = "t".repeat(4000);
  const { msgId } = ok(await a.request("chat", { room, text }));
  assert.equal((await a.next(isEvent("chat", (d) => d.msgId === msgId))).data?.text, text);
});

Deno.test("a request the server fails on is refused with internal, logged, and the session goes on", async () => {
  // No valid frame makes the hub throw, so the test breaks it on purpose for one request type.
  await using server = await startTestServer();
  const logged: { message: string; fields?: Record<string, unknown> }[] = [];
  // The edge takes its logger when a socket connects, so swap it before connecting.
  server.services.log = {
    ...server.services.log,
    error: (message, fields) => logged.push({ message, fields }),
  };
  await using a = await open(server);
  const hub = server.services.hub;
  const handle = hub.handle;
  hub.handle = function (sessionId, request) {
    if (request.type === "rooms") throw new Error("boom");
    return handle.call(this, sessionId, request);
  };
  try {
    const reply = await a.request("rooms", undefined, "broken");
    refused(reply, "internal");
    assert.ok(!reply.error?.message.includes("boom"), "the internal message leaks the cause");
    ok(await a.request("ping"));
  } finally {
    hub.handle = handle;
  }
  assert.equal(logged.length, 1);
  assert.equal(logged[0].message, "request failed");
  assert.equal(logged[0].fields?.type, "rooms");
  assert.equal((logged[0].fields?.error as Error).message, "boom");
  ok(await a.request("rooms"));
});

// ---- HTTP -------------------------------------------------------------------------------------

Deno.test("GET /api/stats follows sessions, rooms and frames in and out", async () => {
  await using server = await startTestServer();
  const empty = await stats(server);
  assert.deepEqual(Object.keys(empty).sort(), [
    "count",
    "messagesIn",
    "messagesOut",
    "rooms",
    "uptimeMs",
  ]);
  assert.deepEqual({ ...empty, uptimeMs: 0 }, {
    count: 0,
    rooms: 0,
    uptimeMs: 0,
    messagesIn: 0,
    messagesOut: 0,
  });
  assert.ok(empty.uptimeMs >= 0);

  await using a = await open(server);
  ok(await a.request("join", { room: "stats" }));
  for (let i = 0; i < 5; i++) ok(await a.request("ping"));
  // In: join and 5 pings. Out: welcome, join reply and 5 ping replies.
  assert.deepEqual({ ...(await stats(server)), uptimeMs: 0 }, {
    count: 1,
    rooms: 2,
    uptimeMs: 0,
    messagesIn: 6,
    messagesOut: 7,
  });

  const b = await open(server);
  await a.next(isEvent("presence"));
  const two = await stats(server);
  assert.equal(two.count, 2);
  assert.equal(two.rooms, 2);
  assert.equal(two.messagesOut, 9, "b's welcome and a's presence");
  ok(await b.request("chat", { room: "lobby", text: "counted" }));
  await a.next(isEvent("chat"));
  const three = await stats(server);
  assert.equal(three.messagesIn, 7);
  assert.equal(three.messagesOut, 12, "two chat events and one reply");

  await b[Symbol.asyncDispose]();
  await eventually(async () => assert.equal((await stats(server)).count, 1));
  ok(await a.request("leave", { room: "stats" }));
  const last = await stats(server);
  assert.equal(last.rooms, 1);
  assert.ok(last.uptimeMs >= empty.uptimeMs);
  await eventually(async () => assert.ok((await stats(server)).uptimeMs > empty.uptimeMs));
});

Deno.test("a plain GET /ws without an upgrade gets 426", async () => {
  await using server = await startTestServer();
  const response = await fetch(`${server.origin}/ws`);
  assert.equal(response.status, 426);
  assert.equal(response.headers.get("upgrade"), "websocket");
  await response.body?.cancel();
  assert.equal((await stats(server)).count, 0);
});

Deno.test("set_name refuses hostile names, including another session's guest name, and stores NFC", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  const mark = b.frames.length;
  const hostile = [
    { what: "BEL", name: "Ada\u0007", reason: "control characters" },
    { what: "U+202E right-to-left override", name: "Ada\u202Eecalevol", reason: "formatting" },
    // JSON.stringify writes the half pair as a \ud83d escape, which JSON.parse gives back whole.
    { what: "lone high surrogate", name: "Ada\uD83D", reason: "surrogate" },
    { what: "U+200B-only", name: "\u200B", reason: "formatting" },
    {
      what: "5 stacked combining marks",
      name: "Zal\u0316\u0317\u0318\u0319\u031Cgo",
      reason: "stack",
    },
    { what: "b's guest name", name: welcomeOf(b).name, reason: '"guest-"' },
    { what: "GUEST-x", name: "GUEST-x", reason: '"guest-"' },
  ];
  for (const bad of hostile) {
    await t.step(bad.what, async () => {
      const reply = await a.request("set_name", { name: bad.name });
      refused(reply, "bad_request", "data.name");
      assert.ok(reply.error?.message.includes(bad.reason), reply.error?.message);
    });
  }
  // Nothing was renamed: b, a's roommate in the lobby, heard of none of them.
  await barrier(b);
  assert.deepEqual(since(b, mark, isEvent("renamed")), []);

  assert.deepEqual(ok(await a.request("set_name", { name: " Rene\u0301e " })), {
    name: "Ren\u00e9e",
  });
  const renamed = await b.next(isEvent("renamed"));
  assert.deepEqual(renamed.data, { sessionId: idOf(a), name: "Ren\u00e9e" });
});
