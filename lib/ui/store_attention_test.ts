import assert from "node:assert/strict";
import type { Events } from "../protocol/mod.ts";
import { createHubStore } from "./store.ts";
import { fakeClient } from "./testing/fake_client.ts";

const ADA = "01ADA";
const BOB = "01BOB";

function open() {
  const fake = fakeClient({
    ping: () => ({ serverTime: Date.now() }),
    num_clients: () => ({ count: 2 }),
    watch_rooms: () => ({ rooms: [{ room: "lobby", size: 2 }] }),
    random: ({ text }) => ({ text: `${text} 7`, n: 7 }),
    join: ({ room }) => ({ room, members: [], epoch: "e1", offset: 0 }),
    history: ({ room }) => ({ room, epoch: "e1", offset: 0, messages: [] }),
  });
  const store = createHubStore(fake.client, { pollMs: 60_000 });
  fake.setState("connected");
  fake.emit("welcome", {
    sessionId: ADA,
    userId: null,
    name: "Ada",
    connectedAt: 0,
    serverTime: Date.now(),
    heartbeatMs: 30_000,
    resumeToken: "t",
    resumeTtlMs: 120_000,
    resumed: false,
    nameLocked: false,
  });
  return { fake, store: Object.assign(store, { [Symbol.dispose]: () => store.dispose() }) };
}

let offset = 0;
const chat = (from = BOB): Events["chat"] => ({
  room: "lobby",
  msgId: `m${++offset}`,
  from,
  userId: null,
  name: from === ADA ? "Ada" : "Bob",
  text: `hello ${offset}`,
  ts: offset,
  epoch: "e1",
  offset,
});

Deno.test("store: what the reader does not see counts, per view and in the title", async () => {
  const { fake, store } = open();
  using _ = store;
  // In sight, on a wide screen: the room shown and the request shown are read at once.
  fake.emit("chat", chat());
  fake.emit("dm_request", { from: BOB, userId: null, name: "Bob" });
  assert.deepEqual(store.unread.value, { chat: 0, dms: 0, random: 0 });
  assert.equal(store.title.value, "Deno real-time hub");
  assert.equal(store.announcement.value?.text, "Bob wants to start a conversation with you.");

  // Out of sight: everything counts, our own messages aside.
  store.setPageVisible(false);
  fake.emit("chat", chat());
  fake.emit("chat", chat(ADA));
  fake.emit("dm", { from: BOB, userId: null, name: "Bob", text: "psst", msgId: "d1", ts: 1 });
  assert.deepEqual(store.unread.value, { chat: 1, dms: 1, random: 0 });
  assert.equal(store.title.value, "(2) Deno real-time hub");
  store.setPageVisible(true);
  assert.deepEqual(store.unread.value, { chat: 0, dms: 0, random: 0 });

  // On a phone, only the open tab is seen; opening another reads it.
  store.setCompact(true);
  assert.equal(store.view.value, "chat");
  fake.emit("dm", { from: BOB, userId: null, name: "Bob", text: "again", msgId: "d2", ts: 2 });
  await store.random("dice");
  fake.emit("chat", chat());
  assert.deepEqual(store.unread.value, { chat: 0, dms: 1, random: 1 });
  store.showView("random");
  assert.deepEqual(store.unread.value, { chat: 0, dms: 1, random: 0 });
  fake.emit("chat", chat());
  assert.deepEqual(store.unread.value, { chat: 1, dms: 1, random: 0 });
  assert.equal(store.title.value, "(2) Deno real-time hub");
  store.showView("dms");
  assert.deepEqual(store.unread.value, { chat: 1, dms: 0, random: 0 });
  assert.equal(store.announcement.value?.text, "Bob in #lobby: hello 5");
});
