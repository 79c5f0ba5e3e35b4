import assert from "node:assert/strict";
import { RequestError } from "../client/mod.ts";
import { createConversations } from "./conversations.ts";
import { readable } from "./requests.ts";
import { fakeRequest } from "./testing/fake_request.ts";

const ME = "01JAAAAAAAAAAAAAAAAAAAAME0";
const BOB = "01JBBBBBBBBBBBBBBBBBBBB0B0";

function setup(answers: Parameters<typeof fakeRequest>[0] = {}) {
  const hub = fakeRequest({
    dm_request: ({ to }) => ({ to, status: "pending" }),
    dm_accept: ({ from }) => ({ with: from, name: "Bob" }),
    dm_decline: ({ from }) => ({ with: from }),
    dm_close: (data) => ({ with: data.with }),
    dm: () => ({ msgId: "m1", ts: 7 }),
    ...answers,
  });
  const dms = createConversations({
    request: hub.request,
    me: () => ME,
    myName: () => "Ada",
    nameOf: (id) => id === BOB ? "Bob" : "someone",
  });
  const bob = () => dms.conversations.value.find((c) => c.peer === BOB);
  return { hub, dms, bob };
}

Deno.test("conversations slice: a request checks the peer, then names and shows it", async () => {
  const { hub, dms, bob } = setup();
  await assert.rejects(dms.requestDm("  "), /Pick someone online/);
  await assert.rejects(dms.requestDm("not-an-id"), /not a session id/);
  await assert.rejects(dms.requestDm(ME), /own session/);
  assert.equal(hub.sent.length, 0);
  await dms.requestDm(` ${BOB} `);
  assert.deepEqual(hub.sent, [{ type: "dm_request", data: { to: BOB } }]);
  assert.equal(bob()?.status, "outgoing");
  assert.equal(bob()?.name, "Bob");
  assert.equal(dms.activeDm.value, BOB);
});

Deno.test("conversations slice: hub events become reducer events", () => {
  const { dms, bob } = setup();
  dms.receive("dm_request", { from: BOB, userId: null, name: "Bob" });
  assert.equal(bob()?.status, "incoming");
  dms.receive("dm_closed", { with: BOB, reason: "expired" });
  assert.equal(bob()?.status, "expired");
  dms.receive("dm_accepted", { with: BOB, name: "Bob" });
  assert.equal(bob()?.status, "open");
  dms.receive("dm", { from: BOB, userId: null, name: "Bob", text: "hi", msgId: "x", ts: 1 });
  assert.equal(bob()?.items.at(-1)?.text, "hi");
  dms.receive("dm_closed", { with: BOB, reason: "disconnected" });
  assert.equal(bob()?.status, "gone");
  dms.dispatch({ type: "dismissed", peer: BOB });
  dms.receive("dm_request", { from: BOB, userId: null, name: "Bob" });
  dms.receive("dm_declined", { with: BOB, reason: "declined" });
  assert.equal(bob()?.status, "incoming", "a decline answers only our own request");
});

Deno.test("conversations slice: accept, decline and send fold in their replies", async () => {
  const { dms, bob } = setup();
  dms.receive("dm_request", { from: BOB, userId: null, name: "Bob" });
  await dms.acceptDm(BOB);
  assert.equal(bob()?.status, "open");
  await assert.rejects(dms.sendDm(BOB, " "), /Type a message first/);
  await dms.sendDm(BOB, "hello");
  assert.deepEqual(bob()?.items.at(-1), {
    kind: "message",
    key: "m1",
    from: ME,
    name: "Ada",
    text: "hello",
    ts: 7,
    mine: true,
  });
  dms.dispatch({ type: "dismissed", peer: BOB });
  dms.receive("dm_request", { from: BOB, userId: null, name: "Bob" });
  await dms.declineDm(BOB);
  assert.equal(bob()?.status, "refused");
});

Deno.test("conversations slice: a close is marked before the request goes out", async () => {
  let markedWhenSent: boolean | undefined;
  const { dms, bob } = setup({
    dm_close: (data) => {
      markedWhenSent = bob()?.closedByMe;
      // The hub echoes dm_closed to the closer before the reply.
      dms.receive("dm_closed", { with: BOB, reason: "closed" });
      return { with: data.with };
    },
  });
  dms.receive("dm_accepted", { with: BOB, name: "Bob" });
  await dms.closeDm(BOB);
  assert.equal(markedWhenSent, true);
  assert.equal(bob()?.status, "closed");
  assert.equal(bob()?.items.at(-1)?.text, "You closed this conversation.");
});

Deno.test("conversations slice: a failed close takes the mark back and rejects", async () => {
  const { dms, bob } = setup({
    dm_close: () => {
      throw readable(new RequestError("timeout", "late"));
    },
  });
  dms.receive("dm_accepted", { with: BOB, name: "Bob" });
  await assert.rejects(dms.closeDm(BOB), /did not answer in time/);
  assert.equal(bob()?.status, "open");
  assert.equal(bob()?.closedByMe, false);
});

Deno.test("conversations slice: dm_away and dm_back mark the peer, and only that", () => {
  const { dms, bob } = setup();
  dms.receive("dm_accepted", { with: BOB, name: "Bob" });
  const items = bob()?.items;
  dms.receive("dm_away", { with: BOB });
  assert.equal(bob()?.peerAway, true);
  assert.equal(bob()?.status, "open");
  assert.equal(bob()?.items, items, "no notice");
  dms.receive("dm_back", { with: BOB });
  assert.equal(bob()?.peerAway, false);
  dms.receive("dm_away", { with: BOB });
  dms.receive("dm_closed", { with: BOB, reason: "disconnected" });
  assert.equal(bob()?.status, "gone");
  assert.equal(bob()?.peerAway, false);
});

Deno.test("conversations slice: a snapshot is restored whole, with this page's item limit", () => {
  const { dms } = setup();
  dms.receive("dm_accepted", { with: BOB, name: "Bob" });
  dms.receive("dm", { from: BOB, userId: null, name: "Bob", text: "hi", msgId: "x", ts: 1 });
  dms.showDm(BOB);
  const saved = JSON.parse(JSON.stringify(dms.snapshot()));
  const other = createConversations({
    request: fakeRequest({}).request,
    me: () => ME,
    myName: () => "Ada",
    nameOf: () => "someone",
    maxItems: 7,
  });
  other.restore(saved);
  assert.deepEqual(other.conversations.value, dms.conversations.value);
  assert.equal(other.activeDm.value, BOB);
  assert.equal(other.snapshot().maxItems, 7);
  // Notice keys go on from the restored counter, so they stay unique.
  other.receive("dm_closed", { with: BOB, reason: "closed" });
  const keys = other.conversations.value[0].items.map((i) => i.key);
  assert.equal(new Set(keys).size, keys.length);
});
