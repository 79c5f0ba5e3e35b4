/**
 * What the server API asks of the hub, over an in-process deployment of two hubs
 * (`testing/deployment.ts`): a disconnect reaches the node that has the session, whether the
 * session is connected or away, and ends it for good; a server message is a numbered chat from
 * `server`; a broadcast numbers each room's message in its own stream. On one hub: a user's
 * sessions listed, and ended together.
 */

import assert from "node:assert/strict";
import { Hub } from "./hub.ts";
import type { Link } from "./session.ts";
import { Deployment, type Node } from "./testing/deployment.ts";
import { ManualTimers } from "./timers.ts";

/** A connection that keeps its frames' types and data, and how it was closed. */
function connection() {
  const frames: { type: string; data: Record<string, unknown> }[] = [];
  const link: Link & { closed?: [number, string] } = {
    send: (frame) => void frames.push(JSON.parse(frame)),
    close(code, reason) {
      link.closed = [code, reason];
    },
  };
  return { frames, link };
}

function open(node: Node) {
  const conn = connection();
  return { ...conn, id: node.hub.connect(conn.link).id };
}

Deno.test("disconnect from one node ends a connected session on the other, with its code", async () => {
  const deployment = new Deployment();
  const [a, b] = [await deployment.node(), await deployment.node()];
  const watcher = open(a);
  const victim = open(b);
  const answer = await a.hub.calls.disconnect({ sessionId: victim.id, code: 4321, reason: "Bye" });
  assert.deepEqual(answer, { disconnected: [victim.id] });
  assert.deepEqual(victim.link.closed, [4321, "Bye"]);
  assert.equal(b.hub.session(victim.id), undefined, "the session ended");
  // Its end is a disconnect: the lobby on the other node hears it leave.
  assert.ok(
    watcher.frames.some((f) =>
      f.type === "presence" && f.data.sessionId === victim.id && f.data.action === "leave"
    ),
  );
  assert.deepEqual(await a.hub.calls.disconnect({ sessionId: victim.id }), { disconnected: [] });
});

Deno.test("disconnect ends an away session too: it can no longer be resumed", async () => {
  const deployment = new Deployment();
  const node = await deployment.node();
  const away = open(node);
  node.hub.detach(away.id, away.link, false);
  assert.ok(node.hub.session(away.id)?.away, "away, waiting to be resumed");
  const answer = await node.hub.calls.disconnect({ sessionId: away.id });
  assert.deepEqual(answer, { disconnected: [away.id] });
  assert.equal(node.hub.session(away.id), undefined);
  assert.equal(away.link.closed, undefined, "its connection was already gone");
});

Deno.test("publish and broadcast: chat from the server, numbered in each room's stream", async () => {
  const deployment = new Deployment();
  const node = await deployment.node();
  const member = open(node);
  const published = await node.hub.calls.publish({ room: "lobby", text: "hi", data: { a: 1 } });
  assert.equal(published.offset, 1);
  const chat = member.frames.find((f) => f.type === "chat")!;
  assert.deepEqual(chat.data, {
    room: "lobby",
    msgId: published.msgId,
    from: "server",
    userId: null,
    name: "server",
    text: "hi",
    ts: published.ts,
    data: { a: 1 },
    offset: 1,
    epoch: published.epoch,
  });
  const { results } = await node.hub.calls.broadcast({ rooms: ["lobby", "x"], text: "all" });
  assert.deepEqual(results.map((r) => [r.room, r.offset]), [["lobby", 2], ["x", 1]]);
  assert.ok(results[0].msgId < results[1].msgId, "ids made in the order of the rooms");
  assert.ok(published.msgId < results[0].msgId, "ids keep increasing");
});

Deno.test("a user's sessions: listed, and all ended by one disconnect; other sessions stay", async () => {
  const hub = new Hub({ heartbeatMs: 60_000, dmRequestTtlMs: 60_000, timers: new ManualTimers() });
  const connectAs = (userId: string | null) => {
    const conn = connection();
    const identity = userId === null
      ? undefined
      : { userId, rooms: [], admin: false, expiresAt: Date.now() + 3_600_000 };
    return { ...conn, session: hub.connect(conn.link, undefined, identity) };
  };
  const [first, second] = [connectAs("user-42"), connectAs("user-42")];
  const other = connectAs("user-7");
  const anonymous = connectAs(null);
  const listed = await hub.calls.userSessions({ userId: "user-42" });
  assert.deepEqual(listed, {
    userId: "user-42",
    sessions: [first, second].map(({ session }) => ({
      sessionId: session.id,
      name: session.name,
      connectedAt: session.connectedAt,
    })),
  });
  const presence = await hub.calls.presence({ room: "lobby" });
  assert.deepEqual(
    presence.members.map((m) => m.userId).sort(),
    [null, "user-42", "user-42", "user-7"].sort(),
  );
  const answer = await hub.calls.disconnect({ userId: "user-42" });
  assert.deepEqual(answer.disconnected.sort(), [first.session.id, second.session.id].sort());
  assert.deepEqual([first.link.closed, second.link.closed], [
    [4003, "Disconnected by the application"],
    [4003, "Disconnected by the application"],
  ]);
  assert.equal(other.link.closed, undefined);
  assert.equal(anonymous.link.closed, undefined);
  assert.deepEqual(await hub.calls.userSessions({ userId: "user-42" }), {
    userId: "user-42",
    sessions: [],
  });
  assert.deepEqual(await hub.calls.disconnect({ userId: "user-42" }), { disconnected: [] });
  await hub.close();
});

Deno.test("bad input: publish and broadcast into a room far behind in its deliveries are refused with rate_limited, a broadcast whole", async () => {
  const turns: (() => void)[] = [];
  const deployment = new Deployment();
  const node = await deployment.node({
    fanoutSlice: 2,
    maxRoomBacklog: 10,
    yieldTo: (next) => void turns.push(next),
  });
  const members = Array.from({ length: 6 }, () => open(node));
  const chats = () => members[5].frames.filter((f) => f.type === "chat").map((f) => f.data.text);
  while (turns.length > 0) turns.shift()!(); // the joins' presence events
  // Each message goes to 6 members, 2 at a time: after "1" 4 deliveries wait, after "2" 10,
  // after "3" 16, which is over the limit of 10.
  for (const text of ["1", "2", "3"]) await node.hub.calls.publish({ room: "lobby", text });
  await assert.rejects(
    () => node.hub.calls.publish({ room: "lobby", text: "4" }),
    (err: Error & { code?: string }) => err.code === "rate_limited",
  );
  await assert.rejects(
    () => node.hub.calls.broadcast({ rooms: ["quiet", "lobby"], text: "4" }),
    (err: Error & { code?: string }) => err.code === "rate_limited",
  );
  assert.equal((await node.hub.calls.history({ room: "quiet" })).messages.length, 0, "none of it");
  while (turns.length > 0) turns.shift()!();
  await node.hub.calls.publish({ room: "lobby", text: "5" });
  while (turns.length > 0) turns.shift()!();
  assert.deepEqual(chats(), ["1", "2", "3", "5"]);
});
