/**
 * End-to-end tests of the direct-message part of docs/protocol.md over real sockets: consent
 * (request, accept, decline, mutual requests), messages both ways, closing, expiry, disconnects,
 * the pending-request limit and every DM error code.
 *
 * As in `protocol_test.ts`, "nothing arrived" is proved with a barrier rather than a sleep: once a
 * probe has the reply to a `ping` sent after an action was acknowledged, every frame the action
 * caused for that probe has arrived, because the server writes each socket's frames in order.
 */

import assert from "node:assert/strict";
import { eventually, type Frame, type Probe, startTestServer } from "./helpers.ts";
import { barrier, idOf, isEvent, ok, open, refused, welcomeOf } from "./protocol_asserts.ts";

/** A well-formed ULID that no session has. */
const NOBODY = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const DM_EVENTS = new Set(["dm_request", "dm_accepted", "dm_declined", "dm", "dm_closed"]);

function nameOf(probe: Probe): string {
  return welcomeOf(probe).name;
}

/** The DM events `probe` got after its first `mark` frames. */
function dmEventsSince(probe: Probe, mark: number): Frame[] {
  return probe.frames.slice(mark).filter((f) => DM_EVENTS.has(f.type));
}

/** `a` asks `b`, `b` accepts; returns once `a` has heard of it. */
async function converse(a: Probe, b: Probe): Promise<void> {
  assert.equal(ok(await a.request("dm_request", { to: idOf(b) })).status, "pending");
  await b.next(isEvent("dm_request", (d) => d.from === idOf(a)));
  ok(await b.request("dm_accept", { from: idOf(a) }));
  await a.next(isEvent("dm_accepted", (d) => d.with === idOf(b)));
}

Deno.test("dm_request, dm_accept, then dm both ways; only the two of them hear it", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await using c = await open(server);
  const markC = c.frames.length;

  assert.deepEqual(ok(await a.request("dm_request", { to: idOf(b) })), {
    to: idOf(b),
    status: "pending",
  });
  const request = await b.next(isEvent("dm_request"));
  assert.deepEqual(request.data, { from: idOf(a), userId: null, name: nameOf(a) });

  // Asking again while pending does not notify b again; nothing flows before consent.
  assert.deepEqual(ok(await a.request("dm_request", { to: idOf(b) })), {
    to: idOf(b),
    status: "pending",
  });
  refused(await a.request("dm", { to: idOf(b), text: "too early" }), "not_connected");
  refused(await b.request("dm", { to: idOf(a), text: "too early" }), "not_connected");
  await barrier(b);
  assert.equal(b.frames.filter(isEvent("dm_request")).length, 1, "b was asked twice");
  assert.equal(b.frames.filter(isEvent("dm")).length, 0);

  assert.deepEqual(ok(await b.request("dm_accept", { from: idOf(a) })), {
    with: idOf(a),
    name: nameOf(a),
  });
  const accepted = await a.next(isEvent("dm_accepted"));
  assert.deepEqual(accepted.data, { with: idOf(b), name: nameOf(b) });

  // a to b.
  const before = Date.now();
  const sent = ok(await a.request("dm", { to: idOf(b), text: "hi b" }));
  assert.deepEqual(Object.keys(sent).sort(), ["msgId", "ts"]);
  assert.match(sent.msgId as string, ULID);
  assert.ok(before <= (sent.ts as number) && (sent.ts as number) <= Date.now());
  assert.deepEqual((await b.next(isEvent("dm"))).data, {
    from: idOf(a),
    userId: null,
    name: nameOf(a),
    text: "hi b",
    msgId: sent.msgId,
    ts: sent.ts,
  });

  // b to a, under a new name.
  ok(await b.request("set_name", { name: "Bea" }));
  const back = ok(await b.request("dm", { to: idOf(a), text: "hi a" }));
  assert.notEqual(back.msgId, sent.msgId);
  assert.deepEqual((await a.next(isEvent("dm"))).data, {
    from: idOf(b),
    userId: null,
    name: "Bea",
    text: "hi a",
    msgId: back.msgId,
    ts: back.ts,
  });

  // Each side got exactly the peer's message, not its own; c heard nothing and cannot join in.
  await barrier(a);
  await barrier(b);
  assert.equal(a.frames.filter(isEvent("dm")).length, 1);
  assert.equal(b.frames.filter(isEvent("dm")).length, 1);
  refused(await c.request("dm", { to: idOf(a), text: "me too" }), "not_connected");
  refused(await b.request("dm", { to: idOf(a), text: "  " }), "bad_request", "data.text");
  await barrier(c);
  assert.deepEqual(dmEventsSince(c, markC), []);
});

Deno.test("dm_decline tells the requester declined; the request is gone", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  ok(await a.request("dm_request", { to: idOf(b) }));
  await b.next(isEvent("dm_request"));

  const markB = b.frames.length;
  assert.deepEqual(ok(await b.request("dm_decline", { from: idOf(a) })), { with: idOf(a) });
  const declined = await a.next(isEvent("dm_declined"));
  assert.deepEqual(declined.data, { with: idOf(b), reason: "declined" });

  refused(await b.request("dm_accept", { from: idOf(a) }), "no_request");
  refused(await b.request("dm_decline", { from: idOf(a) }), "no_request");
  refused(await a.request("dm", { to: idOf(b), text: "please" }), "not_connected");
  await barrier(b);
  assert.deepEqual(dmEventsSince(b, markB), [], "the decliner gets no event");

  // A new request after a decline notifies again.
  assert.equal(ok(await a.request("dm_request", { to: idOf(b) })).status, "pending");
  await b.next(isEvent("dm_request", (d) => d.from === idOf(a)));
});

Deno.test("DM errors: own id bad_request, unknown or gone id not_found, no_request, not_connected", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await using gone = await open(server);
  const goneId = idOf(gone);
  await gone[Symbol.asyncDispose]();
  await eventually(async () => {
    refused(await a.request("dm_request", { to: goneId }), "not_found");
  });

  const self = idOf(a);
  const requests: [string, string, Record<string, string>][] = [
    ["dm_request", "data.to", { to: self }],
    ["dm_accept", "data.from", { from: self }],
    ["dm_decline", "data.from", { from: self }],
    ["dm", "data.to", { to: self, text: "me" }],
    ["dm_close", "data.with", { with: self }],
  ];
  const retarget = (data: Record<string, string>, id: string) =>
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v === self ? id : v]));

  for (const [type, field, data] of requests) {
    await t.step(`${type}: own id is bad_request naming ${field}`, async () => {
      refused(await a.request(type, data), "bad_request", field);
    });
    await t.step(`${type}: unknown and disconnected ids are not_found`, async () => {
      refused(await a.request(type, retarget(data, NOBODY)), "not_found", NOBODY);
      refused(await a.request(type, retarget(data, goneId)), "not_found", goneId);
    });
  }
  await t.step("dm_accept and dm_decline without a request are no_request", async () => {
    refused(await a.request("dm_accept", { from: idOf(b) }), "no_request", idOf(b));
    refused(await a.request("dm_decline", { from: idOf(b) }), "no_request", idOf(b));
  });
  await t.step("dm and dm_close without a conversation are not_connected", async () => {
    refused(await a.request("dm", { to: idOf(b), text: "hello?" }), "not_connected", idOf(b));
    refused(await a.request("dm_close", { with: idOf(b) }), "not_connected", idOf(b));
  });
  // None of it reached b.
  await barrier(b);
  assert.deepEqual(dmEventsSince(b, 0), []);
});

Deno.test("dm_close ends a conversation for both with reason closed", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  await converse(a, b);

  assert.deepEqual(ok(await b.request("dm_close", { with: idOf(a) })), { with: idOf(a) });
  assert.deepEqual((await b.next(isEvent("dm_closed"))).data, { with: idOf(a), reason: "closed" });
  assert.deepEqual((await a.next(isEvent("dm_closed"))).data, { with: idOf(b), reason: "closed" });

  refused(await a.request("dm", { to: idOf(b), text: "still there?" }), "not_connected");
  refused(await b.request("dm", { to: idOf(a), text: "no" }), "not_connected");
  refused(await a.request("dm_close", { with: idOf(b) }), "not_connected");
  refused(await b.request("dm_close", { with: idOf(a) }), "not_connected");
});

Deno.test("dm_close withdraws a pending request, or refuses it from the other side", async (t) => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);

  for (const [who, closer, other] of [["requester", a, b], ["target", b, a]] as const) {
    await t.step(`closed by the ${who}`, async () => {
      ok(await a.request("dm_request", { to: idOf(b) }));
      await b.next(isEvent("dm_request", (d) => d.from === idOf(a)));
      assert.deepEqual(ok(await closer.request("dm_close", { with: idOf(other) })), {
        with: idOf(other),
      });
      assert.deepEqual((await closer.next(isEvent("dm_closed"))).data, {
        with: idOf(other),
        reason: "closed",
      });
      assert.deepEqual((await other.next(isEvent("dm_closed"))).data, {
        with: idOf(closer),
        reason: "closed",
      });
      refused(await b.request("dm_accept", { from: idOf(a) }), "no_request");
      refused(await a.request("dm", { to: idOf(b), text: "hm" }), "not_connected");
      await barrier(a);
      assert.equal(a.frames.filter(isEvent("dm_declined")).length, 0);
    });
  }
});

Deno.test("requests both ways are consent from both: the second is accepted at once", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  await using b = await open(server);
  assert.equal(ok(await a.request("dm_request", { to: idOf(b) })).status, "pending");
  await b.next(isEvent("dm_request"));

  assert.deepEqual(ok(await b.request("dm_request", { to: idOf(a) })), {
    to: idOf(a),
    status: "accepted",
  });
  assert.deepEqual((await a.next(isEvent("dm_accepted"))).data, {
    with: idOf(b),
    name: nameOf(b),
  });
  // The conversation is open both ways and no request is left to answer.
  const fromB = ok(await b.request("dm", { to: idOf(a), text: "both asked" }));
  assert.equal((await a.next(isEvent("dm"))).data?.msgId, fromB.msgId);
  const fromA = ok(await a.request("dm", { to: idOf(b), text: "indeed" }));
  assert.equal((await b.next(isEvent("dm"))).data?.msgId, fromA.msgId);
  refused(await a.request("dm_decline", { from: idOf(b) }), "no_request");
  refused(await b.request("dm_decline", { from: idOf(a) }), "no_request");
  await barrier(a);
  assert.equal(a.frames.filter(isEvent("dm_request")).length, 0, "a was asked after consenting");
});

Deno.test("an unanswered request expires after DM_REQUEST_TTL_MS; answered ones do not", async () => {
  const ttl = 600; // room for the answered requests to be answered first on a loaded machine
  await using server = await startTestServer({ dmRequestTtlMs: ttl });
  await using a = await open(server);
  await using accepted = await open(server);
  await using mutual = await open(server);
  await using silent = await open(server);

  // Answered before the TTL: accepted, and both asking each other.
  await converse(a, accepted);
  ok(await mutual.request("dm_request", { to: idOf(a) }));
  await a.next(isEvent("dm_request", (d) => d.from === idOf(mutual)));
  assert.equal(ok(await a.request("dm_request", { to: idOf(mutual) })).status, "accepted");
  await mutual.next(isEvent("dm_accepted"));
  const markAccepted = accepted.frames.length;
  const markMutual = mutual.frames.length;

  // Left unanswered, after the others, so it expires last.
  const asked = performance.now();
  ok(await a.request("dm_request", { to: idOf(silent) }));
  const declined = await a.next(isEvent("dm_declined"), 3000);
  const waited = performance.now() - asked;
  assert.deepEqual(declined.data, { with: idOf(silent), reason: "expired" });
  assert.ok(waited >= ttl - 20, `expired after ${waited.toFixed(0)} ms, before the TTL`);
  assert.deepEqual((await silent.next(isEvent("dm_closed"), 3000)).data, {
    with: idOf(a),
    reason: "expired",
  });
  refused(await silent.request("dm_accept", { from: idOf(a) }), "no_request");
  refused(await a.request("dm", { to: idOf(silent), text: "late" }), "not_connected");

  // The answered requests' timers were older and did not fire.
  await barrier(accepted);
  await barrier(mutual);
  await barrier(a);
  assert.equal(a.frames.filter(isEvent("dm_declined")).length, 1);
  assert.equal(a.frames.filter(isEvent("dm_closed")).length, 0);
  assert.deepEqual(dmEventsSince(accepted, markAccepted), []);
  assert.deepEqual(dmEventsSince(mutual, markMutual), []);
  ok(await a.request("dm", { to: idOf(accepted), text: "still open" }));
  ok(await a.request("dm", { to: idOf(mutual), text: "still open" }));
});

Deno.test("a disconnect closes its conversations and pending requests with reason disconnected", async () => {
  await using server = await startTestServer();
  // Disposed by hand below; a second dispose does nothing.
  await using a = await open(server);
  const aId = idOf(a);
  await using peer = await open(server);
  await using askedByA = await open(server);
  await using askedA = await open(server);
  await using bystander = await open(server);
  await converse(a, peer);
  ok(await a.request("dm_request", { to: idOf(askedByA) }));
  await askedByA.next(isEvent("dm_request"));
  ok(await askedA.request("dm_request", { to: aId }));
  await a.next(isEvent("dm_request"));
  const markBystander = bystander.frames.length;

  await a[Symbol.asyncDispose]();
  for (const probe of [peer, askedByA, askedA]) {
    assert.deepEqual((await probe.next(isEvent("dm_closed"))).data, {
      with: aId,
      reason: "disconnected",
    });
  }
  refused(await peer.request("dm", { to: aId, text: "hello?" }), "not_found", aId);
  refused(await askedByA.request("dm_accept", { from: aId }), "not_found", aId);
  await barrier(bystander);
  assert.deepEqual(dmEventsSince(bystander, markBystander), []);
  // askedA's request went away with a: dm_closed, not dm_declined.
  await barrier(askedA);
  assert.equal(askedA.frames.filter(isEvent("dm_declined")).length, 0);
});

Deno.test("at most 20 pending requests: the 21st is too_many until one is answered", async () => {
  await using server = await startTestServer();
  await using a = await open(server);
  const targets: Probe[] = [];
  try {
    for (let i = 0; i < 22; i++) targets.push(await open(server));
    for (const target of targets.slice(0, 20)) {
      assert.equal(ok(await a.request("dm_request", { to: idOf(target) })).status, "pending");
    }
    const [twentyFirst, asker] = targets.slice(20);
    refused(await a.request("dm_request", { to: idOf(twentyFirst) }), "too_many", "20");
    await barrier(twentyFirst);
    assert.equal(twentyFirst.frames.filter(isEvent("dm_request")).length, 0);

    // At the limit, asking a pending target again is still fine, and a request the other way is
    // consent, not a new pending request.
    assert.equal(ok(await a.request("dm_request", { to: idOf(targets[0]) })).status, "pending");
    ok(await asker.request("dm_request", { to: idOf(a) }));
    await a.next(isEvent("dm_request", (d) => d.from === idOf(asker)));
    assert.equal(ok(await a.request("dm_request", { to: idOf(asker) })).status, "accepted");

    // One answer frees a slot.
    ok(await targets[3].request("dm_decline", { from: idOf(a) }));
    await a.next(isEvent("dm_declined"));
    assert.equal(ok(await a.request("dm_request", { to: idOf(twentyFirst) })).status, "pending");
    await twentyFirst.next(isEvent("dm_request"));
    refused(await a.request("dm_request", { to: idOf(targets[3]) }), "too_many");
  } finally {
    for (const target of targets) await target[Symbol.asyncDispose]();
  }
});
