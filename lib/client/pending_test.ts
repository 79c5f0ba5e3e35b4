/**
 * Request correlation and timeouts, driven by a fake clock: no sockets, no sleeps.
 *
 * @module
 */

import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { RequestError } from "./errors.ts";
import { PendingRequests, Waiters } from "./pending.ts";
import { FakeTimers } from "./testing/fake_timers.ts";

function isRequestError(code: string, text = ""): (err: unknown) => boolean {
  return (err) => {
    ok(err instanceof RequestError, `expected a RequestError, got ${err}`);
    equal(err.code, code);
    ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    return true;
  };
}

Deno.test("requests get increasing ids and queue their frames until taken, in order", () => {
  const pending = new PendingRequests(new FakeTimers());
  pending.add({ type: "random", data: { text: "a" }, timeoutMs: 100 });
  pending.add({ type: "server_time", timeoutMs: 100 });
  equal(pending.size, 2);
  deepEqual(pending.takeQueued().map((t) => JSON.parse(t)), [
    { type: "random", id: 1, data: { text: "a" } },
    { type: "server_time", id: 2 },
  ]);
  deepEqual(pending.takeQueued(), [], "taken frames are not handed out twice");
  equal(pending.size, 2, "taken requests are still waiting for their replies");
});

Deno.test("settle resolves with data, rejects with the server's code, or with internal", async () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  const good = pending.add({ type: "server_time", timeoutMs: 100 });
  const bad = pending.add({ type: "leave", data: { room: "x" }, timeoutMs: 100 });
  const odd = pending.add({ type: "rooms", timeoutMs: 100 });
  pending.takeQueued();
  equal(pending.settle(1, { ok: true, data: { serverTime: 5 } }), true);
  const error = { code: "not_member", message: "Not a member of that room" } as const;
  equal(pending.settle(2, { ok: false, error }), true);
  equal(pending.settle(3, undefined), true);
  deepEqual(await good, { serverTime: 5 });
  await rejects(bad, isRequestError("not_member", "Not a member"));
  await rejects(odd, isRequestError("internal", '"rooms" got a malformed reply'));
  equal(pending.size, 0);
  equal(timers.scheduled, 0, "settling stops the timeouts");
  equal(pending.settle(99, { ok: true, data: {} }), false, "an id that is not ours");
});

Deno.test("a request times out exactly at its timeout; the late reply is ignored", async () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  const reply = pending.add({ type: "ping", timeoutMs: 500 });
  pending.takeQueued();
  timers.advance(499);
  equal(pending.size, 1, "still waiting 1 ms before its timeout");
  timers.advance(1);
  equal(pending.size, 0);
  await rejects(reply, isRequestError("timeout", '"ping" got no reply within 500 ms'));
  equal(pending.settle(1, { ok: true, data: {} }), false);
});

Deno.test("a queued request times out too, and its frame is never handed out", async () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  const reply = pending.add({ type: "rooms", timeoutMs: 50 });
  timers.advance(50);
  await rejects(reply, isRequestError("timeout"));
  deepEqual(pending.takeQueued(), []);
});

Deno.test("timeouts past the timer range (Infinity) never fire and set no timer", () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  pending.add({ type: "ping", timeoutMs: Infinity });
  pending.add({ type: "ping", timeoutMs: 0x7fffffff + 1 });
  equal(timers.scheduled, 0);
  timers.advance(0x7fffffff * 2);
  equal(pending.size, 2);
});

Deno.test("rejectInFlight rejects sent requests only; queued ones wait for the next socket", async () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  const sent = pending.add({ type: "ping", timeoutMs: 100 });
  pending.takeQueued();
  const queued = pending.add({ type: "server_time", timeoutMs: 100 });
  pending.rejectInFlight(1006);
  await rejects(
    sent,
    isRequestError("disconnected", "in flight when the connection dropped (1006)"),
  );
  equal(pending.size, 1);
  equal(timers.scheduled, 1, "only the queued request's timer is left");
  deepEqual(JSON.parse(pending.takeQueued()[0]), { type: "server_time", id: 2 });
  pending.settle(2, { ok: true, data: { serverTime: 1 } });
  deepEqual(await queued, { serverTime: 1 });
});

Deno.test("rejectAll rejects queued and sent requests with one code and stops their timers", async () => {
  const timers = new FakeTimers();
  const pending = new PendingRequests(timers);
  const sent = pending.add({ type: "ping", timeoutMs: 100 });
  pending.takeQueued();
  const queued = pending.add({ type: "rooms", timeoutMs: 100 });
  pending.rejectAll("closed", "client closed");
  await rejects(sent, isRequestError("closed", 'Request "ping": client closed'));
  await rejects(queued, isRequestError("closed", 'Request "rooms": client closed'));
  equal(pending.size, 0);
  equal(timers.scheduled, 0);
  deepEqual(pending.takeQueued(), []);
});

Deno.test("Waiters settle everyone waiting so far, each rejection with its own error", async () => {
  const waiters = new Waiters<string>();
  const a = waiters.wait();
  const b = waiters.wait();
  waiters.resolveAll("first");
  deepEqual(await Promise.all([a, b]), ["first", "first"]);
  const c = waiters.wait();
  const d = waiters.wait();
  waiters.rejectAll(() => new RequestError("disconnected", "Gave up"));
  const [errC, errD] = await Promise.all([c.catch((e) => e), d.catch((e) => e)]);
  ok(errC instanceof RequestError && errD instanceof RequestError);
  ok(errC !== errD, "each caller gets a fresh error");
  const e = waiters.wait();
  waiters.resolveAll("second");
  equal(await e, "second", "earlier settlements do not touch later waiters");
});
