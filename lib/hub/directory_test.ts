/** The room directory subscription, on a hub with hand-driven time. */

import assert from "node:assert/strict";
import type { ReplyData, RequestType } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { Hub } from "./hub.ts";
import { ManualTimers } from "./timers.ts";

function setup() {
  const timers = new ManualTimers(0);
  const hub = new Hub({ heartbeatMs: 60_000, dmRequestTtlMs: 60_000, timers });
  const open = () => {
    const frames: { type: string; data: Record<string, unknown> }[] = [];
    const session = hub.connect((f) => frames.push(JSON.parse(f)));
    const lists = () => frames.filter((f) => f.type === "rooms").map((f) => f.data.rooms);
    return { id: session.id, frames, lists };
  };
  const call = async <T extends RequestType>(id: string, type: T, data = {}) =>
    await hub.handle(id, { type, id: 1, data } as ValidRequest) as ReplyData<T>;
  // Lets the tick's read of the room list settle.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { hub, timers, open, call, settle };
}

Deno.test("watch_rooms answers the list, then sends it again only when it changed, at most once a second", async () => {
  const { timers, open, call, settle } = setup();
  const a = open(), b = open();
  assert.deepEqual(await call(a.id, "watch_rooms"), { rooms: [{ room: "lobby", size: 2 }] });

  await call(b.id, "join", { room: "x" });
  await call(b.id, "join", { room: "y" });
  timers.advance(999);
  await settle();
  assert.deepEqual(a.lists(), [], "not before a second");
  timers.advance(1);
  await settle();
  assert.deepEqual(a.lists(), [[
    { room: "lobby", size: 2 },
    { room: "x", size: 1 },
    { room: "y", size: 1 },
  ]], "two joins, one event");

  timers.advance(1000);
  await settle();
  assert.equal(a.lists().length, 1, "nothing changed, nothing sent");
  assert.deepEqual(b.lists(), [], "only watchers hear it");

  await call(b.id, "leave", { room: "y" });
  timers.advance(1000);
  await settle();
  assert.deepEqual(a.lists().at(-1), [{ room: "lobby", size: 2 }, { room: "x", size: 1 }]);
});

Deno.test("unwatch_rooms, or the watcher's end, stops the events and the timer", async () => {
  const { hub, timers, open, call, settle } = setup();
  const a = open(), b = open(), c = open();
  await call(a.id, "watch_rooms");
  await call(c.id, "watch_rooms");
  assert.deepEqual(await call(a.id, "unwatch_rooms"), {});
  await call(b.id, "join", { room: "x" });
  timers.advance(1000);
  await settle();
  assert.deepEqual(a.lists(), [], "unwatched");
  assert.equal(c.lists().length, 1);
  hub.disconnect(c.id);
  timers.advance(1000);
  await settle();
  assert.equal(timers.pending, 0, "no one watches: no timer");
});

Deno.test("private rooms are listed only to sessions that may enter them (rooms and watch_rooms)", async () => {
  const { hub, timers, call, settle } = setup();
  const identity = (userId: string, rooms: string[], admin = false) => ({
    userId,
    rooms,
    admin,
    expiresAt: Date.now() + 3_600_000,
  });
  const open = (who?: ReturnType<typeof identity>) => {
    const frames: { type: string; data: Record<string, unknown> }[] = [];
    const session = hub.connect((f) => frames.push(JSON.parse(f)), undefined, who) as {
      id: string;
    };
    const lists = () => frames.filter((f) => f.type === "rooms").map((f) => f.data.rooms);
    return { id: session.id, lists };
  };
  const ada = open(identity("ada", ["private-team"]));
  const anon = open();
  const boss = open(identity("boss", [], true));
  timers.advance(0);
  await call(ada.id, "join", { room: "private-team" });
  const names = (reply: ReplyData<"rooms">) => reply.rooms.map((r) => r.room);
  assert.deepEqual(names(await call(ada.id, "rooms")), ["lobby", "private-team"]);
  assert.deepEqual(names(await call(anon.id, "rooms")), ["lobby"], "not named to outsiders");
  assert.deepEqual(
    names(await call(boss.id, "rooms")),
    ["lobby", "private-team"],
    "admin sees all",
  );
  assert.deepEqual(names(await call(anon.id, "watch_rooms")), ["lobby"]);
  await call(ada.id, "watch_rooms");
  await call(ada.id, "join", { room: "open" });
  timers.advance(1000);
  await settle();
  const last = (lists: unknown[]) => (lists.at(-1) as { room: string }[]).map((r) => r.room);
  assert.deepEqual(last(ada.lists()), ["lobby", "open", "private-team"]);
  assert.deepEqual(last(anon.lists()), ["lobby", "open"]);
});
