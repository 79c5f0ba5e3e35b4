/**
 * End-to-end tests of session resume, written from docs/protocol.md ("Connecting", "Resume",
 * "Limits and closing codes") over real sockets to a real single server: what a session keeps
 * across an abrupt drop (a close with a code other than 1000, or a TCP drop with no close frame),
 * what its peers see while it is away, the replay of missed chats and DM events, single-use
 * tokens, forged and malformed tokens, the resume window, the replay buffer, replacement with
 * 4009, the clean close with 1000, and `RESUME_TTL_MS=0`.
 *
 * As in `protocol_test.ts`, "nothing arrived" is proved with a barrier rather than a sleep: once a
 * probe has the reply to a request that caused an event for another probe, or to its own `ping`,
 * every frame queued for it before has arrived, because the server writes each socket's frames in
 * order.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import { CLOSE_CODES, type Events } from "../lib/protocol/mod.ts";
import { delay, type Frame, Probe, startTestServer, stats, type TestServer } from "./helpers.ts";
import { barrier, idOf, isEvent, ok, open, refused, welcomeOf } from "./protocol_asserts.ts";
import { closeCode, RawSocket } from "./raw_socket.ts";

const TOKEN = /^[A-Za-z0-9._-]{1,256}$/;
const REPLAYED = new Set(["chat", "dm", "dm_request", "dm_accepted", "dm_declined", "dm_closed"]);

// ---- helpers ----------------------------------------------------------------------------------

function tokenOf(probe: Probe): string {
  return welcomeOf(probe).resumeToken;
}

/** Connects with `?resume=<query>` (the query is put in the URL as given). */
function resume(server: TestServer, query: string): Promise<Probe> {
  return Probe.open(`${server.wsUrl}?resume=${query}`);
}

/** An abrupt drop that still sends a close frame: the client closes with 4000. */
async function closeWith4000(probe: Probe): Promise<void> {
  probe.socket.close(4000, "network changed");
  await probe.closed;
}

/** Matches a `presence` event about `id` with `action` (in `room` when given). */
function presence(id: string, action: string, room?: string) {
  return isEvent(
    "presence",
    (d) => d.sessionId === id && d.action === action && (room === undefined || d.room === room),
  );
}

/** The events (not replies) a probe got after its `welcome`. */
function eventsAfterWelcome(probe: Probe): Frame[] {
  const start = probe.frames.findIndex((f) => f.type === "welcome");
  return probe.frames.slice(start + 1).filter((f) => f.type !== "reply");
}

/** A short description of a replayable event: `type:text` for chats and DMs, `type:with`/`from`. */
function describe(f: Frame): string {
  const d = f.data ?? {};
  if (f.type === "chat") return `chat:${d.room}:${d.text}`;
  if (f.type === "dm") return `dm:${d.text}`;
  if (f.type === "dm_request") return `dm_request:${d.from}`;
  if (f.type === "dm_closed" || f.type === "dm_declined") return `${f.type}:${d.with}:${d.reason}`;
  return `${f.type}:${d.with ?? d.from ?? ""}`;
}

/** `a` asks `b` for a conversation and `b` accepts; returns once `a` heard of it. */
async function converse(a: Probe, b: Probe): Promise<void> {
  ok(await a.request("dm_request", { to: idOf(b) }));
  await b.next(isEvent("dm_request", (d) => d.from === idOf(a)));
  ok(await b.request("dm_accept", { from: idOf(a) }));
  await a.next(isEvent("dm_accepted", (d) => d.with === idOf(b)));
}

/** Sends a raw request and reads frames until its reply. */
async function rawRequest(
  raw: RawSocket,
  id: number,
  type: string,
  data: unknown,
): Promise<Frame> {
  await raw.sendText(JSON.stringify({ type, id, data }));
  while (true) {
    const frame: Frame = await raw.readJson();
    if (frame.type === "reply" && frame.id === id) return frame;
  }
}

/** Sends a masked close frame carrying `code`, or an empty one (no code: 1005) without it. */
async function sendClose(raw: RawSocket, code?: number): Promise<void> {
  const payload = code === undefined ? new Uint8Array(0) : new Uint8Array([code >> 8, code & 0xff]);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(2 + 4 + payload.length);
  frame[0] = 0x88;
  frame[1] = 0x80 | payload.length;
  frame.set(mask, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i & 3];
  await raw.conn.write(frame);
}

// ---- the welcome ------------------------------------------------------------------------------

Deno.test("welcome carries a new URL-safe resumeToken and the configured resumeTtlMs; resumed is false", async () => {
  await using server = await startTestServer({ resumeTtlMs: 4567 });
  await using a = await open(server);
  await using b = await open(server);
  const wa = welcomeOf(a);
  assert.equal(wa.resumed, false);
  assert.equal(wa.resumeTtlMs, 4567);
  assert.match(wa.resumeToken, TOKEN);
  assert.match(tokenOf(b), TOKEN);
  assert.notEqual(wa.resumeToken, tokenOf(b), "each session gets its own token");
});

Deno.test('RESUME_TTL_MS=0: welcome has resumeToken "" and resumeTtlMs 0', async () => {
  await using server = await startTestServer({ resumeTtlMs: 0 });
  await using a = await open(server);
  const w = welcomeOf(a);
  assert.equal(w.resumeToken, "");
  assert.equal(w.resumeTtlMs, 0);
  assert.equal(w.resumed, false);
});

// ---- resuming after an abrupt drop --------------------------------------------------------------

Deno.test("resume after a close with 4000 keeps id, name, connectedAt and rooms; peers see away then back, never leave", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, heartbeatMs: 7777 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("set_name", { name: "Ada" }));
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  const before = welcomeOf(a);
  const markB = b.frames.length;

  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  await b.next(presence(aId, "away", "den"));
  const away = b.frames.find(presence(aId, "away", "den"))!;
  assert.equal(away.data?.name, "Ada", "presence away carries the name");

  const sent = Date.now();
  await using a2 = await resume(server, before.resumeToken);
  assert.equal(
    a2.frames[0].type,
    "welcome",
    "welcome is the first frame of the resumed connection",
  );
  const w = welcomeOf(a2);
  assert.deepEqual(Object.keys(w).sort(), Object.keys(before).sort());
  assert.equal(w.resumed, true);
  assert.equal(w.sessionId, aId);
  assert.equal(w.name, "Ada");
  assert.equal(w.connectedAt, before.connectedAt, "connectedAt is when the session started");
  assert.ok(w.serverTime >= sent - 5, "serverTime is the clock now");
  assert.equal(w.heartbeatMs, 7777);
  assert.equal(w.resumeTtlMs, 10_000);
  assert.match(w.resumeToken, TOKEN);
  assert.notEqual(w.resumeToken, before.resumeToken, "every welcome hands out a new token");
  assert.equal(ok(await a2.request("client_time")).connectedAt, before.connectedAt);

  await b.next(presence(aId, "back", "lobby"));
  await b.next(presence(aId, "back", "den"));
  // Still a member of den, without joining again: a chat there reaches b with a's id and name.
  ok(await a2.request("chat", { room: "den", text: "still here" }));
  const chat = await b.next(isEvent("chat", (d) => d.text === "still here"));
  assert.equal(chat.data?.from, aId);
  assert.equal(chat.data?.name, "Ada");
  assert.equal(
    b.frames.slice(markB).filter(presence(aId, "leave")).length,
    0,
    "peers never see a leave for a session that came back",
  );
  assert.equal(
    b.frames.slice(markB).filter(presence(aId, "join")).length,
    0,
    "nor a join: the session never left",
  );
  // And its membership is real: leaving den works, which gives not_member to a non-member.
  ok(await a2.request("leave", { room: "den" }));
  refused(await a2.request("leave", { room: "den" }), "not_member");
});

Deno.test("resume after a TCP drop with no close frame keeps the session; DM peers get dm_away then dm_back", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using b = await open(server);
  const raw = await RawSocket.connect(server.port);
  let aId: string;
  let token: string;
  let connectedAt: number;
  try {
    const welcome = await raw.readJson();
    assert.equal(welcome.type, "welcome");
    aId = welcome.data!.sessionId as string;
    token = welcome.data!.resumeToken as string;
    connectedAt = welcome.data!.connectedAt as number;
    assert.equal((await rawRequest(raw, 1, "set_name", { name: "Tess" })).ok, true);
    assert.equal((await rawRequest(raw, 2, "join", { room: "den" })).ok, true);
    ok(await b.request("join", { room: "den" }));
    ok(await b.request("dm_request", { to: aId }));
    assert.equal((await rawRequest(raw, 3, "dm_accept", { from: idOf(b) })).ok, true);
  } finally {
    raw.drop();
  }
  const markB = b.frames.length;
  await b.next(presence(aId, "away", "lobby"));
  await b.next(presence(aId, "away", "den"));
  assert.deepEqual((await b.next(isEvent("dm_away"))).data, { with: aId });

  await using a2 = await resume(server, token);
  const w = welcomeOf(a2);
  assert.equal(w.resumed, true);
  assert.equal(w.sessionId, aId);
  assert.equal(w.name, "Tess");
  assert.equal(w.connectedAt, connectedAt);
  assert.deepEqual((await b.next(isEvent("dm_back"))).data, { with: aId });
  await b.next(presence(aId, "back", "den"));
  await b.next(presence(aId, "back", "lobby"));

  // The conversation survived both ways.
  ok(await a2.request("dm", { to: idOf(b), text: "from a" }));
  assert.equal((await b.next(isEvent("dm", (d) => d.text === "from a"))).data?.from, aId);
  ok(await b.request("dm", { to: aId, text: "from b" }));
  await a2.next(isEvent("dm", (d) => d.text === "from b"));
  ok(await a2.request("chat", { room: "den", text: "sentinel" }));
  await b.next(isEvent("chat", (d) => d.text === "sentinel"));
  assert.equal(b.frames.slice(markB).filter(presence(aId, "leave")).length, 0);
  assert.equal(b.frames.slice(markB).filter(isEvent("dm_closed")).length, 0);
});

Deno.test("chats and DMs sent while away arrive right after the resumed welcome, in order, each exactly once", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  await using c = await open(server);
  const aId = idOf(a);
  for (const p of [a, b, c]) ok(await p.request("join", { room: "den" }));
  await converse(b, a);
  await converse(c, a);
  // Before the drop a sees two den messages; the replay must continue after them.
  ok(await b.request("chat", { room: "den", text: "seen 1" }));
  ok(await b.request("chat", { room: "den", text: "seen 2" }));
  const seen2 = await a.next(isEvent("chat", (d) => d.text === "seen 2"));

  await closeWith4000(a);
  await b.next(presence(aId, "away", "den"));
  await c.next(isEvent("dm_away", (d) => d.with === aId));

  // Interleaved from two senders, each waiting for its reply, so the order is known. Presence
  // (a join to den, a rename) happens in between and must not be replayed.
  const expected: string[] = [];
  const msgIds = new Map<string, unknown>();
  const send = async (p: Probe, type: string, data: Record<string, unknown>) => {
    const reply = ok(await p.request(type, data));
    const text = data.text as string;
    msgIds.set(text, reply.msgId);
    expected.push(type === "chat" ? `chat:${data.room}:${text}` : `dm:${text}`);
  };
  await send(b, "chat", { room: "lobby", text: "l1" });
  await send(c, "dm", { to: aId, text: "c-dm1" });
  await send(b, "chat", { room: "den", text: "d3" });
  await using d = await open(server);
  ok(await d.request("join", { room: "den" }));
  await send(b, "dm", { to: aId, text: "b-dm1" });
  ok(await b.request("set_name", { name: "Bee" }));
  await send(c, "chat", { room: "den", text: "d4" });
  await send(b, "dm", { to: aId, text: "b-dm2" });
  await send(c, "chat", { room: "lobby", text: "l2" });
  await send(b, "chat", { room: "den", text: "d5" });

  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  // A live chat sent once b knows a is back must come after the whole replay.
  await b.next(presence(aId, "back", "den"));
  ok(await b.request("chat", { room: "den", text: "live" }));
  await a2.next(isEvent("chat", (f) => f.text === "live"));
  await barrier(a2);

  const events = eventsAfterWelcome(a2);
  assert.deepEqual(
    events.map(describe),
    [...expected, "chat:den:live"],
    "exactly the missed chats and DMs, in send order, then the live one; no presence or renamed",
  );
  for (const f of events) {
    if (f.type === "chat" || f.type === "dm") {
      const text = f.data?.text as string;
      if (text !== "live") assert.equal(f.data?.msgId, msgIds.get(text), `msgId of ${text}`);
    }
  }
  // den offsets continue exactly from the last one a saw before dropping, in the same epoch.
  const den = events.filter(isEvent("chat", (x) => x.room === "den"));
  assert.deepEqual(
    den.map((f) => f.data?.offset),
    [1, 2, 3, 4].map((i) => (seen2.data?.offset as number) + i),
  );
  assert.ok(den.every((f) => f.data?.epoch === seen2.data?.epoch));
  // The DMs keep the sender's name at send time (b was renamed between b-dm1 and b-dm2).
  const dm1 = events.find(isEvent("dm", (x) => x.text === "b-dm1"))!;
  const dm2 = events.find(isEvent("dm", (x) => x.text === "b-dm2"))!;
  assert.equal(dm1.data?.from, idOf(b));
  assert.equal(dm1.data?.name, welcomeOf(b).name);
  assert.equal(dm2.data?.name, "Bee");
});

Deno.test("dm_request, dm_accepted, dm_declined and dm_closed that happen while away are replayed in order", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using asker = await open(server);
  await using accepter = await open(server);
  await using decliner = await open(server);
  await using closer = await open(server);
  const aId = idOf(a);
  ok(await a.request("dm_request", { to: idOf(accepter) }));
  await accepter.next(isEvent("dm_request"));
  ok(await a.request("dm_request", { to: idOf(decliner) }));
  await decliner.next(isEvent("dm_request"));
  await converse(closer, a);

  await closeWith4000(a);
  await closer.next(isEvent("dm_away", (d) => d.with === aId));

  // Requests to an away session and answers to its requests are accepted.
  assert.equal(ok(await asker.request("dm_request", { to: aId })).status, "pending");
  assert.equal(ok(await accepter.request("dm_accept", { from: aId })).with, aId);
  assert.equal(ok(await decliner.request("dm_decline", { from: aId })).with, aId);
  ok(await closer.request("dm_close", { with: aId }));

  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("dm_closed"));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2).map(describe), [
    `dm_request:${idOf(asker)}`,
    `dm_accepted:${idOf(accepter)}`,
    `dm_declined:${idOf(decliner)}:declined`,
    `dm_closed:${idOf(closer)}:closed`,
  ]);
  const events = eventsAfterWelcome(a2);
  assert.equal(events[0].data?.name, welcomeOf(asker).name);
  assert.equal(events[1].data?.name, welcomeOf(accepter).name);

  // The state is what the replay says: the accepted conversation is open, the request pending.
  ok(await a2.request("dm", { to: idOf(accepter), text: "hi" }));
  await accepter.next(isEvent("dm", (d) => d.text === "hi"));
  ok(await a2.request("dm_accept", { from: idOf(asker) }));
  await asker.next(isEvent("dm_accepted", (d) => d.with === aId));
  refused(await a2.request("dm", { to: idOf(decliner), text: "x" }), "not_connected");
  refused(await a2.request("dm", { to: idOf(closer), text: "x" }), "not_connected");
});

Deno.test("an away session stays in its rooms: a new member's join reply lists it", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  const members = ok(await b.request("join", { room: "den" })).members as { sessionId: string }[];
  assert.deepEqual(members.map((m) => m.sessionId).sort(), [aId, idOf(b)].sort());
  // b's join happened while a was away: presence is not replayed, so a never hears of it.
  await using a2 = await resume(server, tokenOf(a));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2), []);
});

// ---- counting --------------------------------------------------------------------------------

Deno.test("num_clients and /api/stats count leave out an away session and count it again once back", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const raw = await RawSocket.connect(server.port);
  const rawWelcome = await raw.readJson();
  const rawId = rawWelcome.data!.sessionId as string;
  await b.next(presence(rawId, "join", "lobby"));
  assert.equal(ok(await b.request("num_clients")).count, 3);
  assert.equal((await stats(server)).count, 3);

  await closeWith4000(a);
  await b.next(presence(idOf(a), "away", "lobby"));
  assert.equal(ok(await b.request("num_clients")).count, 2, "a close with 4000");
  assert.equal((await stats(server)).count, 2, "a close with 4000");
  raw.drop();
  await b.next(presence(rawId, "away", "lobby"));
  assert.equal(ok(await b.request("num_clients")).count, 1, "a TCP drop");
  assert.equal((await stats(server)).count, 1, "a TCP drop");

  await using a2 = await resume(server, tokenOf(a));
  assert.equal(ok(await a2.request("num_clients")).count, 2);
  assert.equal((await stats(server)).count, 2);
  await using r2 = await resume(server, rawWelcome.data!.resumeToken as string);
  assert.equal(welcomeOf(r2).sessionId, rawId);
  assert.equal(ok(await b.request("num_clients")).count, 3);
  assert.equal((await stats(server)).count, 3);
});

// ---- tokens -----------------------------------------------------------------------------------

Deno.test("a token is single use: a used token gives a new session and leaves the session alone; the next resume replays only its own gap", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  const t1 = tokenOf(a);

  await closeWith4000(a);
  await b.next(presence(aId, "away"));
  ok(await b.request("chat", { room: "lobby", text: "gap 1" }));
  const a2 = await resume(server, t1);
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("chat", (d) => d.text === "gap 1"));
  const t2 = tokenOf(a2);
  await b.next(presence(aId, "back"));

  // t1 again while the session is connected: not a 4009 takeover, just a new session.
  const markA2 = a2.frames.length;
  await using reuse1 = await resume(server, t1);
  assert.equal(welcomeOf(reuse1).resumed, false);
  assert.notEqual(welcomeOf(reuse1).sessionId, aId);
  await barrier(a2);
  assert.equal(a2.socket.readyState, WebSocket.OPEN, "a used token closes nothing");
  assert.deepEqual(a2.frames.slice(markA2).filter((f) => f.type === "welcome"), []);

  // Away again; t1 still gives a new session and does not bring the session back.
  await closeWith4000(a2);
  await b.next(presence(aId, "away"));
  ok(await b.request("chat", { room: "lobby", text: "gap 2" }));
  const markB = b.frames.length;
  await using reuse2 = await resume(server, t1);
  assert.equal(welcomeOf(reuse2).resumed, false);
  assert.notEqual(welcomeOf(reuse2).sessionId, aId);
  await b.next(presence(idOf(reuse2), "join", "lobby"));
  await barrier(b);
  assert.equal(b.frames.slice(markB).filter(presence(aId, "back")).length, 0);
  assert.equal(b.frames.slice(markB).filter(presence(aId, "leave")).length, 0);

  // t2 resumes, and replays only the second gap: gap 1 came exactly once, with the first resume.
  await using a3 = await resume(server, t2);
  assert.equal(welcomeOf(a3).resumed, true);
  assert.equal(welcomeOf(a3).sessionId, aId);
  await a3.next(isEvent("chat", (d) => d.text === "gap 2"));
  await barrier(a3);
  assert.deepEqual(eventsAfterWelcome(a3).map(describe), ["chat:lobby:gap 2"]);
  // And t2 is spent now too.
  await using reuse3 = await resume(server, t2);
  assert.equal(welcomeOf(reuse3).resumed, false);
  await barrier(a3);
  assert.equal(a3.socket.readyState, WebSocket.OPEN);
});

Deno.test("two connections racing with one token: exactly one resumes, the other is a new session", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  await closeWith4000(a);
  await b.next(presence(aId, "away"));
  ok(await b.request("chat", { room: "lobby", text: "missed" }));
  await using x = await resume(server, tokenOf(a));
  await using y = await resume(server, tokenOf(a));
  const [winner, loser] = welcomeOf(x).resumed ? [x, y] : [y, x];
  assert.equal(welcomeOf(winner).resumed, true);
  assert.equal(welcomeOf(winner).sessionId, aId);
  assert.equal(welcomeOf(loser).resumed, false);
  assert.notEqual(welcomeOf(loser).sessionId, aId);
  await winner.next(isEvent("chat", (d) => d.text === "missed"));
  await barrier(winner);
  await barrier(loser);
  assert.equal(winner.socket.readyState, WebSocket.OPEN);
  assert.equal(loser.frames.filter(isEvent("chat", (d) => d.text === "missed")).length, 0);
});

Deno.test("a token whose session is still connected: the old connection is closed with 4009 and the resume goes ahead", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("set_name", { name: "Phone" }));
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  await converse(b, a);
  const markB = b.frames.length;

  await using a2 = await resume(server, tokenOf(a));
  const w = welcomeOf(a2);
  assert.equal(w.resumed, true);
  assert.equal(w.sessionId, aId);
  assert.equal(w.name, "Phone");
  assert.equal(w.connectedAt, welcomeOf(a).connectedAt);
  assert.equal((await a.closed).code, CLOSE_CODES.replaced);

  // Still in den and still in the conversation; counted once.
  ok(await a2.request("chat", { room: "den", text: "new network" }));
  assert.equal((await b.next(isEvent("chat", (d) => d.text === "new network"))).data?.from, aId);
  ok(await a2.request("dm", { to: idOf(b), text: "dm after 4009" }));
  await b.next(isEvent("dm", (d) => d.text === "dm after 4009"));
  assert.equal(ok(await b.request("num_clients")).count, 2);
  assert.equal((await stats(server)).count, 2);
  assert.equal(b.frames.slice(markB).filter(presence(aId, "leave")).length, 0);
  assert.equal(b.frames.slice(markB).filter(isEvent("dm_closed")).length, 0);
  // The replaced connection's token is spent.
  await using stale = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(stale).resumed, false);
  assert.equal(a2.socket.readyState, WebSocket.OPEN);
});

Deno.test("forged tokens give a new session with resumed false, reveal no other session and affect none", async (t) => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using other = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("set_name", { name: "Target" }));
  const token = tokenOf(a);
  await closeWith4000(a);
  await b.next(presence(aId, "away"));
  await using elsewhere = await open(other);

  const flip = (s: string, i: number) =>
    s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
  const randomToken = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const cases: [string, string][] = [
    ["a random 43-character token", randomToken],
    ["the token with its last character changed", flip(token, token.length - 1)],
    ["the token with its first character changed", flip(token, 0)],
    ["the token with a character added", `${token}A`],
    ["the token without its last character", token.slice(0, -1)],
    ["the token reversed", [...token].reverse().join("")],
    ["the session id itself", aId],
    ["a token from another server", tokenOf(elsewhere)],
  ];
  const ids = new Set([aId, idOf(b)]);
  for (const [name, forged] of cases) {
    await t.step(name, async () => {
      const markB = b.frames.length;
      await using p = await resume(server, forged);
      const w = welcomeOf(p);
      assert.equal(w.resumed, false);
      assert.ok(!ids.has(w.sessionId), `a forged token got an existing session id ${w.sessionId}`);
      assert.notEqual(w.name, "Target");
      ids.add(w.sessionId);
      await b.next(presence(w.sessionId, "join", "lobby"));
      await barrier(b);
      assert.equal(b.frames.slice(markB).filter(presence(aId, "back")).length, 0);
    });
  }
  // None of that touched the real session: its token still resumes it.
  await using a2 = await resume(server, token);
  assert.equal(welcomeOf(a2).resumed, true);
  assert.equal(welcomeOf(a2).sessionId, aId);
  assert.equal(welcomeOf(a2).name, "Target");
});

Deno.test("a malformed or too long resume query is treated as no token: 101, a new session, never an error page", async (t) => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  const token = tokenOf(a);
  await closeWith4000(a);
  await b.next(presence(aId, "away"));

  // Each path is sent byte for byte on a raw TCP socket, so nothing normalises it first.
  const cases: [string, string][] = [
    ["an empty resume=", "/ws?resume="],
    ["resume with no value", "/ws?resume"],
    ["257 characters", `/ws?resume=${"A".repeat(257)}`],
    ["10,000 characters", `/ws?resume=${"A".repeat(10_000)}`],
    ["the valid token padded past 256 characters", `/ws?resume=${token}${"A".repeat(300)}`],
    ["the valid token plus %00", `/ws?resume=${token}%00`],
    ["the valid token plus an encoded space", `/ws?resume=${token}%20`],
    ["the valid token plus !", `/ws?resume=${token}!`],
    ["the valid token plus an encoded slash", `/ws?resume=${token}%2F`],
    ["a lone %", "/ws?resume=%"],
    ["a broken escape %ZZ", "/ws?resume=%ZZ"],
    ["a truncated UTF-8 escape %E0%A4%A", "/ws?resume=%E0%A4%A"],
    ["an overlong UTF-8 escape %C0%AF", "/ws?resume=%C0%AF"],
    ["non-ASCII letters", `/ws?resume=${encodeURIComponent("tökén")}`],
    ["path traversal ../../etc", "/ws?resume=..%2F..%2Fetc%2Fpasswd"],
    ["JSON", `/ws?resume=${encodeURIComponent('{"sessionId":"' + aId + '"}')}`],
  ];
  const ids = new Set([aId, idOf(b)]);
  for (const [name, path] of cases) {
    await t.step(name, async () => {
      const markB = b.frames.length;
      // connect() throws unless the answer is 101 Switching Protocols.
      const raw = await RawSocket.connect(server.port, path);
      try {
        const welcome = await raw.readJson();
        assert.equal(welcome.type, "welcome");
        const w = welcome.data as unknown as Events["welcome"];
        assert.equal(w.resumed, false);
        assert.ok(!ids.has(w.sessionId), `got an existing session id ${w.sessionId}`);
        ids.add(w.sessionId);
        assert.match(w.resumeToken, TOKEN);
        assert.equal((await rawRequest(raw, 1, "ping", {})).ok, true);
        await b.next(presence(w.sessionId, "join", "lobby"));
        await barrier(b);
        assert.equal(b.frames.slice(markB).filter(presence(aId, "back")).length, 0);
      } finally {
        raw.drop();
      }
    });
  }
  await using a2 = await resume(server, token);
  assert.equal(welcomeOf(a2).resumed, true, "the real token still works afterwards");
  assert.equal(welcomeOf(a2).sessionId, aId);
});

// ---- the window and the buffer ------------------------------------------------------------------

Deno.test("after RESUME_TTL_MS the away session ends: peers see leave and dm_closed disconnected, the token gives resumed false", async () => {
  const ttl = 300;
  await using server = await startTestServer({ resumeTtlMs: ttl });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  await converse(b, a);
  await using asker = await open(server);
  await using asked = await open(server);
  ok(await asker.request("dm_request", { to: aId }));
  await a.next(isEvent("dm_request", (d) => d.from === idOf(asker)));
  ok(await a.request("dm_request", { to: idOf(asked) }));
  await asked.next(isEvent("dm_request", (d) => d.from === aId));

  const dropped = Date.now();
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  await b.next(isEvent("dm_away", (d) => d.with === aId));
  // Inside the window a DM to it is still accepted.
  ok(await b.request("dm", { to: aId, text: "are you there?" }));

  const closed = await b.next(isEvent("dm_closed", (d) => d.with === aId), 3000);
  assert.equal(closed.data?.reason, "disconnected");
  const elapsed = Date.now() - dropped;
  assert.ok(
    elapsed >= ttl - 20,
    `the session ended after ${elapsed} ms, before its ${ttl} ms window`,
  );
  assert.ok(elapsed < ttl + 1500, `the session ended only after ${elapsed} ms`);
  await b.next(presence(aId, "leave", "lobby"));
  await b.next(presence(aId, "leave", "den"));
  const away = b.frames.findIndex(presence(aId, "away", "den"));
  const leave = b.frames.findIndex(presence(aId, "leave", "den"));
  assert.ok(away >= 0 && away < leave, "away comes before leave");
  refused(await b.request("dm", { to: aId, text: "gone" }), "not_found");
  // Pending requests either way end with it.
  for (const p of [asker, asked]) {
    assert.deepEqual((await p.next(isEvent("dm_closed"), 2000)).data, {
      with: aId,
      reason: "disconnected",
    });
  }
  assert.equal(asker.frames.filter(isEvent("dm_declined")).length, 0);

  await using late = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(late).resumed, false);
  assert.notEqual(welcomeOf(late).sessionId, aId);
  await barrier(late);
  assert.deepEqual(
    eventsAfterWelcome(late).filter((f) => REPLAYED.has(f.type)),
    [],
    "a new session gets no replay",
  );
  // b, asker, asked and the new session.
  assert.equal(ok(await b.request("num_clients")).count, 4);
  const den = ok(await b.request("join", { room: "den" })).members as { sessionId: string }[];
  assert.deepEqual(den.map((m) => m.sessionId), [idOf(b)]);
});

Deno.test("exactly RESUME_BUFFER missed events (room and own together) still resume whole", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, resumeBuffer: 3 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  await converse(b, a);
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  ok(await b.request("chat", { room: "lobby", text: "one" }));
  ok(await b.request("dm", { to: aId, text: "two" }));
  ok(await b.request("chat", { room: "den", text: "three" }));
  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("chat", (d) => d.text === "three"));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2).map(describe), [
    "chat:lobby:one",
    "dm:two",
    "chat:den:three",
  ]);
});

Deno.test("the event that overflows RESUME_BUFFER ends the away session at once; a later resume gives resumed false", async () => {
  await using server = await startTestServer({ resumeTtlMs: 30_000, resumeBuffer: 3 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  await converse(b, a);
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  const markB = b.frames.length;
  ok(await b.request("chat", { room: "den", text: "1" }));
  ok(await b.request("dm", { to: aId, text: "2" }));
  ok(await b.request("chat", { room: "lobby", text: "3" }));
  await barrier(b);
  assert.equal(b.frames.slice(markB).filter(presence(aId, "leave")).length, 0, "3 fit");

  const start = Date.now();
  ok(await b.request("chat", { room: "den", text: "4" }));
  // "At once": long before the 30 s window.
  assert.equal(
    (await b.next(isEvent("dm_closed", (d) => d.with === aId), 2000)).data?.reason,
    "disconnected",
  );
  await b.next(presence(aId, "leave", "den"), 2000);
  await b.next(presence(aId, "leave", "lobby"), 2000);
  assert.ok(Date.now() - start < 2000);
  refused(await b.request("dm", { to: aId, text: "5" }), "not_found");

  await using late = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(late).resumed, false);
  assert.notEqual(welcomeOf(late).sessionId, aId);
  await barrier(late);
  assert.deepEqual(eventsAfterWelcome(late).filter((f) => REPLAYED.has(f.type)), []);
});

Deno.test("presence and renamed events while away do not count against RESUME_BUFFER", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, resumeBuffer: 2 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  // Five presence/renamed events in a's rooms, none of which is replayed...
  for (let i = 0; i < 2; i++) {
    await using c = await open(server);
    await b.next(presence(idOf(c), "join"));
  }
  ok(await b.request("set_name", { name: "B1" }));
  // ...then exactly RESUME_BUFFER chats.
  ok(await b.request("chat", { room: "lobby", text: "x" }));
  ok(await b.request("chat", { room: "lobby", text: "y" }));
  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("chat", (d) => d.text === "y"));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2).map(describe), ["chat:lobby:x", "chat:lobby:y"]);
});

Deno.test("the replay does not depend on HISTORY_SIZE: missed chats beyond it are replayed whole", async (t) => {
  for (const historySize of [0, 2]) {
    await t.step(`HISTORY_SIZE=${historySize}`, async () => {
      await using server = await startTestServer({ resumeTtlMs: 10_000, historySize, chatRate: 0 });
      await using a = await open(server);
      await using b = await open(server);
      const aId = idOf(a);
      await closeWith4000(a);
      await b.next(presence(aId, "away", "lobby"));
      const texts = Array.from({ length: 6 }, (_, i) => `m${i}`);
      for (const text of texts) ok(await b.request("chat", { room: "lobby", text }));
      await using a2 = await resume(server, tokenOf(a));
      assert.equal(welcomeOf(a2).resumed, true);
      await a2.next(isEvent("chat", (d) => d.text === "m5"));
      await barrier(a2);
      const events = eventsAfterWelcome(a2);
      assert.deepEqual(events.map((f) => f.data?.text), texts);
      const offsets = events.map((f) => f.data?.offset as number);
      assert.deepEqual(offsets, offsets.map((_, i) => offsets[0] + i), "contiguous offsets");
    });
  }
});

// ---- ends that are not drops ------------------------------------------------------------------

Deno.test("a close with 1000 ends the session at once: leave and dm_closed disconnected, no away, the token is dead", async () => {
  await using server = await startTestServer({ resumeTtlMs: 60_000 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  await converse(b, a);
  const markB = b.frames.length;

  a.socket.close(1000);
  await a.closed;
  assert.equal(
    (await b.next(isEvent("dm_closed", (d) => d.with === aId), 2000)).data?.reason,
    "disconnected",
  );
  await b.next(presence(aId, "leave", "lobby"), 2000);
  await b.next(presence(aId, "leave", "den"), 2000);
  assert.equal(b.frames.slice(markB).filter(presence(aId, "away")).length, 0);
  assert.equal(b.frames.slice(markB).filter(isEvent("dm_away")).length, 0);
  assert.equal(ok(await b.request("num_clients")).count, 1);
  refused(await b.request("dm", { to: aId, text: "x" }), "not_found");
  await using again = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(again).resumed, false);
  assert.notEqual(welcomeOf(again).sessionId, aId);

  // HubClient.close() sends that 1000 too.
  const client = new HubClient(server.wsUrl, { reconnect: false });
  const welcome = await client.ready();
  await b.next(presence(welcome.sessionId, "join", "lobby"));
  await client.close();
  await b.next(presence(welcome.sessionId, "leave", "lobby"), 2000);
  assert.equal(b.frames.filter(presence(welcome.sessionId, "away")).length, 0);
});

Deno.test("RESUME_TTL_MS=0: a close with 4000 and a TCP drop both end the session at once, with no away", async () => {
  await using server = await startTestServer({ resumeTtlMs: 0 });
  await using b = await open(server);
  await using a = await open(server);
  const aId = idOf(a);
  await converse(b, a);
  const raw = await RawSocket.connect(server.port);
  const rawId = (await raw.readJson()).data!.sessionId as string;
  await b.next(presence(rawId, "join"));

  await closeWith4000(a);
  assert.equal(
    (await b.next(isEvent("dm_closed", (d) => d.with === aId), 2000)).data?.reason,
    "disconnected",
  );
  await b.next(presence(aId, "leave", "lobby"), 2000);
  raw.drop();
  await b.next(presence(rawId, "leave", "lobby"), 2000);
  assert.equal(b.frames.filter(isEvent("presence", (d) => d.action === "away")).length, 0);
  assert.equal(b.frames.filter(isEvent("dm_away")).length, 0);
  assert.equal(ok(await b.request("num_clients")).count, 1);
  assert.equal((await stats(server)).count, 1);
  // A resume query on a server with resume off is just a new session.
  await using p = await resume(server, "anything");
  assert.equal(welcomeOf(p).resumed, false);
  assert.equal(welcomeOf(p).resumeToken, "");
});

Deno.test("a slow consumer closed with 4008 goes away and resumes with every message exactly once", async () => {
  // The slow client reads nothing until the server gives up on it, then reads what was queued
  // up to the 4008; the resume must replay exactly the rest: lobby offsets 1..N with no gap and
  // no duplicate across the two connections.
  await using server = await startTestServer({
    chatRate: 0,
    maxBufferedBytes: 64 * 1024,
    resumeTtlMs: 30_000,
    resumeBuffer: 100_000,
  });
  const slow = await RawSocket.connect(server.port);
  let slowId: string;
  let token: string;
  const got: Frame[] = [];
  let code: number | undefined;
  await using talker = await open(server);
  try {
    const welcome = await slow.readJson();
    slowId = welcome.data!.sessionId as string;
    token = welcome.data!.resumeToken as string;
    const text = "x".repeat(4000);
    const away = talker.next(presence(slowId, "away", "lobby"), 20_000);
    let gone = false;
    away.then(() => gone = true, () => {});
    let id = 0;
    while (!gone && id < 10_000) {
      const batch = [];
      for (let i = 0; i < 100; i++, id++) {
        talker.send({ type: "chat", id, data: { room: "lobby", text } });
        batch.push(id);
      }
      const replies = await Promise.all(batch.map((i) => talker.reply(i)));
      assert.ok(replies.every((r) => r.ok));
    }
    await away;
    // A few more while it is away.
    for (let i = 0; i < 5; i++) {
      ok(await talker.request("chat", { room: "lobby", text: `late ${i}` }));
    }
    const decoder = new TextDecoder();
    while (true) {
      const frame = await slow.readFrame();
      if (!frame) break;
      if (frame.opcode === 8) {
        code = closeCode(frame);
        break;
      }
      if (frame.opcode === 1) got.push(JSON.parse(decoder.decode(frame.payload)));
    }
  } finally {
    slow.drop();
  }
  assert.equal(code, CLOSE_CODES.slowConsumer);
  await using back = await resume(server, token);
  assert.equal(welcomeOf(back).resumed, true);
  assert.equal(welcomeOf(back).sessionId, slowId);
  await back.next(isEvent("chat", (d) => d.text === "late 4"));
  await barrier(back);
  const offsets = [
    ...got.filter(isEvent("chat", (d) => d.room === "lobby")),
    ...eventsAfterWelcome(back).filter(isEvent("chat", (d) => d.room === "lobby")),
  ].map((f) => f.data?.offset as number);
  const latest = ok(await talker.request("history", { room: "lobby", limit: 1 })).offset as number;
  assert.deepEqual(
    offsets,
    Array.from({ length: latest }, (_, i) => i + 1),
    "every lobby message exactly once, in order, across the 4008",
  );
});

Deno.test("a client close frame with 1001 or with no code is not a clean close: the session goes away and resumes", async (t) => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using b = await open(server);
  for (
    const [name, code] of [["1001 (going away)", 1001], ["no code (1005)", undefined]] as const
  ) {
    await t.step(name, async () => {
      const raw = await RawSocket.connect(server.port);
      let id: string;
      let token: string;
      try {
        const welcome = await raw.readJson();
        id = welcome.data!.sessionId as string;
        token = welcome.data!.resumeToken as string;
        await b.next(presence(id, "join", "lobby"));
        await sendClose(raw, code);
        // The server answers with its own close frame.
        while (true) {
          const frame = await raw.readFrame();
          if (!frame || frame.opcode === 8) break;
        }
      } finally {
        raw.drop();
      }
      await b.next(presence(id, "away", "lobby"));
      assert.equal(b.frames.filter(presence(id, "leave")).length, 0);
      await using back = await resume(server, token);
      assert.equal(welcomeOf(back).resumed, true);
      assert.equal(welcomeOf(back).sessionId, id);
      await b.next(presence(id, "back", "lobby"));
    });
  }
});

Deno.test("a close for abuse ends the session at once even with resume on: a frame over MAX_MESSAGE_BYTES gets 1009", async () => {
  await using server = await startTestServer({ resumeTtlMs: 60_000, maxMessageBytes: 1024 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  await converse(b, a);
  a.send({ type: "random", id: 1, data: { text: "x".repeat(2000) } });
  assert.equal((await a.closed).code, CLOSE_CODES.tooBig);
  assert.equal(
    (await b.next(isEvent("dm_closed", (d) => d.with === aId), 2000)).data?.reason,
    "disconnected",
  );
  await b.next(presence(aId, "leave", "lobby"), 2000);
  assert.equal(b.frames.filter(presence(aId, "away")).length, 0);
  await using again = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(again).resumed, false);
  assert.notEqual(welcomeOf(again).sessionId, aId);
});

Deno.test("away and back presence follow PRESENCE_LIMIT: none in a room over it", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, presenceLimit: 2 });
  await using a = await open(server);
  await using b = await open(server);
  await using c = await open(server);
  const aId = idOf(a);
  ok(await a.request("join", { room: "den" }));
  ok(await b.request("join", { room: "den" }));
  const markB = b.frames.length;
  await closeWith4000(a);
  // den has 2 members (a and b): announced. lobby has 3: not announced.
  await b.next(presence(aId, "away", "den"));
  await using a2 = await resume(server, tokenOf(a));
  await b.next(presence(aId, "back", "den"));
  ok(await a2.request("chat", { room: "lobby", text: "sentinel" }));
  await b.next(isEvent("chat", (d) => d.text === "sentinel"));
  await c.next(isEvent("chat", (d) => d.text === "sentinel"));
  assert.deepEqual(
    b.frames.slice(markB).filter(isEvent("presence", (d) => d.room === "lobby")),
    [],
  );
  assert.deepEqual(c.frames.filter(isEvent("presence", (d) => d.sessionId === aId)), []);
});

Deno.test("DM requests that expire while away are replayed: dm_declined expired, then dm_closed expired", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, dmRequestTtlMs: 150 });
  await using a = await open(server);
  await using asked = await open(server);
  await using asker = await open(server);
  const aId = idOf(a);
  ok(await a.request("dm_request", { to: idOf(asked) }));
  await asked.next(isEvent("dm_request"));
  // 60 ms apart, so the two expiries come in a known order.
  await delay(60);
  ok(await asker.request("dm_request", { to: aId }));
  await a.next(isEvent("dm_request"));
  await closeWith4000(a);
  await asked.next(isEvent("dm_closed", (d) => d.with === aId && d.reason === "expired"), 2000);
  await asker.next(isEvent("dm_declined", (d) => d.with === aId && d.reason === "expired"), 2000);
  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("dm_closed"));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2).map(describe), [
    `dm_declined:${idOf(asked)}:expired`,
    `dm_closed:${idOf(asker)}:expired`,
  ]);
});

Deno.test("a dead peer dropped after IDLE_TIMEOUT_S goes away, not gone, and can resume", async () => {
  await using server = await startTestServer({ idleTimeoutS: 1, resumeTtlMs: 10_000 });
  await using b = await open(server);
  const raw = await RawSocket.connect(server.port);
  let id: string;
  let token: string;
  try {
    const welcome = await raw.readJson();
    id = welcome.data!.sessionId as string;
    token = welcome.data!.resumeToken as string;
    await b.next(presence(id, "join", "lobby"));
    // The raw client now reads nothing and answers no ping.
    await b.next(presence(id, "away", "lobby"), 8000);
  } finally {
    raw.drop();
  }
  assert.equal(b.frames.filter(presence(id, "leave")).length, 0);
  assert.equal(ok(await b.request("num_clients")).count, 1);
  ok(await b.request("chat", { room: "lobby", text: "while dead" }));
  await using back = await resume(server, token);
  assert.equal(welcomeOf(back).resumed, true);
  assert.equal(welcomeOf(back).sessionId, id);
  await back.next(isEvent("chat", (d) => d.text === "while dead"));
});

Deno.test("heartbeats missed while away are not replayed: the missed chat comes first after welcome", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000, heartbeatMs: 40 });
  await using a = await open(server);
  await using b = await open(server);
  const aId = idOf(a);
  await closeWith4000(a);
  await b.next(presence(aId, "away", "lobby"));
  ok(await b.request("chat", { room: "lobby", text: "missed" }));
  // Several beats go by while a is away.
  await b.event("heartbeat");
  await b.event("heartbeat");
  await b.event("heartbeat");
  await using a2 = await resume(server, tokenOf(a));
  await a2.next(isEvent("chat", (d) => d.text === "missed"));
  const events = eventsAfterWelcome(a2);
  assert.equal(describe(events[0]), "chat:lobby:missed", "the replay comes first");
  assert.ok(
    events.filter((f) => f.type === "heartbeat").length <= 1,
    `heartbeats replayed: ${JSON.stringify(events.map((f) => f.type))}`,
  );
});

Deno.test("a request repeated while away is replayed once; consent from both while away replays dm_accepted, then the dm", async () => {
  await using server = await startTestServer({ resumeTtlMs: 10_000 });
  await using a = await open(server);
  await using asker = await open(server);
  await using mutual = await open(server);
  const aId = idOf(a);
  ok(await a.request("dm_request", { to: idOf(mutual) }));
  await mutual.next(isEvent("dm_request"));
  await closeWith4000(a);
  await mutual.next(presence(aId, "away", "lobby"));

  assert.equal(ok(await asker.request("dm_request", { to: aId })).status, "pending");
  assert.equal(ok(await asker.request("dm_request", { to: aId })).status, "pending");
  assert.equal(ok(await mutual.request("dm_request", { to: aId })).status, "accepted");
  ok(await mutual.request("dm", { to: aId, text: "we both asked" }));

  await using a2 = await resume(server, tokenOf(a));
  assert.equal(welcomeOf(a2).resumed, true);
  await a2.next(isEvent("dm", (d) => d.text === "we both asked"));
  await barrier(a2);
  assert.deepEqual(eventsAfterWelcome(a2).map(describe), [
    `dm_request:${idOf(asker)}`,
    `dm_accepted:${idOf(mutual)}`,
    "dm:we both asked",
  ]);
  ok(await a2.request("dm", { to: idOf(mutual), text: "indeed" }));
  await mutual.next(isEvent("dm", (d) => d.text === "indeed"));
});
