import assert from "node:assert/strict";
import type { ChatMessage, HistoryReply } from "../protocol/mod.ts";
import {
  atPosition,
  emptyStream,
  hasOlder,
  historyPage,
  latestShown,
  liveMessage,
  oldestShown,
  type RoomStream,
  withNotice,
} from "./room_stream.ts";

const ME = "01ME";
const MAX = 500;

const msg = (offset: number, epoch = "e1", from = "01BOB"): ChatMessage => ({
  room: "deno",
  msgId: `${epoch}-${offset}`,
  from,
  userId: null,
  name: from === ME ? "me" : "Bob",
  text: `m${offset}`,
  ts: offset,
  epoch,
  offset,
});

const page = (offsets: number[], latest: number, epoch = "e1"): HistoryReply => ({
  room: "deno",
  epoch,
  offset: latest,
  messages: offsets.map((o) => msg(o, epoch)),
});

const texts = (s: RoomStream) => s.items.map((i) => i.text);

function live(s: RoomStream, ...offsets: number[]): RoomStream {
  for (const o of offsets) s = liveMessage(s, msg(o), ME, MAX);
  return s;
}

Deno.test("room stream: live messages go in offset order; a repeat or an older one is dropped", () => {
  const s = live(emptyStream(), 1, 2, 3);
  assert.deepEqual(texts(s), ["m1", "m2", "m3"]);
  assert.equal(s.epoch, "e1");
  assert.equal(latestShown(s), 3);
  assert.equal(oldestShown(s), 1);
  assert.equal(liveMessage(s, msg(3), ME, MAX), s, "a repeat changes nothing");
  assert.equal(liveMessage(s, msg(2), ME, MAX), s, "not newer than the last shown");
  const mine = liveMessage(s, msg(4, "e1", ME), ME, MAX);
  const last = mine.items.at(-1);
  assert.equal(last?.kind === "message" && last.mine, true);
});

Deno.test("room stream: a join's position sets the epoch; the same one changes nothing else", () => {
  const joined = withNotice(atPosition(emptyStream(), { epoch: "e1", offset: 7 }), "joined", MAX);
  assert.equal(joined.epoch, "e1");
  assert.equal(joined.serverLatest, 7);
  assert.equal(latestShown(joined), 0, "the position is not a message shown");
  assert.equal(hasOlder(joined), true, "seven messages on the server, none shown");
  assert.equal(atPosition(joined, { epoch: "e1", offset: 3 }), joined);
  assert.equal(hasOlder(atPosition(emptyStream(), { epoch: "e1", offset: 0 })), false);
  assert.equal(hasOlder(emptyStream()), false);
});

Deno.test("room stream: the first history page goes above the notices, in order", () => {
  let s = withNotice(atPosition(emptyStream(), { epoch: "e1", offset: 3 }), "You joined", MAX);
  s = historyPage(s, page([1, 2, 3], 3), { limit: 50 }, ME);
  assert.deepEqual(texts(s), ["m1", "m2", "m3", "You joined"]);
  assert.equal(hasOlder(s), false, "offset 1 is the start");
  s = live(s, 4);
  assert.deepEqual(texts(s), ["m1", "m2", "m3", "You joined", "m4"]);
});

Deno.test("room stream: history overlapping live messages and replays shows each message once", () => {
  // After a resume the replay comes first, then history that covers it and more.
  let s = live(emptyStream(), 5, 6);
  s = historyPage(s, page([3, 4, 5, 6, 7], 7), { limit: 5 }, ME);
  assert.deepEqual(texts(s), ["m3", "m4", "m5", "m6", "m7"]);
  assert.equal(liveMessage(s, msg(7), ME, MAX), s, "the live event of a message history had");
  assert.equal(hasOlder(s), true, "a full page: there may be more");
  s = live(s, 8);
  assert.deepEqual(texts(s).slice(-2), ["m7", "m8"]);
});

Deno.test("room stream: older pages go on top, and a short page ends the scrolling", () => {
  let s = historyPage(emptyStream(), page([8, 9, 10], 10), { limit: 3 }, ME);
  assert.equal(oldestShown(s), 8);
  assert.equal(hasOlder(s), true);
  s = historyPage(s, page([6, 7], 10), { limit: 3, before: 8 }, ME);
  assert.deepEqual(texts(s), ["m6", "m7", "m8", "m9", "m10"]);
  assert.equal(hasOlder(s), false, "the server kept nothing below offset 6");
  assert.equal(s.horizon, 6);
  const empty = historyPage(
    historyPage(emptyStream(), page([8, 9, 10], 10), { limit: 3 }, ME),
    page([], 10),
    { limit: 3, before: 8 },
    ME,
  );
  assert.equal(hasOlder(empty), false, "an empty page below 8: nothing older");
});

Deno.test("room stream: a gap is filled where it belongs; messages after a drop go last", () => {
  let s = withNotice(live(emptyStream(), 1, 2), "Connection lost", MAX);
  s = historyPage(s, page([1, 2, 3, 4], 4), { limit: 50 }, ME);
  assert.deepEqual(texts(s), ["m1", "m2", "Connection lost", "m3", "m4"]);
  // A hole in the middle (an older page fetched after a trim) lands between its neighbours.
  const holed = historyPage(
    live(historyPage(emptyStream(), page([1, 2], 2), { limit: 2 }, ME), 5),
    page([3, 4], 5),
    { limit: 2, before: 5 },
    ME,
  );
  assert.deepEqual(texts(holed), ["m1", "m2", "m3", "m4", "m5"]);
});

Deno.test("room stream: a new epoch starts the stream over below what is shown", () => {
  let s = live(emptyStream(), 1, 2);
  s = atPosition(s, { epoch: "e2", offset: 0 });
  assert.equal(s.epoch, "e2");
  assert.equal(latestShown(s), 0);
  assert.equal(oldestShown(s), null);
  assert.match(texts(s).at(-1)!, /no longer has the messages above/);
  // Offset 1 again, in the new epoch: not a repeat.
  s = liveMessage(s, msg(1, "e2"), ME, MAX);
  assert.equal(texts(s).length, 4);
  assert.equal(texts(s).at(-1), "m1");
  // The new epoch's history goes after the reset notice, not above the old messages.
  let t = atPosition(live(emptyStream(), 1, 2), { epoch: "e2", offset: 2 });
  t = historyPage(t, page([1, 2], 2, "e2"), { limit: 50 }, ME);
  assert.deepEqual(texts(t).map((x) => x.slice(0, 8)), ["m1", "m2", "The serv", "m1", "m2"]);
  assert.deepEqual(t.items.map((i) => i.key).slice(-2), ["e2-1", "e2-2"]);
  // A live chat from a new epoch resets too (the room sat idle past its history's lifetime).
  const idle = liveMessage(live(emptyStream(), 1, 2, 3), msg(1, "e3"), ME, MAX);
  assert.equal(idle.epoch, "e3");
  assert.equal(texts(idle).at(-1), "m1");
});

Deno.test("room stream: a new epoch with nothing shown needs no notice", () => {
  const s = atPosition(
    withNotice(atPosition(emptyStream(), { epoch: "e1", offset: 0 }), "You joined", MAX),
    { epoch: "e2", offset: 0 },
  );
  assert.deepEqual(texts(s), ["You joined"]);
  const t = historyPage({ ...s, serverLatest: 1 }, page([1], 1, "e2"), { limit: 50 }, ME);
  assert.deepEqual(texts(t), ["You joined", "m1"], "below the notices of the old epoch");
});

Deno.test("room stream: live messages keep the newest items; inputs are never changed", () => {
  const s = live(emptyStream(), 1, 2);
  const frozen = structuredClone(s);
  const capped = liveMessage(s, msg(3), ME, 2);
  assert.deepEqual(texts(capped), ["m2", "m3"]);
  assert.equal(hasOlder(capped), true, "offset 1 was cut: it can be loaded again");
  historyPage(s, page([3], 3), { limit: 50 }, ME);
  assert.deepEqual(s, frozen);
});
