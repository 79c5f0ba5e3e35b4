import assert from "node:assert/strict";
import type { ChatMessage, Events } from "../protocol/mod.ts";
import { createRooms } from "./rooms.ts";
import { fakeRequest } from "./testing/fake_request.ts";

const ME = "01ME";
const BOB = "01BOB";
const EPOCH = "e1";

/** A message of `room` at `offset`; its text is `<room><offset>`, e.g. "deno3". */
const msg = (room: string, offset: number, from = BOB, epoch = EPOCH): ChatMessage => ({
  room,
  msgId: `${epoch}-${room}-${offset}`,
  from,
  userId: null,
  name: from === ME ? "me" : "Bob",
  text: `${room}${offset}`,
  ts: offset,
  epoch,
  offset,
});

/**
 * A hub that answers from `kept`, each room's history (oldest first), as the protocol says:
 * `join` with the room's position, `history` with the newest `limit` below `before`.
 */
function setup(kept: Record<string, ChatMessage[]> = {}, epoch = () => EPOCH) {
  const stored = (room: string) => kept[room] ?? [];
  const position = (room: string) => ({ epoch: epoch(), offset: stored(room).at(-1)?.offset ?? 0 });
  const hub = fakeRequest({
    join: ({ room }) => ({
      room,
      members: [{ sessionId: ME, userId: null, name: "me" }],
      ...position(room),
    }),
    leave: ({ room }) => ({ room, members: [] }),
    rooms: () => ({ rooms: [{ room: "lobby", size: 2 }] }),
    chat: () => ({ msgId: "m", ts: 1 }),
    history: ({ room, limit = 50, before = Infinity }) => {
      const below = stored(room).filter((m) => m.offset < before);
      return { room, ...position(room), messages: below.slice(-limit) };
    },
  });
  const rooms = createRooms({
    request: hub.request,
    me: () => ME,
    watching: () => true,
    historyPage: 3,
  });
  const room = (name: string) => rooms.rooms.value.find((r) => r.room === name)!;
  return { hub, rooms, room, kept };
}

const texts = (items: readonly { text: string }[]) => items.map((i) => i.text);
const sent = (hub: ReturnType<typeof fakeRequest>) => hub.sent.map((s) => [s.type, s.data]);
const range = (room: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => msg(room, from + i));

Deno.test("rooms: the lobby is there from the start, shown", () => {
  const { rooms } = setup();
  assert.deepEqual(rooms.rooms.value.map((r) => r.room), ["lobby"]);
  assert.equal(rooms.room.value?.room, "lobby");
});

Deno.test("rooms: join adds the room and shows it; joining it again only shows it", async () => {
  const { hub, rooms } = setup();
  await rooms.join(" #deno ");
  assert.deepEqual(rooms.rooms.value.map((r) => r.room), ["lobby", "deno"]);
  assert.equal(rooms.currentRoom.value, "deno");
  assert.deepEqual(texts(rooms.room.value!.items), ["You joined #deno."]);
  assert.deepEqual(rooms.room.value!.members, [{
    sessionId: ME,
    userId: null,
    name: "me",
    away: false,
  }]);
  rooms.showRoom("lobby");
  await rooms.join("deno");
  assert.equal(rooms.currentRoom.value, "deno");
  assert.equal(hub.sent.filter((s) => s.type === "join").length, 1);
  await assert.rejects(rooms.join("no spaces"), /room name/);
});

Deno.test("rooms: a joined room shows its history above the join notice", async () => {
  const { hub, rooms, room } = setup({ deno: range("deno", 1, 5) });
  await rooms.join("deno");
  assert.deepEqual(sent(hub).filter(([t]) => t === "history"), [
    ["history", { room: "deno", limit: 3 }],
  ]);
  assert.deepEqual(texts(room("deno").items), ["deno3", "deno4", "deno5", "You joined #deno."]);
  assert.equal(room("deno").epoch, EPOCH);
});

Deno.test("rooms: a failed history still leaves the room joined, and older can be asked", async () => {
  const hub = fakeRequest({
    join: ({ room }) => ({ room, members: [], epoch: EPOCH, offset: 4 }),
    rooms: () => ({ rooms: [] }),
    history: () => {
      throw new Error("down");
    },
  });
  const rooms = createRooms({
    request: hub.request,
    me: () => ME,
    watching: () => true,
  });
  await rooms.join("deno");
  assert.equal(rooms.currentRoom.value, "deno");
  assert.deepEqual(texts(rooms.room.value!.items), ["You joined #deno."]);
  await assert.rejects(rooms.loadOlder("deno"), /down/);
  assert.equal(rooms.room.value!.loadingOlder, false);
  assert.deepEqual(hub.sent.at(-1), { type: "history", data: { room: "deno", limit: 50 } });
});

Deno.test("rooms: scrolling up loads older pages until the start", async () => {
  const { hub, rooms, room } = setup({ deno: range("deno", 1, 7) });
  await rooms.join("deno");
  assert.deepEqual(texts(room("deno").items).slice(0, 3), ["deno5", "deno6", "deno7"]);
  hub.sent.length = 0;
  // Two scroll events in a row: one request.
  await Promise.all([rooms.loadOlder("deno"), rooms.loadOlder("deno")]);
  assert.deepEqual(sent(hub), [["history", { room: "deno", limit: 3, before: 5 }]]);
  assert.equal(room("deno").loadingOlder, false);
  assert.deepEqual(texts(room("deno").items).slice(0, 3), ["deno2", "deno3", "deno4"]);
  await rooms.loadOlder("deno");
  assert.deepEqual(texts(room("deno").items).slice(0, 2), ["deno1", "deno2"]);
  hub.sent.length = 0;
  await rooms.loadOlder("deno");
  assert.deepEqual(hub.sent, [], "offset 1 is the start: nothing to ask");
  await rooms.loadOlder("nowhere");
});

Deno.test("rooms: a short page means the hub kept nothing older", async () => {
  const { hub, rooms } = setup({ deno: range("deno", 6, 7) });
  await rooms.join("deno");
  hub.sent.length = 0;
  await rooms.loadOlder("deno");
  assert.deepEqual(hub.sent, [], "two of three asked: nothing below offset 6");
});

Deno.test("rooms: chat lands in its room, once, in order, and counts unread elsewhere", async () => {
  const { rooms, room } = setup();
  await rooms.join("deno");
  rooms.chat(msg("deno", 1));
  rooms.chat(msg("deno", 1));
  rooms.chat(msg("deno", 2, ME));
  rooms.chat({ ...msg("deno", 1), msgId: "another id, an old offset" });
  rooms.chat(msg("lobby", 1));
  rooms.chat(msg("elsewhere", 1));
  const deno = room("deno");
  assert.deepEqual(texts(deno.items).slice(1), ["deno1", "deno2"]);
  assert.equal(deno.unread, 0);
  assert.deepEqual(deno.items.map((i) => i.kind === "message" && i.mine).slice(1), [false, true]);
  assert.deepEqual(texts(room("lobby").items), ["lobby1"]);
  assert.equal(room("lobby").unread, 1);
});

Deno.test("rooms: a replay that overlaps history shows each message once", async () => {
  const kept = { lobby: range("lobby", 1, 3) };
  const { rooms, room } = setup(kept);
  rooms.restore({ rooms: ["lobby", "side"], current: "side" });
  await Promise.all(rooms.reopen());
  assert.deepEqual(texts(room("lobby").items), ["lobby1", "lobby2", "lobby3"]);
  // The live (or replayed) events of messages history already brought.
  rooms.chat(msg("lobby", 2));
  rooms.chat(msg("lobby", 3));
  rooms.chat(msg("lobby", 4));
  assert.deepEqual(texts(room("lobby").items), ["lobby1", "lobby2", "lobby3", "lobby4"]);
  assert.equal(room("lobby").unread, 1, "only the new one counts");
});

Deno.test("rooms: a new epoch starts the room's stream over", async () => {
  let epoch = "e1";
  const { rooms, room } = setup({}, () => epoch);
  await rooms.join("deno");
  rooms.chat(msg("deno", 1, BOB, "e1"));
  rooms.chat(msg("deno", 2, BOB, "e1"));
  epoch = "e2";
  rooms.chat(msg("deno", 1, BOB, "e2"));
  const deno = room("deno");
  assert.equal(deno.epoch, "e2");
  assert.deepEqual(texts(deno.items).slice(-2), [
    "The server no longer has the messages above; the room starts afresh.",
    "deno1",
  ]);
});

Deno.test("rooms: say checks the text, then sends it to the room shown", async () => {
  const { hub, rooms } = setup();
  await assert.rejects(rooms.say("  "), /Type a message first/);
  await assert.rejects(rooms.say("x".repeat(5000)), /at most 4,000/);
  await rooms.say("hi");
  assert.deepEqual(hub.sent.at(-1), { type: "chat", data: { room: "lobby", text: "hi" } });
});

Deno.test("rooms: leave shows the first room left and clears its unread", async () => {
  const { rooms } = setup();
  await rooms.join("deno");
  rooms.chat(msg("lobby", 1));
  assert.equal(rooms.rooms.value[0].unread, 1);
  await rooms.leave("deno");
  assert.deepEqual(rooms.rooms.value.map((r) => r.room), ["lobby"]);
  assert.equal(rooms.currentRoom.value, "lobby");
  assert.equal(rooms.rooms.value[0].unread, 0);
  await rooms.leave("lobby");
  assert.equal(rooms.currentRoom.value, null);
  assert.equal(rooms.room.value, null);
  await assert.rejects(rooms.say("hi"), /Join a room first/);
});

const presence = (action: Events["presence"]["action"], name = "Bob", room = "lobby") => ({
  room,
  sessionId: BOB,
  userId: null,
  name,
  action,
});

Deno.test("rooms: presence and renames update members and tell the room", () => {
  const { rooms } = setup();
  assert.equal(rooms.presence(presence("join")), 1);
  assert.equal(rooms.memberName(BOB), "Bob");
  rooms.renamed({ sessionId: BOB, name: "Robert" });
  rooms.renamed({ sessionId: BOB, name: "Robert" });
  rooms.renamed({ sessionId: "01NOBODY", name: "X" });
  assert.equal(rooms.memberName(BOB), "Robert");
  assert.equal(rooms.presence(presence("leave", "Robert")), -1);
  assert.equal(rooms.memberName(BOB), undefined);
  assert.equal(rooms.presence(presence("join", "B", "deno")), 0, "not our room");
  assert.deepEqual(texts(rooms.rooms.value[0].items), [
    "Bob joined #lobby.",
    "Bob is now Robert.",
    "Robert left #lobby.",
  ]);
});

Deno.test("rooms: a member away is marked until back or leave, without a word in the room", () => {
  const { rooms, room } = setup();
  rooms.presence(presence("join"));
  rooms.presence({ ...presence("join"), sessionId: "01CY", userId: null, name: "Cy" });
  const before = room("lobby").items;
  assert.equal(rooms.presence(presence("away")), -1, "one fewer connected");
  assert.deepEqual(room("lobby").members.map((m) => [m.name, m.away]), [
    ["Bob", true],
    ["Cy", false],
  ], "in place, marked");
  assert.equal(rooms.presence(presence("away")), 0, "already away");
  assert.equal(rooms.presence(presence("back")), 1);
  assert.equal(room("lobby").members[0].away, false);
  assert.equal(rooms.presence(presence("back")), 0, "already back");
  assert.equal(room("lobby").items, before, "away and back say nothing");
  rooms.presence(presence("away"));
  assert.equal(rooms.presence(presence("leave")), 0, "an away member was not counted");
  assert.deepEqual(room("lobby").members.map((m) => m.name), ["Cy"]);
  assert.deepEqual(texts(room("lobby").items).at(-1), "Bob left #lobby.");
});

Deno.test("rooms: away or back of a member not listed adds it", () => {
  // It joined while we were away ourselves: presence is not replayed.
  const { rooms, room } = setup();
  rooms.presence(presence("away"));
  assert.deepEqual(room("lobby").members, [{
    sessionId: BOB,
    userId: null,
    name: "Bob",
    away: true,
  }]);
  rooms.presence({ ...presence("back"), sessionId: "01CY", userId: null, name: "Cy" });
  assert.deepEqual(room("lobby").members.map((m) => [m.name, m.away]), [
    ["Bob", true],
    ["Cy", false],
  ]);
  assert.deepEqual(room("lobby").items, []);
});

Deno.test("rooms: our own rename shows in every member list, without a notice", async () => {
  const { rooms } = setup();
  await rooms.join("deno");
  rooms.renameSelf(ME, "Ada");
  assert.equal(rooms.memberName(ME), "Ada");
  assert.deepEqual(texts(rooms.room.value!.items), ["You joined #deno."]);
});

Deno.test("rooms: a new session clears member lists, then resync joins again with history", async () => {
  const { hub, rooms, room, kept } = setup({ deno: range("deno", 1, 2) });
  await rooms.join("deno");
  await rooms.leave("lobby");
  rooms.connectionLost();
  rooms.sessionReplaced("guest-abc");
  const deno = rooms.room.value!;
  assert.deepEqual(deno.members, []);
  assert.deepEqual(texts(deno.items).slice(-2), [
    "Connection lost. Reconnecting…",
    "Reconnected as a new session (guest-abc).",
  ]);
  kept.deno.push(msg("deno", 3)); // sent while we were gone
  hub.sent.length = 0;
  await Promise.all(rooms.resync());
  assert.deepEqual(sent(hub), [
    ["join", { room: "deno" }],
    ["leave", { room: "lobby" }],
    ["history", { room: "deno", limit: 3 }],
  ]);
  assert.deepEqual(rooms.room.value!.members, [{
    sessionId: ME,
    userId: null,
    name: "me",
    away: false,
  }]);
  // The directory is the store's to watch again; the room we are in counts its members.
  assert.deepEqual(rooms.roomList.value, [{ room: "deno", size: 1 }]);
  assert.deepEqual(texts(room("deno").items), [
    "deno1",
    "deno2",
    "You joined #deno.",
    "Connection lost. Reconnecting…",
    "Reconnected as a new session (guest-abc).",
    "deno3",
  ], "the one missed goes last, the ones shown stay once");
});

Deno.test("rooms: a resumed session sends nothing, says so once, and forgets away marks", () => {
  const { hub, rooms, room } = setup();
  rooms.presence(presence("join"));
  rooms.presence(presence("away"));
  rooms.connectionLost();
  hub.sent.length = 0;
  rooms.sessionResumed();
  assert.deepEqual(hub.sent, []);
  assert.deepEqual(texts(room("lobby").items).slice(-2), [
    "Connection lost. Reconnecting…",
    "Reconnected: same session, nothing lost.",
  ]);
  assert.equal(room("lobby").members[0].away, false);
  assert.equal(room("lobby").members.length, 1, "members are kept");
});

Deno.test("rooms: a reload takes back the rooms, then reopens them without a notice", async () => {
  const { hub, rooms, room } = setup({ deno: range("deno", 1, 2), side: [] });
  assert.deepEqual(rooms.snapshot(), { rooms: ["lobby"], current: "lobby" });
  rooms.restore({ rooms: ["deno", "side"], current: "side" });
  assert.deepEqual(rooms.rooms.value.map((r) => r.room), ["deno", "side"]);
  assert.equal(rooms.currentRoom.value, "side");
  assert.deepEqual(rooms.snapshot(), { rooms: ["deno", "side"], current: "side" });
  // The replay comes before any reply.
  rooms.chat(msg("deno", 2));
  hub.sent.length = 0;
  await Promise.all(rooms.reopen());
  assert.deepEqual(sent(hub).filter(([t]) => t !== "history").map(([t, d]) => [t, d]), [
    ["join", { room: "deno" }],
    ["join", { room: "side" }],
  ], "no leave, whatever the lobby");
  assert.deepEqual(texts(room("deno").items), ["deno1", "deno2"]);
  assert.deepEqual(room("deno").members, [{
    sessionId: ME,
    userId: null,
    name: "me",
    away: false,
  }]);
  assert.deepEqual(room("side").items, []);
  rooms.restore({ rooms: ["deno"], current: "gone" });
  assert.equal(rooms.currentRoom.value, "deno", "a current room not in the list");
});
