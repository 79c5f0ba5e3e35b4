/**
 * Unit tests of session resume with no sockets: links record frames and closes, and time moves
 * only when the test advances it.
 */

import assert from "node:assert/strict";
import { type Events, type EventType, type ReplyData, type RequestType } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { Hub, HubError, type Link } from "./hub.ts";
import { ManualTimers } from "./timers.ts";

interface Frame {
  type: string;
  data: Record<string, unknown>;
}

/** One connection: what it received and how it was closed. */
class Conn implements Link {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  send = (frame: string) => void this.frames.push(JSON.parse(frame));
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  /** Events of one type received so far, removed from the record. */
  take<E extends EventType>(type: E): Events[E][] {
    const picked = this.frames.filter((f) => f.type === type);
    for (const f of picked) this.frames.splice(this.frames.indexOf(f), 1);
    return picked.map((f) => f.data as unknown as Events[E]);
  }
  get welcome(): Events["welcome"] {
    const welcome = this.frames.find((f) => f.type === "welcome");
    assert.ok(welcome, "a welcome");
    return welcome.data as unknown as Events["welcome"];
  }
}

function setup(options: { resumeTtlMs?: number; resumeBuffer?: number } = {}) {
  const timers = new ManualTimers(1_000_000);
  const hub = new Hub({
    heartbeatMs: 1000,
    dmRequestTtlMs: 60_000,
    timers,
    resumeTtlMs: 120_000,
    ...options,
  });
  const open = (token?: string) => {
    const conn = new Conn();
    const session = hub.connect(conn, token);
    // One node: no session is ever claimed from elsewhere, so the answer is at once.
    assert.ok(!(session instanceof Promise));
    return { conn, id: session.id };
  };
  const call = async <T extends RequestType>(
    id: string,
    type: T,
    data: Record<string, unknown> = {},
  ): Promise<ReplyData<T>> =>
    await hub.handle(id, { type, id: 1, data } as ValidRequest) as ReplyData<T>;
  /** Two sessions in a conversation. */
  const pair = async () => {
    const a = open(), b = open();
    await call(a.id, "dm_request", { to: b.id });
    await call(b.id, "dm_accept", { from: a.id });
    return { a, b };
  };
  return { hub, timers, open, call, pair };
}

Deno.test("resume after a drop keeps id, name, time, rooms and conversations; peers see away and back, never leave", async () => {
  const { hub, open, call, pair } = setup();
  const { a, b } = await pair();
  await call(a.id, "set_name", { name: "Ada" });
  await call(a.id, "join", { room: "r" });
  await call(b.id, "join", { room: "r" });
  const first = a.conn.welcome;
  assert.equal(first.resumed, false);
  assert.equal(first.resumeTtlMs, 120_000);
  assert.match(first.resumeToken, /^[A-Za-z0-9._-]{1,256}$/);
  assert.equal(hub.count, 2);
  b.conn.frames.length = 0;

  hub.detach(a.id, a.conn, false);
  assert.equal(hub.count, 1, "an away session is not counted");
  assert.deepEqual(
    b.conn.take("presence").map((p) => [p.room, p.action]).sort(),
    [["lobby", "away"], ["r", "away"]],
  );
  assert.deepEqual(b.conn.take("dm_away"), [{ with: a.id }]);

  const again = open(first.resumeToken);
  assert.equal(again.id, a.id);
  const welcome = again.conn.welcome;
  assert.equal(welcome.resumed, true);
  assert.equal(welcome.name, "Ada");
  assert.equal(welcome.connectedAt, first.connectedAt);
  assert.notEqual(welcome.resumeToken, first.resumeToken, "every welcome has a new token");
  assert.equal(hub.count, 2);
  assert.deepEqual(
    b.conn.take("presence").map((p) => [p.room, p.action]).sort(),
    [["lobby", "back"], ["r", "back"]],
  );
  assert.deepEqual(b.conn.take("dm_back"), [{ with: a.id }]);
  // Still in its rooms and its conversation.
  assert.equal((await call(b.id, "dm", { to: a.id, text: "hi" })).msgId.length, 26);
  assert.deepEqual(again.conn.take("dm").map((d) => d.text), ["hi"]);
  await call(b.id, "chat", { room: "r", text: "still here?" });
  assert.deepEqual(again.conn.take("chat").map((c) => c.text), ["still here?"]);
});

Deno.test("events missed while away come right after the resumed welcome, in order, once; presence and heartbeat are not replayed", async () => {
  const { hub, open, call, pair } = setup();
  const { a, b } = await pair();
  const c = open();
  await call(a.id, "join", { room: "r" });
  await call(b.id, "join", { room: "r" });
  hub.detach(a.id, a.conn, false);

  await call(b.id, "chat", { room: "r", text: "one" });
  await call(b.id, "dm", { to: a.id, text: "two" });
  await call(c.id, "dm_request", { to: a.id });
  await call(b.id, "set_name", { name: "Bea" }); // renamed: not replayed
  await call(b.id, "chat", { room: "r", text: "three" });
  await call(b.id, "dm_close", { with: a.id });
  hub.heartbeat();
  const d = open(); // presence join in the lobby: not replayed
  await call(d.id, "chat", { room: "lobby", text: "four" });

  const again = open(a.conn.welcome.resumeToken);
  const types = again.conn.frames.map((f) => f.type);
  assert.deepEqual(types, ["welcome", "chat", "dm", "dm_request", "chat", "dm_closed", "chat"]);
  const texts = again.conn.frames.filter((f) => f.type === "chat" || f.type === "dm")
    .map((f) => f.data.text);
  assert.deepEqual(texts, ["one", "two", "three", "four"]);
  assert.deepEqual(again.conn.take("dm_closed"), [{ with: b.id, reason: "closed" }]);
  // Answering the request that came while away works like any other.
  assert.deepEqual(await call(a.id, "dm_accept", { from: c.id }), {
    with: c.id,
    name: c.conn.welcome.name,
  });
});

Deno.test("a resume after the window, with a used, superseded or forged token gives a new session; peers see the first one leave", async () => {
  const { hub, timers, open, call, pair } = setup({ resumeTtlMs: 5000 });
  const { a, b } = await pair();
  const token = a.conn.welcome.resumeToken;

  // Forged: no session is touched.
  const forged = open("x".repeat(32));
  assert.equal(forged.conn.welcome.resumed, false);
  assert.notEqual(forged.id, a.id);
  assert.equal(a.conn.closed, undefined);

  hub.detach(a.id, a.conn, false);
  const resumed = open(token);
  assert.equal(resumed.id, a.id);
  // Used once already.
  const reused = open(token);
  assert.equal(reused.conn.welcome.resumed, false);
  assert.notEqual(reused.id, a.id);
  assert.equal(resumed.conn.closed, undefined, "a used token affects no session");

  // Past the window.
  b.conn.frames.length = 0;
  hub.detach(a.id, resumed.conn, false);
  timers.advance(4999);
  assert.deepEqual(b.conn.take("dm_closed"), []);
  timers.advance(1);
  assert.deepEqual(b.conn.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  assert.ok(b.conn.take("presence").some((p) => p.sessionId === a.id && p.action === "leave"));
  const late = open(resumed.conn.welcome.resumeToken);
  assert.equal(late.conn.welcome.resumed, false);
  await assert.rejects(
    async () => await call(b.id, "dm_request", { to: a.id }),
    (err: unknown) => err instanceof HubError && err.code === "not_found",
  );
});

Deno.test("an overflowing replay buffer ends the session: peers see it leave, the resume is refused", async () => {
  const { hub, open, call, pair } = setup({ resumeBuffer: 3 });
  const { a, b } = await pair();
  hub.detach(a.id, a.conn, false);
  for (let i = 0; i < 3; i++) await call(b.id, "dm", { to: a.id, text: `m${i}` });
  assert.deepEqual(b.conn.take("dm_closed"), [], "three fit");
  await call(b.id, "chat", { room: "lobby", text: "one too many" });
  await Promise.resolve(); // the end is queued behind the fan-out
  assert.deepEqual(b.conn.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  assert.ok(b.conn.take("presence").some((p) => p.sessionId === a.id && p.action === "leave"));
  assert.equal(open(a.conn.welcome.resumeToken).conn.welcome.resumed, false);
});

Deno.test("a clean close ends the session at once", async () => {
  const { hub, open, pair } = setup();
  const { a, b } = await pair();
  hub.detach(a.id, a.conn, true);
  assert.deepEqual(b.conn.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  assert.equal(open(a.conn.welcome.resumeToken).conn.welcome.resumed, false);
  assert.equal(hub.session(a.id), undefined);
});

Deno.test("a resume while the old connection still looks open replaces it with 4009", async () => {
  const { hub, open, call, pair } = setup();
  const { a, b } = await pair();
  const again = open(a.conn.welcome.resumeToken);
  assert.equal(again.id, a.id);
  assert.equal(a.conn.closed?.code, 4009);
  assert.equal(again.conn.welcome.resumed, true);
  assert.deepEqual(b.conn.take("dm_away"), [], "never away");
  // The old connection's end, reported late, does not touch the resumed session.
  hub.detach(a.id, a.conn, true);
  assert.equal(hub.session(a.id)?.link, again.conn);
  await call(b.id, "dm", { to: a.id, text: "to the new one" });
  assert.deepEqual(again.conn.take("dm").map((d) => d.text), ["to the new one"]);
  assert.deepEqual(a.conn.take("dm"), []);
});

Deno.test("RESUME_TTL_MS 0: no token, and a drop ends the session as before", async () => {
  const { hub, pair } = setup({ resumeTtlMs: 0 });
  const { a, b } = await pair();
  assert.equal(a.conn.welcome.resumeToken, "");
  assert.equal(a.conn.welcome.resumeTtlMs, 0);
  hub.detach(a.id, a.conn, false);
  assert.deepEqual(b.conn.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
});

Deno.test("a dm_request to an away session waits for it; dm_away is for peers only", async () => {
  const { hub, open, call } = setup();
  const a = open(), b = open();
  hub.detach(a.id, a.conn, false);
  assert.deepEqual(b.conn.take("dm_away"), [], "no conversation, no dm_away");
  assert.deepEqual(await call(b.id, "dm_request", { to: a.id }), { to: a.id, status: "pending" });
  const again = open(a.conn.welcome.resumeToken);
  assert.deepEqual(again.conn.take("dm_request"), [{
    from: b.id,
    userId: null,
    name: b.conn.welcome.name,
  }]);
});
