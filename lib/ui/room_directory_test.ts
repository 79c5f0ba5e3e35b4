import assert from "node:assert/strict";
import { directoryView, PRESENCE_LIMIT, roomDirectory } from "./room_directory.ts";
import { fakeRequest } from "./testing/fake_request.ts";

const members = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ sessionId: `s${i}`, userId: null, name: `n${i}` }));

Deno.test("directory: watched, then kept current by the hub's events, never asked again", async () => {
  const hub = fakeRequest({ watch_rooms: () => ({ rooms: [{ room: "lobby", size: 2 }] }) });
  const dir = roomDirectory(hub.request);
  await dir.watch();
  assert.deepEqual(dir.list.value, [{ room: "lobby", size: 2 }]);
  dir.received([{ room: "lobby", size: 3 }, { room: "deno", size: 1 }]);
  assert.deepEqual(dir.list.value, [{ room: "lobby", size: 3 }, { room: "deno", size: 1 }]);
  assert.deepEqual(hub.sent.map((s) => s.type), ["watch_rooms"]);
});

Deno.test("directory view: the rooms we are in count their members, as their headers do", () => {
  const list = [{ room: "lobby", size: 5 }, { room: "big", size: 900 }, { room: "b", size: 2 }];
  assert.deepEqual(
    directoryView(list, [
      { room: "lobby", members: members(4) }, // a leave the hub has not told yet
      { room: "big", members: members(PRESENCE_LIMIT) }, // too big for presence: the hub's count
      { room: "new", members: members(2) }, // not listed yet
      { room: "a", members: [] }, // no member list yet
    ]),
    [
      { room: "big", size: 900 },
      { room: "lobby", size: 4 },
      { room: "b", size: 2 },
      { room: "new", size: 2 },
    ],
  );
});
