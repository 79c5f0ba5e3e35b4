/**
 * End-to-end tests of the server API on one real server (`docs/api.md`): the key (off, missing,
 * wrong), bad input for every call (each case names the bad input it tries and the field the
 * error must name), publish and broadcast reaching members with their stream positions and
 * history, idempotency, disconnect with no resume, presence and history, a server message in a
 * resumed session's replay, a Socket.IO session disconnected for good, and the calls counted in
 * `/metrics`. The cluster half is in
 * `api_cluster_test.ts`.
 */

import assert from "node:assert/strict";
import type { ApiCall } from "../lib/protocol/api.ts";
import type { ChatMessage } from "../lib/protocol/mod.ts";
import { type ApiTarget, get, post } from "../tools/api_client.ts";
import { Probe, startTestServer, type TestServer } from "./helpers.ts";
import { CLIENTS, connect as connectSio } from "./socketio_helpers.ts";
import { barrier, idOf, isEvent, ok, open, welcomeOf } from "./protocol_asserts.ts";

const KEY = "test-api-key-0123456789";
/** The API of `server`, with `key` (the right one when left out; `null` sends none). */
const target = (server: TestServer, key: string | null = KEY): ApiTarget => ({
  url: server.origin,
  key: key ?? undefined,
});

/** One call of every kind, with a valid input. */
const CALLS: {
  call: ApiCall;
  send: (t: ApiTarget) => Promise<{ status: number; body: unknown }>;
}[] = [
  { call: "publish", send: (t) => post(t, "publish", { room: "lobby", text: "hi" }) },
  { call: "broadcast", send: (t) => post(t, "broadcast", { rooms: ["lobby"], text: "hi" }) },
  {
    call: "disconnect",
    send: (t) => post(t, "disconnect", { sessionId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }),
  },
  { call: "presence", send: (t) => get(t, "presence", { room: "lobby" }) },
  { call: "history", send: (t) => get(t, "history", { room: "lobby" }) },
  { call: "user_sessions", send: (t) => get(t, "user_sessions", { userId: "u1" }) },
];

function assertError(
  answer: { status: number; body: unknown },
  status: number,
  code: string,
  names?: string,
) {
  const body = answer.body as { error?: { code?: string; message?: string } };
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(body.error?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof body.error?.message, "string");
  if (names) {
    assert.ok(body.error!.message!.includes(names), `should name ${names}: ${body.error!.message}`);
  }
}

Deno.test("API off (no API_KEY): every call answers 404, with or without a key", async () => {
  await using server = await startTestServer();
  for (const { call, send } of CALLS) {
    const answer = await send(target(server));
    assertError(answer, 404, "not_found", "API_KEY");
    assert.ok(call);
  }
  // A user of the API gets the same answer for a method the call does not take.
  const response = await fetch(`${server.origin}/api/presence?room=lobby`, { method: "DELETE" });
  assert.equal(response.status, 404);
  await response.body?.cancel();
});

Deno.test("every call refuses a missing key and a wrong key with 401 unauthorized", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  for (const { call, send } of CALLS) {
    const missing = await send(target(server, null));
    assertError(missing, 401, "unauthorized", "Authorization");
    const wrong = await send(target(server, KEY.slice(0, -1) + "x"));
    assertError(wrong, 401, "unauthorized");
    // A key that only starts like the right one is as wrong.
    assertError(await send(target(server, KEY + "0")), 401, "unauthorized");
    assert.ok(call);
  }
  const basic = await fetch(`${server.origin}/api/presence?room=lobby`, {
    headers: { authorization: `Basic ${btoa(`x:${KEY}`)}` },
  });
  assert.equal(basic.status, 401, "another scheme than Bearer");
  assert.equal(basic.headers.get("www-authenticate"), 'Bearer realm="api"');
  await basic.body?.cancel();
  // Nothing was published by the refused calls.
  await barrier(member);
  assert.equal(member.frames.filter(isEvent("chat")).length, 0);
});

interface BadInput {
  what: string;
  call: "publish" | "broadcast" | "disconnect";
  body: unknown;
  /** What the error message must name. */
  names: string;
  status?: number;
}

const ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

const BAD: BadInput[] = [
  { what: "not JSON", call: "publish", body: "{room:", names: "JSON" },
  { what: "an empty body", call: "publish", body: "", names: "empty" },
  { what: "a JSON array", call: "publish", body: [], names: "object" },
  { what: "no room", call: "publish", body: { text: "hi" }, names: "room" },
  { what: "a room with a space", call: "publish", body: { room: "a b", text: "x" }, names: "room" },
  { what: "no text", call: "publish", body: { room: "lobby" }, names: "text" },
  { what: "blank text", call: "publish", body: { room: "lobby", text: "  " }, names: "text" },
  {
    what: "text over 4,000 characters",
    call: "publish",
    body: { room: "lobby", text: "x".repeat(4001) },
    names: "text",
  },
  {
    what: "a name with the guest- prefix",
    call: "publish",
    body: { room: "lobby", text: "x", name: "guest-abc" },
    names: "name",
  },
  {
    what: "data that is an array",
    call: "publish",
    body: { room: "lobby", text: "x", data: [1] },
    names: "data",
  },
  {
    what: "data over 8,192 characters as JSON",
    call: "publish",
    body: { room: "lobby", text: "x", data: { s: "x".repeat(8200) } },
    names: "data",
  },
  {
    what: "an idempotencyKey with a space",
    call: "publish",
    body: { room: "lobby", text: "x", idempotencyKey: "a b" },
    names: "idempotencyKey",
  },
  {
    what: "a body over 64 KiB",
    call: "publish",
    body: { room: "lobby", text: "x", pad: "x".repeat(70_000) },
    names: "65536",
    status: 413,
  },
  {
    what: "rooms not a list",
    call: "broadcast",
    body: { rooms: "lobby", text: "x" },
    names: "rooms",
  },
  { what: "no rooms", call: "broadcast", body: { rooms: [], text: "x" }, names: "rooms" },
  {
    what: "101 rooms",
    call: "broadcast",
    body: { rooms: Array.from({ length: 101 }, (_, i) => `r${i}`), text: "x" },
    names: "rooms",
  },
  {
    what: "a bad room in the list",
    call: "broadcast",
    body: { rooms: ["ok", "no/slash"], text: "x" },
    names: "rooms[1]",
  },
  {
    what: "a room named twice",
    call: "broadcast",
    body: { rooms: ["a", "a"], text: "x" },
    names: "twice",
  },
  { what: "neither sessionId nor userId", call: "disconnect", body: {}, names: "sessionId" },
  {
    what: "both sessionId and userId",
    call: "disconnect",
    body: { sessionId: ULID, userId: "u1" },
    names: "exactly one",
  },
  {
    what: "a sessionId that is no ULID",
    call: "disconnect",
    body: { sessionId: "x" },
    names: "sessionId",
  },
  { what: "an empty userId", call: "disconnect", body: { userId: "" }, names: "userId" },
  {
    what: "a close code outside 4000-4999",
    call: "disconnect",
    body: { sessionId: ULID, code: 1000 },
    names: "code",
  },
  {
    what: "a close code the hub keeps for itself (4009, replaced)",
    call: "disconnect",
    body: { sessionId: ULID, code: 4009 },
    names: "code 4009",
  },
  {
    what: "a close reason over 123 bytes",
    call: "disconnect",
    body: { sessionId: ULID, reason: "é".repeat(62) },
    names: "reason",
  },
];

Deno.test("bad bodies get 400 bad_request naming the bad input, and publish nothing", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  for (const bad of BAD) {
    const answer = await post(target(server), bad.call, bad.body);
    try {
      assertError(answer, bad.status ?? 400, "bad_request", bad.names);
    } catch (err) {
      throw new Error(`${bad.what}: ${(err as Error).message}`);
    }
  }
  await barrier(member);
  assert.equal(member.frames.filter(isEvent("chat")).length, 0, "no bad call published");
});

Deno.test("bad queries get 400 naming the parameter; a wrong method gets 405", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  const t = target(server);
  assertError(await get(t, "presence", {}), 400, "bad_request", "room");
  assertError(await get(t, "history", { room: "lobby", limit: "0" }), 400, "bad_request", "limit");
  assertError(
    await get(t, "history", { room: "lobby", limit: "1e2" }),
    400,
    "bad_request",
    "limit",
  );
  assertError(
    await get(t, "history", { room: "lobby", before: "-1" }),
    400,
    "bad_request",
    "before",
  );
  const twice = await fetch(`${server.origin}/api/presence?room=a&room=b`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  assertError({ status: twice.status, body: await twice.json() }, 400, "bad_request", "room");
  assertError(
    await get(t, "user_sessions", { userId: "x".repeat(65) }),
    400,
    "bad_request",
    "userId",
  );
  const wrong = await fetch(`${server.origin}/api/publish`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  await wrong.body?.cancel();
});

Deno.test("publish: a chat from the server, numbered in the room's stream, kept in history", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("join", { room: "news" }));
  ok(await b.request("join", { room: "news" }));
  ok(await a.request("chat", { room: "news", text: "from a member" }));

  const answer = await post(target(server), "publish", {
    room: "news",
    text: "from the backend",
    name: "Billing",
    data: { invoice: 42, tags: ["paid"] },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const published = answer.body as { msgId: string; ts: number; offset: number; epoch: string };
  assert.equal(published.offset, 2, "after the member's message");
  const event = await b.next(isEvent("chat", (d) => d.text === "from the backend"));
  assert.deepEqual(event.data, {
    room: "news",
    msgId: published.msgId,
    from: "server",
    userId: null,
    name: "Billing",
    text: "from the backend",
    ts: published.ts,
    data: { invoice: 42, tags: ["paid"] },
    offset: 2,
    epoch: published.epoch,
  });
  await a.next(isEvent("chat", (d) => d.msgId === published.msgId));

  // Without a name it is "server", and without data there is no data field.
  const plain = await post(target(server), "publish", { room: "news", text: "plain" });
  const plainEvent = await b.next(isEvent("chat", (d) => d.text === "plain"));
  assert.equal(plainEvent.data!.name, "server");
  assert.equal("data" in plainEvent.data!, false);
  assert.equal((plain.body as { offset: number }).offset, 3);

  // The wire's history and the API's hold the same messages.
  const wire = ok(await a.request("history", { room: "news" }));
  const api = await get(target(server), "history", { room: "news", limit: "2" });
  assert.equal(api.status, 200);
  const page = api.body as { room: string; offset: number; messages: ChatMessage[] };
  assert.equal(page.room, "news");
  assert.equal(page.offset, 3);
  assert.deepEqual(page.messages.map((m) => m.text), ["from the backend", "plain"]);
  assert.deepEqual((wire.messages as ChatMessage[]).slice(1), page.messages);
  const before = await get(target(server), "history", { room: "news", before: "2" });
  assert.deepEqual((before.body as typeof page).messages.map((m) => m.text), ["from a member"]);
});

Deno.test("publish to a room nobody is in still numbers and keeps the message", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  const first = await post(target(server), "publish", { room: "empty", text: "one" });
  assert.equal((first.body as { offset: number }).offset, 1);
  await using late = await open(server);
  const joined = ok(await late.request("join", { room: "empty" }));
  assert.equal(joined.offset, 1);
  const page = ok(await late.request("history", { room: "empty" }));
  assert.deepEqual((page.messages as ChatMessage[]).map((m) => [m.from, m.text]), [
    ["server", "one"],
  ]);
});

Deno.test("idempotency: a retry with the same key answers the first answer and delivers nothing", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  const body = { room: "lobby", text: "once", idempotencyKey: "order-42:paid" };
  const first = await post(target(server), "publish", body);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("idempotent-replayed"), "false");
  const retries = await Promise.all([1, 2, 3].map(() => post(target(server), "publish", body)));
  for (const retry of retries) {
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, first.body, "the first answer, msgId and offset included");
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
  }
  // Another key publishes again.
  const other = await post(target(server), "publish", { ...body, idempotencyKey: "order-43" });
  assert.notEqual((other.body as { msgId: string }).msgId, (first.body as { msgId: string }).msgId);
  await member.next(isEvent("chat", (d) => d.msgId === (other.body as { msgId: string }).msgId));
  await barrier(member);
  assert.equal(member.frames.filter(isEvent("chat", (d) => d.text === "once")).length, 2);
  // The key reused for another message is refused, not answered with the first message's answer.
  const reused = await post(target(server), "publish", { ...body, text: "something else" });
  assertError(reused, 400, "bad_request", "idempotencyKey");
  // Keys of publish and broadcast are apart.
  const broadcast = await post(target(server), "broadcast", {
    rooms: ["lobby"],
    text: "once",
    idempotencyKey: "order-42:paid",
  });
  assert.equal(broadcast.status, 200);
  assert.equal(broadcast.headers.get("idempotent-replayed"), "false");
});

Deno.test("idempotency: retries racing the first call publish once", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  const body = { room: "lobby", text: "raced", idempotencyKey: crypto.randomUUID() };
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => post(target(server), "publish", body)),
  );
  for (const answer of answers) {
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, answers[0].body);
  }
  assert.equal(answers.filter((a) => a.headers.get("idempotent-replayed") === "false").length, 1);
  await barrier(member);
  assert.equal(member.frames.filter(isEvent("chat", (d) => d.text === "raced")).length, 1);
});

Deno.test("broadcast: one message into each room, each with its own id and offset", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using a = await open(server);
  for (const room of ["r1", "r2"]) ok(await a.request("join", { room }));
  ok(await a.request("chat", { room: "r2", text: "first in r2" }));
  const answer = await post(target(server), "broadcast", {
    rooms: ["r1", "r2", "r3"],
    text: "everyone",
    data: { kind: "notice" },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const { results } = answer.body as {
    results: { room: string; msgId: string; ts: number; offset: number; epoch: string }[];
  };
  assert.deepEqual(results.map((r) => [r.room, r.offset]), [["r1", 1], ["r2", 2], ["r3", 1]]);
  assert.equal(new Set(results.map((r) => r.msgId)).size, 3);
  for (const room of ["r1", "r2"]) {
    const event = await a.next(isEvent("chat", (d) => d.room === room && d.text === "everyone"));
    assert.equal(event.data!.msgId, results.find((r) => r.room === room)!.msgId);
    assert.deepEqual(event.data!.data, { kind: "notice" });
  }
});

Deno.test("disconnect: the session closes with 4003 and cannot be resumed; its rooms see it leave", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using watcher = await open(server);
  const victim = await open(server);
  const { sessionId, resumeToken } = welcomeOf(victim);
  const answer = await post(target(server), "disconnect", { sessionId, reason: "Banned" });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, { disconnected: [sessionId] });
  const closed = await victim.closed;
  assert.equal(closed.code, 4003);
  assert.equal(closed.reason, "Banned");
  await watcher.next(isEvent("presence", (d) => d.sessionId === sessionId && d.action === "leave"));
  // The session ended: its token resumes nothing.
  await using again = await Probe.open(`${server.wsUrl}?resume=${resumeToken}`);
  assert.equal(welcomeOf(again).resumed, false);
  assert.notEqual(idOf(again), sessionId);

  // A code of the application's choice; a session that is gone is not found.
  const other = await open(server);
  const custom = await post(target(server), "disconnect", { sessionId: idOf(other), code: 4321 });
  assert.deepEqual(custom.body, { disconnected: [idOf(other)] });
  assert.equal((await other.closed).code, 4321);
  const gone = await post(target(server), "disconnect", { sessionId });
  assert.equal(gone.status, 200);
  assert.deepEqual(gone.body, { disconnected: [] });
});

Deno.test("presence lists a room's members with their userId (null when anonymous)", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("set_name", { name: "Bea" }));
  ok(await b.request("join", { room: "den" }));
  const answer = await get(target(server), "presence", { room: "den" });
  assert.equal(answer.status, 200);
  const { room, members } = answer.body as { room: string; members: unknown[] };
  assert.equal(room, "den");
  const sorted = (list: unknown[]) =>
    [...list].sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
  assert.deepEqual(
    sorted(members),
    sorted([
      { sessionId: idOf(a), userId: null, name: welcomeOf(a).name },
      { sessionId: idOf(b), userId: null, name: "Bea" },
    ]),
  );
  const empty = await get(target(server), "presence", { room: "nobody-here" });
  assert.deepEqual(empty.body, { room: "nobody-here", members: [] });
});

Deno.test("/metrics counts the API's calls by call and status", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await post(target(server), "publish", { room: "lobby", text: "one" });
  await post(target(server), "publish", { room: "lobby", text: "two" });
  await post(target(server, null), "publish", { room: "lobby", text: "no key" });
  await post(target(server), "broadcast", { rooms: [], text: "x" });
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const sample = (labels: string) =>
    Number(new RegExp(`^hub_api_calls_total\\{${labels}\\} (\\d+)$`, "m").exec(text)?.[1]);
  assert.equal(sample('call="publish",status="200"'), 2);
  assert.equal(sample('call="publish",status="401"'), 1);
  assert.equal(sample('call="broadcast",status="400"'), 1);
  assert.equal(sample('call="presence",status="200"'), 0, "every call is there from zero");
});

Deno.test("a session away when the server published gets the message in its replay on resume", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using watcher = await open(server);
  const away = await open(server);
  const { sessionId, resumeToken } = welcomeOf(away);
  away.socket.close(4000, "network changed");
  await away.closed;
  await watcher.next(isEvent("presence", (d) => d.sessionId === sessionId && d.action === "away"));
  const published = await post(target(server), "publish", {
    room: "lobby",
    text: "while you were away",
    data: { n: 1 },
  });
  const { msgId } = published.body as { msgId: string };
  await using back = await Probe.open(`${server.wsUrl}?resume=${resumeToken}`);
  assert.equal(welcomeOf(back).resumed, true);
  const replayed = await back.next(isEvent("chat", (d) => d.msgId === msgId));
  assert.deepEqual([replayed.data!.from, replayed.data!.data], ["server", { n: 1 }]);
  // Replayed right after the welcome, before anything new.
  assert.equal(back.frames.indexOf(replayed), 1);
});

Deno.test("disconnect of a Socket.IO session: DISCONNECT, and the client does not reconnect", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using watcher = await open(server);
  const client = await connectSio(CLIENTS[0].io, server.origin, { reconnection: true });
  try {
    const reason = new Promise((resolve) => client.socket.once("disconnect", resolve));
    const answer = await post(target(server), "disconnect", { sessionId: client.clientId });
    assert.deepEqual(answer.body, { disconnected: [client.clientId] });
    assert.equal(await reason, "io server disconnect");
    assert.equal(client.socket.active, false, "no reconnect is scheduled");
    await watcher.next(
      isEvent("presence", (d) => d.sessionId === client.clientId && d.action === "leave"),
    );
  } finally {
    await client[Symbol.asyncDispose]();
  }
});
