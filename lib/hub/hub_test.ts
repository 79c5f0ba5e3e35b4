/**
 * Unit tests of the hub with no sockets: each session's `send` pushes decoded frames to an array.
 */

import assert from "node:assert/strict";
import { Hub, HubError, MAX_ROOMS_LISTED } from "./hub.ts";
import { defaultName } from "../protocol/mod.ts";
import { ManualTimers } from "./timers.ts";
import { LocalCluster } from "../cluster/local.ts";
import {
  type Events,
  type EventType,
  LIMITS,
  type ReplyData,
  type RequestType,
} from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";

interface Frame {
  type: string;
  data: Record<string, unknown>;
}

interface Probe {
  id: string;
  frames: Frame[];
  /** Events of one type received so far, removed from the probe. */
  take<E extends EventType>(type: E): Events[E][];
}

function setup(
  options: { dmRequestTtlMs?: number; presenceLimit?: number; now?: () => number } = {},
) {
  const timers = new ManualTimers(1_000_000);
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 60_000, timers, ...options });
  const connect = (): Probe => {
    const frames: Frame[] = [];
    const session = hub.connect((text) => frames.push(JSON.parse(text)));
    return {
      id: session.id,
      frames,
      take<E extends EventType>(type: E) {
        const picked = frames.filter((f) => f.type === type);
        for (const f of picked) frames.splice(frames.indexOf(f), 1);
        return picked.map((f) => f.data as unknown as Events[E]);
      },
    };
  };
  const call = async <T extends RequestType>(
    probe: Probe,
    type: T,
    data: Record<string, unknown> = {},
  ): Promise<ReplyData<T>> =>
    await hub.handle(probe.id, { type, id: 1, data } as ValidRequest) as ReplyData<T>;
  const refused = async (
    probe: Probe,
    type: RequestType,
    data: Record<string, unknown>,
  ): Promise<string> => {
    try {
      await call(probe, type, data);
    } catch (err) {
      assert.ok(err instanceof HubError, `expected a HubError, got ${err}`);
      return err.code;
    }
    assert.fail(`${type} should have been refused`);
  };
  return { hub, timers, connect, call, refused };
}

Deno.test("connect sends welcome with a ULID, default name and times; lobby membership", () => {
  let clock = 1_000_000;
  const { hub, connect } = setup({ now: () => clock });
  const a = connect();
  const [welcome] = a.take("welcome");
  assert.match(welcome.sessionId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(welcome.sessionId, a.id);
  assert.equal(welcome.name, defaultName(a.id));
  assert.equal(welcome.connectedAt, 1_000_000);
  assert.equal(welcome.serverTime, 1_000_000);
  assert.equal(welcome.heartbeatMs, 1000);
  assert.deepEqual([...hub.session(a.id)!.rooms], ["lobby"]);
  clock += 5;
  const b = connect();
  assert.notEqual(a.id, b.id);
  assert.deepEqual(a.take("presence"), [{
    room: "lobby",
    sessionId: b.id,
    userId: null,
    name: defaultName(b.id),
    action: "join",
  }]);
  assert.equal(hub.count, 2);
});

Deno.test("time, count, ping and random requests", async () => {
  let clock = 5000;
  const { connect, call, hub } = setup({ now: () => clock });
  const a = connect();
  clock = 7500;
  assert.deepEqual(await call(a, "server_time"), { serverTime: 7500 });
  assert.deepEqual(await call(a, "ping"), { serverTime: 7500 });
  assert.deepEqual(await call(a, "client_time"), { connectedAt: 5000, elapsedMs: 2500 });
  connect();
  assert.deepEqual(await call(a, "num_clients"), { count: 2 });
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const { text, n } = await call(a, "random", { text: "hello" });
    assert.ok(Number.isInteger(n) && n >= 1 && n <= 100, `n out of range: ${n}`);
    assert.equal(text, `hello ${n}`);
    seen.add(n);
  }
  // 2000 uniform draws from 100 values leave none out with overwhelming probability.
  assert.equal(seen.size, 100);
  assert.equal((await hub.stats()).count, 2);
});

Deno.test("random maps the edges of [0, 1) to 1 and 100", () => {
  for (const [r, n] of [[0, 1], [0.999999, 100], [0.5, 51]]) {
    const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, random: () => r });
    const s = hub.connect(() => {});
    assert.deepEqual(hub.handle(s.id, { type: "random", id: 1, data: { text: "" } }), {
      text: ` ${n}`,
      n,
    });
  }
});

Deno.test("set_name renames and tells roommates once, not the renamer", async () => {
  const { connect, call } = setup();
  const a = connect(), b = connect(), c = connect();
  await call(a, "join", { room: "x" });
  await call(b, "join", { room: "x" });
  for (const p of [a, b, c]) p.frames.length = 0;
  assert.deepEqual(await call(a, "set_name", { name: "Ada" }), { name: "Ada" });
  assert.deepEqual(b.take("renamed"), [{ sessionId: a.id, name: "Ada" }]);
  assert.deepEqual(c.take("renamed"), [{ sessionId: a.id, name: "Ada" }]);
  assert.deepEqual(a.take("renamed"), []);
  // Renaming to the same name tells nobody.
  await call(a, "set_name", { name: "Ada" });
  assert.deepEqual(b.take("renamed"), []);
});

Deno.test("join, leave and rooms: replies, presence and cleanup of empty rooms", async () => {
  const { hub, connect, call, refused } = setup();
  const a = connect(), b = connect();
  a.frames.length = 0;
  b.frames.length = 0;
  const first = await call(a, "join", { room: "dev" });
  assert.deepEqual(first, {
    room: "dev",
    members: [{ sessionId: a.id, userId: null, name: defaultName(a.id) }],
    epoch: first.epoch,
    offset: 0,
  });
  const joined = await call(b, "join", { room: "dev" });
  assert.equal(joined.epoch, first.epoch, "one room, one epoch");
  assert.deepEqual(joined.members.map((m) => m.sessionId).sort(), [a.id, b.id].sort());
  assert.deepEqual(a.take("presence"), [{
    room: "dev",
    sessionId: b.id,
    userId: null,
    name: defaultName(b.id),
    action: "join",
  }]);
  assert.deepEqual(b.take("presence"), [], "the joiner gets no presence about itself");
  // Joining twice changes nothing and tells nobody.
  await call(b, "join", { room: "dev" });
  assert.deepEqual(a.take("presence"), []);

  assert.deepEqual(await call(a, "rooms"), {
    rooms: [{ room: "dev", size: 2 }, { room: "lobby", size: 2 }],
  });
  assert.deepEqual(await call(b, "leave", { room: "dev" }), {
    room: "dev",
    members: [{ sessionId: a.id, userId: null, name: defaultName(a.id) }],
  });
  assert.deepEqual(a.take("presence").map((p) => p.action), ["leave"]);
  assert.equal(await refused(b, "leave", { room: "dev" }), "not_member");
  await call(a, "leave", { room: "dev" });
  assert.deepEqual(hub.roomNames(), ["lobby"], "an empty room is forgotten");
});

Deno.test("a session can be in at most maxRoomsPerSession rooms", async () => {
  const { connect, call, refused } = setup();
  const a = connect();
  for (let i = 1; i < LIMITS.maxRoomsPerSession; i++) await call(a, "join", { room: `r${i}` });
  assert.equal(await refused(a, "join", { room: "one-too-many" }), "too_many");
  await call(a, "leave", { room: "r1" });
  await call(a, "join", { room: "one-too-many" });
});

Deno.test("rooms lists the largest rooms first, capped", async () => {
  const { connect, call } = setup();
  const sessions = Array.from({ length: 11 }, () => connect());
  for (let i = 0; i < MAX_ROOMS_LISTED + 10; i++) {
    await call(sessions[i % 11], "join", { room: `room-${i}` });
  }
  await call(sessions[1], "join", { room: "room-0" });
  const { rooms } = await call(sessions[0], "rooms");
  assert.equal(rooms.length, MAX_ROOMS_LISTED);
  assert.deepEqual(rooms.slice(0, 2), [{ room: "lobby", size: 11 }, { room: "room-0", size: 2 }]);
});

Deno.test("presence is not sent in rooms over the presence limit", async () => {
  const { connect, call } = setup({ presenceLimit: 2 });
  const a = connect(), b = connect();
  assert.equal(a.take("presence").length, 1, "lobby of 2 is within the limit");
  const c = connect();
  assert.equal(a.take("presence").length, 0, "lobby of 3 is over the limit");
  assert.equal(b.take("presence").length, 0);
  await call(c, "set_name", { name: "Quiet" });
  assert.equal(a.take("renamed").length, 0);
});

Deno.test("chat reaches every member including the sender; non-members refused", async () => {
  let clock = 42;
  const { connect, call, refused } = setup({ now: () => clock });
  const a = connect(), b = connect(), c = connect();
  await call(a, "join", { room: "r" });
  await call(b, "join", { room: "r" });
  clock = 99;
  const { msgId, ts } = await call(a, "chat", { room: "r", text: "hi <b>" });
  assert.match(msgId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(ts, 99);
  const { epoch } = await call(a, "join", { room: "r" });
  const expected = {
    room: "r",
    msgId,
    from: a.id,
    userId: null,
    name: defaultName(a.id),
    text: "hi <b>",
    ts,
    offset: 1,
    epoch,
  };
  assert.deepEqual(a.take("chat"), [expected]);
  assert.deepEqual(b.take("chat"), [expected]);
  assert.deepEqual(c.take("chat"), []);
  assert.equal(await refused(c, "chat", { room: "r", text: "x" }), "not_member");
  assert.equal(await refused(c, "chat", { room: "nowhere", text: "x" }), "not_member");
  // Lobby chat reaches everyone.
  await call(c, "chat", { room: "lobby", text: "all" });
  for (const p of [a, b, c]) assert.equal(p.take("chat").length, 1);
});

Deno.test("history: offsets are contiguous, pages are exact, members only", async () => {
  const { connect, call, refused } = setup();
  const a = connect(), b = connect();
  await call(a, "join", { room: "h" });
  const empty = await call(a, "history", { room: "h" });
  assert.deepEqual(empty, { room: "h", epoch: empty.epoch, offset: 0, messages: [] });
  for (let i = 1; i <= 120; i++) await call(a, "chat", { room: "h", text: `m${i}` });
  const chats = a.take("chat");
  assert.deepEqual(chats.map((c) => c.offset), Array.from({ length: 120 }, (_, i) => i + 1));

  const latest = await call(a, "history", { room: "h" });
  assert.equal(latest.offset, 120);
  assert.equal(latest.epoch, empty.epoch);
  assert.deepEqual(latest.messages.map((m) => m.offset), range(71, 120), "50 by default");
  assert.deepEqual(latest.messages.at(-1), chats.at(-1), "the same data as the chat event");

  const older = await call(a, "history", { room: "h", limit: 30, before: 71 });
  assert.deepEqual(older.messages.map((m) => m.text), range(41, 70).map((i) => `m${i}`));
  const oldest = await call(a, "history", { room: "h", limit: 100, before: 5 });
  assert.deepEqual(oldest.messages.map((m) => m.offset), [1, 2, 3, 4]);
  assert.deepEqual((await call(a, "history", { room: "h", before: 1 })).messages, []);
  const one = await call(a, "history", { room: "h", limit: 1, before: 1000 });
  assert.deepEqual(one.messages.map((m) => m.offset), [120]);

  assert.equal(await refused(b, "history", { room: "h" }), "not_member");
});

Deno.test("history keeps the last HISTORY_SIZE messages; a restart or an idle TTL starts a new epoch", async () => {
  let clock = 0;
  const cluster = () => new LocalCluster({ historySize: 3, historyTtlMs: 1000, now: () => clock });
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, cluster: cluster() });
  await hub.start();
  const a = hub.connect(() => {});
  const ask = async (data: Record<string, unknown>) =>
    await hub.handle(a.id, { type: "history", id: 1, data } as ValidRequest) as ReplyData<
      "history"
    >;
  for (let i = 1; i <= 5; i++) {
    await hub.handle(a.id, { type: "chat", id: 1, data: { room: "lobby", text: `m${i}` } });
  }
  const kept = await ask({ room: "lobby" });
  assert.deepEqual(kept.messages.map((m) => m.text), ["m3", "m4", "m5"]);
  assert.equal(kept.offset, 5);

  clock = 1000;
  assert.equal((await ask({ room: "lobby" })).epoch, kept.epoch, "within the TTL");
  clock = 1001;
  const idle = await ask({ room: "lobby" });
  assert.notEqual(idle.epoch, kept.epoch, "history lost: a new epoch");
  assert.deepEqual([idle.offset, idle.messages], [0, []]);

  const restarted = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, cluster: cluster() });
  await restarted.start();
  const b = restarted.connect(() => {});
  const fresh = await restarted.handle(b.id, {
    type: "history",
    id: 1,
    data: { room: "lobby" },
  }) as ReplyData<"history">;
  assert.notEqual(fresh.epoch, kept.epoch);
  assert.notEqual(fresh.epoch, idle.epoch);
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("dm: request, accept, messages both ways, close", async () => {
  const { connect, call, refused } = setup();
  const a = connect(), b = connect();
  assert.equal(await refused(a, "dm", { to: b.id, text: "too early" }), "not_connected");
  assert.deepEqual(await call(a, "dm_request", { to: b.id }), { to: b.id, status: "pending" });
  assert.deepEqual(b.take("dm_request"), [{ from: a.id, userId: null, name: defaultName(a.id) }]);
  // Asking again while pending does not notify twice.
  assert.deepEqual(await call(a, "dm_request", { to: b.id }), { to: b.id, status: "pending" });
  assert.deepEqual(b.take("dm_request"), []);
  assert.equal(await refused(a, "dm", { to: b.id, text: "still early" }), "not_connected");

  assert.deepEqual(await call(b, "dm_accept", { from: a.id }), {
    with: a.id,
    name: defaultName(a.id),
  });
  assert.deepEqual(a.take("dm_accepted"), [{ with: b.id, name: defaultName(b.id) }]);

  const sent = await call(a, "dm", { to: b.id, text: "hello b" });
  assert.deepEqual(b.take("dm"), [{
    from: a.id,
    userId: null,
    name: defaultName(a.id),
    text: "hello b",
    ...sent,
  }]);
  assert.deepEqual(a.take("dm"), [], "the sender gets a reply, not an event");
  const back = await call(b, "dm", { to: a.id, text: "hello a" });
  assert.deepEqual(a.take("dm"), [{
    from: b.id,
    userId: null,
    name: defaultName(b.id),
    text: "hello a",
    ...back,
  }]);

  assert.deepEqual(await call(b, "dm_close", { with: a.id }), { with: a.id });
  assert.deepEqual(a.take("dm_closed"), [{ with: b.id, reason: "closed" }]);
  assert.deepEqual(b.take("dm_closed"), [{ with: a.id, reason: "closed" }]);
  assert.equal(await refused(a, "dm", { to: b.id, text: "after close" }), "not_connected");
  assert.equal(await refused(a, "dm_close", { with: b.id }), "not_connected");
});

Deno.test("dm: decline, self, unknown, no request, and mutual requests", async () => {
  const { connect, call, refused } = setup();
  const a = connect(), b = connect();
  assert.equal(await refused(a, "dm_request", { to: a.id }), "bad_request");
  assert.equal(await refused(a, "dm_request", { to: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }), "not_found");
  assert.equal(
    await refused(a, "dm", { to: "01ARZ3NDEKTSV4RRFFQ69G5FAV", text: "x" }),
    "not_found",
  );
  assert.equal(await refused(b, "dm_accept", { from: a.id }), "no_request");
  assert.equal(await refused(b, "dm_decline", { from: a.id }), "no_request");

  await call(a, "dm_request", { to: b.id });
  assert.deepEqual(await call(b, "dm_decline", { from: a.id }), { with: a.id });
  assert.deepEqual(a.take("dm_declined"), [{ with: b.id, reason: "declined" }]);
  assert.equal(await refused(b, "dm_accept", { from: a.id }), "no_request");

  // b asks a while a's request to b is pending: both have consented.
  await call(a, "dm_request", { to: b.id });
  assert.deepEqual(await call(b, "dm_request", { to: a.id }), { to: a.id, status: "accepted" });
  assert.deepEqual(a.take("dm_accepted"), [{ with: b.id, name: defaultName(b.id) }]);
  await call(a, "dm", { to: b.id, text: "works" });
  assert.equal(b.take("dm").length, 1);
});

Deno.test("dm: a pending request can be cancelled by either side with dm_close", async () => {
  const { connect, call } = setup();
  const a = connect(), b = connect();
  await call(a, "dm_request", { to: b.id });
  await call(a, "dm_close", { with: b.id });
  assert.deepEqual(b.take("dm_closed"), [{ with: a.id, reason: "closed" }]);
  assert.deepEqual(a.take("dm_closed"), [{ with: b.id, reason: "closed" }]);
  await call(a, "dm_request", { to: b.id });
  await call(b, "dm_close", { with: a.id });
  assert.deepEqual(a.take("dm_closed"), [{ with: b.id, reason: "closed" }]);
});

Deno.test("dm: at most maxPendingDmRequests requests wait at once", async () => {
  const { connect, call, refused } = setup();
  const a = connect();
  const targets = Array.from({ length: LIMITS.maxPendingDmRequests + 1 }, () => connect());
  for (const t of targets.slice(0, -1)) await call(a, "dm_request", { to: t.id });
  assert.equal(await refused(a, "dm_request", { to: targets.at(-1)!.id }), "too_many");
});

Deno.test("dm: an unanswered request expires for both sides", async () => {
  const { hub, timers, connect, call, refused } = setup({ dmRequestTtlMs: 30 });
  const a = connect(), b = connect();
  await call(a, "dm_request", { to: b.id });
  timers.advance(29);
  assert.deepEqual(a.take("dm_declined"), [], "not before the TTL");
  timers.advance(1);
  assert.deepEqual(a.take("dm_declined"), [{ with: b.id, reason: "expired" }]);
  assert.deepEqual(b.take("dm_closed"), [{ with: a.id, reason: "expired" }]);
  assert.equal(await refused(b, "dm_accept", { from: a.id }), "no_request");
  assert.equal(hub.session(a.id)!.outgoing.size, 0);
  assert.equal(hub.session(b.id)!.incoming.size, 0);
});

Deno.test("disconnect leaves no session, member or conversation behind", async () => {
  const { hub, connect, call, refused } = setup();
  const a = connect(), b = connect(), c = connect(), d = connect();
  await call(a, "join", { room: "r" });
  await call(b, "join", { room: "r" });
  await call(a, "dm_request", { to: b.id });
  await call(b, "dm_accept", { from: a.id });
  await call(a, "dm_request", { to: c.id }); // pending, a is the requester
  await call(d, "dm_request", { to: a.id }); // pending, a is the target
  for (const p of [a, b, c, d]) p.frames.length = 0;

  hub.disconnect(a.id);
  hub.disconnect(a.id); // twice is harmless

  assert.equal(hub.session(a.id), undefined);
  assert.equal(hub.count, 3);
  assert.deepEqual(
    b.take("presence").map((p) => [p.room, p.sessionId, p.action]).sort(),
    [["lobby", a.id, "leave"], ["r", a.id, "leave"]],
  );
  assert.deepEqual(b.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  assert.deepEqual(c.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  assert.deepEqual(d.take("dm_closed"), [{ with: a.id, reason: "disconnected" }]);
  for (const id of [b.id, c.id, d.id]) {
    const s = hub.session(id)!;
    assert.ok(!s.peers.has(a.id) && !s.incoming.has(a.id) && !s.outgoing.has(a.id));
  }
  assert.equal(await refused(b, "dm", { to: a.id, text: "gone?" }), "not_found");
  const { members } = await call(b, "join", { room: "r" });
  assert.deepEqual(members.map((m) => m.sessionId), [b.id]);
});

Deno.test("heartbeat reaches every session, serialized once", () => {
  let clock = 10;
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, now: () => clock });
  const received: string[] = [];
  for (let i = 0; i < 3; i++) hub.connect((f) => received.push(f));
  received.length = 0;
  clock = 20;
  hub.heartbeat();
  assert.equal(received.length, 3);
  assert.ok(received.every((f) => f === received[0]), "one string for every recipient");
  assert.deepEqual(JSON.parse(received[0]), {
    type: "heartbeat",
    data: { text: "Connected", serverTime: 20 },
  });
});

Deno.test("startHeartbeat beats every heartbeatMs, at the session's own phase, until close", async () => {
  const timers = new ManualTimers(0);
  const hub = new Hub({ heartbeatMs: 20, dmRequestTtlMs: 1000, timers });
  const beats: number[] = [];
  hub.connect((f) => f.includes(`"type":"heartbeat"`) && beats.push(JSON.parse(f).data.serverTime));
  hub.startHeartbeat();
  hub.startHeartbeat(); // a second start is harmless
  timers.advance(60);
  assert.equal(beats.length, 3);
  assert.ok(beats[0] > 0 && beats[0] <= 20, `first beat within the first interval: ${beats[0]}`);
  assert.deepEqual(beats, [beats[0], beats[0] + 20, beats[0] + 40]);
  await hub.close();
  assert.equal(timers.pending, 0, "no timer left armed");
  timers.advance(100);
  assert.equal(beats.length, 3, "no beats after close");
});

Deno.test("close disarms pending DM request timers", async () => {
  const { hub, timers, connect, call } = setup();
  const a = connect(), b = connect();
  await call(a, "dm_request", { to: b.id });
  assert.equal(timers.pending, 1);
  await hub.close();
  assert.equal(timers.pending, 0);
});

Deno.test("requests for a session that is gone are refused", () => {
  const { hub } = setup();
  assert.throws(
    () => hub.handle("01ARZ3NDEKTSV4RRFFQ69G5FAV", { type: "ping", id: 1, data: {} }),
    (err: unknown) => err instanceof HubError && err.code === "not_found",
  );
});
