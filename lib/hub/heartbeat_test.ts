/**
 * The staggered heartbeat on a hand-driven clock: each session gets exactly one beat per
 * interval, `heartbeatMs` apart, and no tick sends to more than its slice of the sessions.
 */

import assert from "node:assert/strict";
import { BATCH, HeartbeatWheel, MAX_SLOTS, SessionTable, SLOT_MS, slotsFor } from "./heartbeat.ts";
import { Hub } from "./hub.ts";
import type { Session } from "./session.ts";
import { ManualTimers } from "./timers.ts";

/** A bare session whose sends land in `beats` as [session index, serverTime]. */
function fakeSession(index: number, beats: [number, number][]): Session {
  return {
    id: `s${index}`,
    userId: null,
    identity: undefined,
    name: `s${index}`,
    connectedAt: 0,
    send: (frame) => beats.push([index, JSON.parse(frame).data.serverTime]),
    link: undefined,
    held: undefined,
    away: undefined,
    rooms: new Set(),
    peers: new Map(),
    outgoing: new Map(),
    incoming: new Map(),
  };
}

/** A wheel whose every tick is recorded: when it ran and how many sessions it sent to. */
function setup(heartbeatMs: number, slots?: number, batch?: number) {
  const timers = new ManualTimers(0);
  const wheel = new HeartbeatWheel({
    heartbeatMs,
    timers,
    now: () => timers.now(),
    heartbeatSlots: slots,
    heartbeatBatch: batch,
  });
  const beats: [number, number][] = [];
  return { timers, wheel, beats };
}

/** Beats per session index, and the largest number sent at one moment (one tick). */
function tally(beats: [number, number][]) {
  const per = new Map<number, number[]>();
  const atOnce = new Map<number, number>();
  for (const [index, at] of beats) {
    per.set(index, [...per.get(index) ?? [], at]);
    atOnce.set(at, (atOnce.get(at) ?? 0) + 1);
  }
  return { per, largestTick: Math.max(0, ...atOnce.values()) };
}

Deno.test("slots: one per 10 ms of the interval, at least 1, at most MAX_SLOTS", () => {
  assert.equal(slotsFor(1000), 1000 / SLOT_MS);
  assert.equal(slotsFor(60_000), MAX_SLOTS);
  assert.equal(slotsFor(3), 1);
});

Deno.test("every session gets exactly one beat per interval, heartbeatMs apart; no tick sends to more than its batch", () => {
  const { timers, wheel, beats } = setup(1000);
  const sessions = Array.from({ length: 2500 }, (_, i) => fakeSession(i, beats));
  for (const s of sessions) wheel.add(s);
  assert.equal(wheel.slots, 100);
  assert.equal(wheel.largestSlot, 25, "2,500 sessions over 100 slots: 25 each");
  wheel.start();
  timers.advance(5000);
  const { per, largestTick } = tally(beats);
  assert.equal(per.size, 2500, "every session beat");
  for (const [index, times] of per) {
    assert.equal(times.length, 5, `session ${index}: one beat in each of 5 intervals`);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], 1000);
  }
  assert.equal(largestTick, BATCH, "a tick takes 10 slots of 25: the batch of 250");
  // Spread over the interval: 10 ticks a second, 100 ms apart.
  assert.deepEqual(
    [...new Set(beats.map(([, at]) => at % 1000))].sort((a, b) => a - b),
    [10, 110, 210, 310, 410, 510, 610, 710, 810, 910],
  );
  wheel.stop();
  assert.equal(timers.pending, 0);
});

Deno.test("a small wheel beats in one tick per interval; a slot larger than the batch is one tick", () => {
  const few = setup(1000);
  for (let i = 0; i < 3; i++) few.wheel.add(fakeSession(i, few.beats));
  few.wheel.start();
  few.timers.advance(3000);
  assert.equal(new Set(few.beats.map(([, at]) => at)).size, 3, "3 ticks in 3 s");
  assert.equal(few.beats.length, 9);

  const crowded = setup(1000, 2, 10);
  for (let i = 0; i < 50; i++) crowded.wheel.add(fakeSession(i, crowded.beats));
  crowded.wheel.start();
  crowded.timers.advance(1000);
  const { largestTick } = tally(crowded.beats);
  assert.equal(largestTick, 25, "one slot of 25 in one tick, whatever the batch");
  assert.equal(crowded.beats.length, 50);
});

Deno.test("sessions that come and go keep every slot within its share of the most there were", () => {
  // A batch of one: every slot has a tick of its own, at its own time.
  const { timers, wheel, beats } = setup(1000, 10, 1);
  wheel.start();
  const live: Session[] = [];
  let next = 0;
  // Waves of arrivals and departures at uneven times, the departures from every slot alike.
  for (let wave = 0; wave < 20; wave++) {
    for (let i = 0; i < 37; i++) {
      const s = fakeSession(next++, beats);
      live.push(s);
      wheel.add(s);
    }
    for (let i = 0; i < 20; i++) wheel.remove(live.splice((i * 7919) % live.length, 1)[0]);
    timers.advance(173);
    assert.ok(
      wheel.largestSlot <= Math.ceil(next / 10),
      `largest slot ${wheel.largestSlot} with ${wheel.size} sessions`,
    );
  }
  assert.equal(wheel.size, live.length);
  // Sessions that stayed all along the last 3 intervals had exactly 3 beats in them.
  beats.length = 0;
  const stayed = new Set(live.map((s) => Number(s.id.slice(1))));
  timers.advance(3000);
  const { per, largestTick } = tally(beats);
  for (const index of stayed) assert.equal(per.get(index)?.length, 3, `session ${index}`);
  assert.equal(per.size, stayed.size, "no beat for a session that was removed");
  assert.ok(largestTick <= Math.ceil(next / 10));
});

Deno.test("a session ending during its own tick does not stop the others' beats", () => {
  const { timers, wheel, beats } = setup(1000, 1);
  const a = fakeSession(0, beats);
  const b = fakeSession(1, beats);
  const c = fakeSession(2, beats);
  // a's send takes b off the wheel, as an edge dropping a slow consumer ends its session.
  const send = a.send;
  Object.assign(a, { send: (frame: string) => (send(frame), wheel.remove(b)) });
  for (const s of [a, b, c]) wheel.add(s);
  wheel.start();
  timers.advance(1000);
  assert.deepEqual(beats.map(([index]) => index), [0, 2]);
});

Deno.test("a wheel far behind its schedule starts over rather than beating in a burst", () => {
  let skew = 0;
  const timers = new ManualTimers(0);
  const wheel = new HeartbeatWheel({
    heartbeatMs: 100,
    timers: {
      now: () => timers.now() + skew,
      setTimeout: (callback, ms) => timers.setTimeout(callback, ms),
      clearTimeout: (id) => timers.clearTimeout(id),
      setInterval: (callback, ms) => timers.setInterval(callback, ms),
      clearInterval: (id) => timers.clearInterval(id),
    },
    now: () => timers.now(),
    heartbeatSlots: 10,
    heartbeatBatch: 1,
  });
  const beats: [number, number][] = [];
  for (let i = 0; i < 10; i++) wheel.add(fakeSession(i, beats));
  wheel.start();
  timers.advance(100);
  assert.equal(beats.length, 10);
  // The clock jumps an hour ahead between two ticks: the next ticks keep their 10 ms pace.
  skew = 3_600_000;
  beats.length = 0;
  timers.advance(50);
  assert.ok(beats.length <= 6, `${beats.length} beats in 50 ms after the jump`);
  wheel.stop();
});

Deno.test("the hub's session table keeps the wheel in step: connect, end and close", async () => {
  const timers = new ManualTimers(0);
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, timers, heartbeatSlots: 4 });
  const got = new Map<string, number>();
  const ids = Array.from({ length: 8 }, () => {
    const session = hub.connect((f) => {
      if (f.includes(`"type":"heartbeat"`)) got.set(session.id, (got.get(session.id) ?? 0) + 1);
    });
    return session.id;
  });
  hub.startHeartbeat();
  hub.disconnect(ids[0]);
  timers.advance(1000);
  assert.equal(got.get(ids[0]), undefined, "an ended session gets no beat");
  for (const id of ids.slice(1)) assert.equal(got.get(id), 1, id);
  await hub.close();
  assert.equal(timers.pending, 0, "no timer left armed");
});

Deno.test("SessionTable: replacing a session under the same id swaps it on the wheel", () => {
  const { wheel, beats } = setup(1000, 1);
  const table = new SessionTable(wheel);
  const first = fakeSession(0, beats);
  const second = fakeSession(1, beats);
  table.set("x", first);
  table.set("x", second);
  assert.equal(wheel.size, 1);
  wheel.tick();
  assert.deepEqual(beats.map(([i]) => i), [1]);
  assert.equal(table.delete("x"), true);
  assert.equal(table.delete("x"), false);
  assert.equal(wheel.size, 0);
  table.set("y", first);
  table.clear();
  assert.equal(wheel.size, 0);
});
