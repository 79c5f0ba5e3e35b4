import assert from "node:assert/strict";
import type { Events } from "../protocol/mod.ts";
import { createRooms } from "./rooms.ts";
import { fakeRequest } from "./testing/fake_request.ts";

const ME = "01ME";
const BOB = "01BOB";

function setup() {
  const hub = fakeRequest({
    join: ({ room }) => ({ room, members: [{ sessionId: ME, name: "me" }] }),
    leave: ({ room }) => ({ room, members: [] }),
    rooms: () => ({ rooms: [{ room: "lobby", size: 2 }] }),
    chat: () => ({ msgId: "m", ts: 1 }),
  });
  const rooms = createRooms({
    request: hub.request,
    me: () => ME,
    connected: () => true,
    live: false,
  });
  return { hub, rooms };
}

const texts = (items: readonly { text: string }[]) => items.map((i) => i.text);
const chat = (room: string, msgId: string, from = BOB): Events["chat"] => ({
  room,
  msgId,
  from,
  name: from === ME ? "me" : "Bob",
  text: msgId,
  ts: 1,
});

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
  assert.deepEqual(rooms.room.value!.members, [{ sessionId: ME, name: "me" }]);
  rooms.showRoom("lobby");
  await rooms.join("deno");
  assert.equal(rooms.currentRoom.value, "deno");
  assert.equal(hub.sent.filter((s) => s.type === "join").length, 1);
  await assert.rejects(rooms.join("no spaces"), /room name/);
});

Deno.test("rooms: leave shows the first room left and clears its unread", async () => {
  const { rooms } = setup();
  await rooms.join("deno");
  rooms.chat(chat("lobby", "m1"));
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

Deno.test("rooms: chat lands in its room, once, and counts unread elsewhere", async () => {
  const { rooms } = setup();
  await rooms.join("deno");
  rooms.chat(chat("deno", "m1"));
  rooms.chat(chat("deno", "m1"));
  rooms.chat(chat("deno", "m2", ME));
  rooms.chat(chat("lobby", "m3"));
  rooms.chat(chat("elsewhere", "m4"));
  const [lobby, deno] = rooms.rooms.value;
  assert.deepEqual(texts(deno.items).slice(1), ["m1", "m2"]);
  assert.equal(deno.unread, 0);
  assert.deepEqual(deno.items.map((i) => i.kind === "message" && i.mine).slice(1), [false, true]);
  assert.deepEqual(texts(lobby.items), ["m3"]);
  assert.equal(lobby.unread, 1);
});

Deno.test("rooms: say checks the text, then sends it to the room shown", async () => {
  const { hub, rooms } = setup();
  await assert.rejects(rooms.say("  "), /Type a message first/);
  await assert.rejects(rooms.say("x".repeat(5000)), /at most 4000/);
  await rooms.say("hi");
  assert.deepEqual(hub.sent.at(-1), { type: "chat", data: { room: "lobby", text: "hi" } });
});

Deno.test("rooms: presence and renames update members and tell the room", () => {
  const { rooms } = setup();
  assert.equal(
    rooms.presence({ room: "lobby", sessionId: BOB, name: "Bob", action: "join" }),
    true,
  );
  assert.equal(rooms.memberName(BOB), "Bob");
  rooms.renamed({ sessionId: BOB, name: "Robert" });
  rooms.renamed({ sessionId: BOB, name: "Robert" });
  rooms.renamed({ sessionId: "01NOBODY", name: "X" });
  assert.equal(rooms.memberName(BOB), "Robert");
  assert.equal(
    rooms.presence({ room: "lobby", sessionId: BOB, name: "Robert", action: "leave" }),
    true,
  );
  assert.equal(rooms.memberName(BOB), undefined);
  assert.equal(rooms.presence({ room: "deno", sessionId: BOB, name: "B", action: "join" }), false);
  assert.deepEqual(texts(rooms.rooms.value[0].items), [
    "Bob joined #lobby.",
    "Bob is now Robert.",
    "Robert left #lobby.",
  ]);
});

Deno.test("rooms: our own rename shows in every member list, without a notice", async () => {
  const { rooms } = setup();
  await rooms.join("deno");
  rooms.renameSelf(ME, "Ada");
  assert.equal(rooms.memberName(ME), "Ada");
  assert.deepEqual(texts(rooms.room.value!.items), ["You joined #deno."]);
});

Deno.test("rooms: a new session clears member lists, then resync joins the rooms again", async () => {
  const { hub, rooms } = setup();
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
  hub.sent.length = 0;
  await Promise.all(rooms.resync());
  assert.deepEqual(hub.sent, [
    { type: "rooms", data: undefined },
    { type: "join", data: { room: "deno" } },
    { type: "leave", data: { room: "lobby" } },
  ]);
  assert.deepEqual(rooms.room.value!.members, [{ sessionId: ME, name: "me" }]);
  assert.deepEqual(rooms.roomList.value, [{ room: "lobby", size: 2 }]);
});
