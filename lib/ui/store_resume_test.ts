import assert from "node:assert/strict";
import type { ChatMessage, Events } from "../protocol/mod.ts";
import type { PageSnapshot } from "./page_memory.ts";
import { createHubStore, type HubStore } from "./store.ts";
import { type FakeClient, fakeClient } from "./testing/fake_client.ts";

const ADA = "01ADA";
const BOB = "01BOB";

const welcome = (sessionId: string, resumed: boolean, name = "guest"): Events["welcome"] => ({
  sessionId,
  userId: null,
  name,
  connectedAt: 0,
  serverTime: Date.now(),
  heartbeatMs: 30_000,
  resumeToken: `t-${sessionId}`,
  resumeTtlMs: 120_000,
  resumed,
  nameLocked: false,
});

const chat = (room: string, offset: number): ChatMessage => ({
  room,
  msgId: `${room}-${offset}`,
  from: BOB,
  userId: null,
  name: "Bob",
  text: `${room}${offset}`,
  ts: offset,
  epoch: "e1",
  offset,
});

/** A hub whose rooms hold `kept` (oldest first) and answer as the protocol says. */
function hub(kept: Record<string, ChatMessage[]> = {}): FakeClient {
  const position = (room: string) => ({ epoch: "e1", offset: kept[room]?.at(-1)?.offset ?? 0 });
  return fakeClient({
    ping: () => ({ serverTime: Date.now() }),
    num_clients: () => ({ count: 2 }),
    rooms: () => ({ rooms: [] }),
    set_name: ({ name }) => ({ name }),
    join: ({ room }) => ({
      room,
      members: [{ sessionId: ADA, userId: null, name: "Ada" }],
      ...position(room),
    }),
    leave: ({ room }) => ({ room, members: [] }),
    history: ({ room, limit = 50 }) => ({
      room,
      ...position(room),
      messages: (kept[room] ?? []).slice(-limit),
    }),
    dm_request: ({ to }) => ({ to, status: "pending" }),
    watch_rooms: () => ({ rooms: [] }),
  });
}

/** Every request already made has been answered and folded in: the fake answers at once. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

function open(fake: FakeClient, saved: PageSnapshot | null = null): HubStore & Disposable {
  const store = createHubStore(fake.client, { pollMs: 60_000, saved });
  return Object.assign(store, { [Symbol.dispose]: () => store.dispose() });
}

const types = (fake: FakeClient, from = 0) => fake.sent.slice(from).map((s) => s.type);
const texts = (store: HubStore, room: string) =>
  store.rooms.value.find((r) => r.room === room)?.items.map((i) => i.text) ?? [];
const bobStatus = (store: HubStore) => store.conversations.value.find((c) => c.peer === BOB);

/** A page in session ADA: named Ada, in #deno, talking with Bob; the connection then drops. */
async function busyPage(fake: FakeClient, store: HubStore): Promise<void> {
  fake.setState("connected");
  fake.emit("welcome", welcome(ADA, false));
  await settled();
  await store.setName("Ada");
  await store.join("deno");
  fake.emit("dm_accepted", { with: BOB, name: "Bob" });
  fake.setState("reconnecting");
}

Deno.test("store: a resume sends nothing again and keeps rooms and conversations", async () => {
  const fake = hub({ deno: [chat("deno", 1)] });
  using store = open(fake);
  await busyPage(fake, store);
  const mark = fake.sent.length;
  fake.setState("connected");
  fake.emit("welcome", welcome(ADA, true, "Ada"));
  // The replay: one message history already brought, one missed.
  fake.emit("chat", chat("deno", 1));
  fake.emit("chat", chat("deno", 2));
  await settled();
  assert.deepEqual(
    types(fake, mark).sort(),
    ["num_clients", "ping", "watch_rooms"],
    "no join, name or leave",
  );
  assert.equal(bobStatus(store)?.status, "open");
  assert.equal(store.reconnects.value, 0);
  assert.deepEqual(texts(store, "deno"), [
    "deno1",
    "You joined #deno.",
    "Connection lost. Reconnecting…",
    "Reconnected: same session, nothing lost.",
    "deno2",
  ]);
});

Deno.test("store: a failed resume joins again, names again and ends conversations", async () => {
  const fake = hub({ deno: [chat("deno", 1)] });
  using store = open(fake);
  await busyPage(fake, store);
  const mark = fake.sent.length;
  fake.setState("connected");
  fake.emit("welcome", welcome("01NEW", false));
  await settled();
  const sent = types(fake, mark);
  for (const type of ["set_name", "join", "history"] as const) assert.ok(sent.includes(type), type);
  assert.equal(fake.sent.filter((s, i) => i >= mark && s.type === "join").length, 2);
  assert.equal(bobStatus(store)?.status, "ended");
  assert.equal(store.reconnects.value, 1);
  assert.equal(store.name.value, "Ada");
  assert.deepEqual(texts(store, "deno").filter((t) => t === "deno1"), ["deno1"], "once");
});

Deno.test("store: a reload that resumes takes the page back and reopens its rooms", async () => {
  const kept = { deno: [chat("deno", 1)] };
  const before = hub(kept);
  let saved: PageSnapshot | null;
  {
    using page = open(before);
    await busyPage(before, page);
    page.showRoom("deno");
    await page.leave("lobby");
    saved = JSON.parse(JSON.stringify(page.snapshot()));
  }
  assert.equal(saved?.sessionId, ADA);

  kept.deno.push(chat("deno", 2)); // sent while the page reloaded
  const fake = hub(kept);
  using store = open(fake, saved);
  fake.setState("connected");
  fake.emit("welcome", welcome(ADA, true, "Ada"));
  fake.emit("chat", chat("deno", 2)); // the replay, before any reply
  assert.deepEqual(store.rooms.value.map((r) => r.room), ["deno"]);
  assert.equal(store.currentRoom.value, "deno");
  assert.equal(bobStatus(store)?.status, "open");
  await settled();
  const sent = types(fake);
  assert.ok(!sent.includes("set_name") && !sent.includes("leave"), sent.join());
  assert.deepEqual(fake.sent.filter((s) => s.type === "join").map((s) => s.data), [
    { room: "deno" },
  ]);
  assert.deepEqual(texts(store, "deno"), ["deno1", "deno2"], "history, and the replay once");
  assert.equal(store.reconnects.value, 0);

  // The chosen name came back too: a later failed resume re-applies it.
  fake.emit("welcome", welcome("01NEW", false));
  await settled();
  assert.deepEqual(fake.sent.filter((s) => s.type === "set_name").map((s) => s.data), [
    { name: "Ada" },
  ]);
  assert.equal(bobStatus(store)?.status, "ended");
});

Deno.test("store: a reload whose resume failed starts afresh, as before", async () => {
  const before = hub();
  let saved: PageSnapshot | null;
  {
    using page = open(before);
    await busyPage(before, page);
    saved = page.snapshot();
  }
  const fake = hub();
  using store = open(fake, saved);
  fake.emit("welcome", welcome("01NEW", false));
  await settled();
  assert.deepEqual(store.rooms.value.map((r) => r.room), ["lobby"]);
  assert.deepEqual(store.conversations.value, []);
  assert.ok(!types(fake).includes("set_name"));
  assert.equal(store.reconnects.value, 0, "the page's first session");
});

Deno.test("store: away peers reach the member list, the count and the conversations", async () => {
  const fake = hub();
  using store = open(fake);
  fake.setState("connected");
  fake.emit("welcome", welcome(ADA, false));
  await settled();
  fake.emit("presence", {
    room: "lobby",
    sessionId: BOB,
    userId: null,
    name: "Bob",
    action: "join",
  });
  fake.emit("dm_accepted", { with: BOB, name: "Bob" });
  assert.equal(store.clients.value, 3);
  fake.emit("presence", {
    room: "lobby",
    sessionId: BOB,
    userId: null,
    name: "Bob",
    action: "away",
  });
  fake.emit("dm_away", { with: BOB });
  const bob = () => store.room.value?.members.find((m) => m.sessionId === BOB);
  assert.equal(bob()?.away, true);
  assert.equal(bobStatus(store)?.peerAway, true);
  assert.equal(store.clients.value, 2);
  fake.emit("presence", {
    room: "lobby",
    sessionId: BOB,
    userId: null,
    name: "Bob",
    action: "back",
  });
  fake.emit("dm_back", { with: BOB });
  assert.equal(bob()?.away, false);
  assert.equal(bobStatus(store)?.peerAway, false);
  assert.equal(store.clients.value, 3);
  assert.ok(!texts(store, "lobby").some((t) => /away|back/.test(t)), "no notices");
});
