/**
 * `HubClient` resuming against the real server: the server drops the client's socket and the
 * client comes back on its own to the same session, still in its rooms, with what it missed
 * replayed; a 1012 brings it back without a backoff delay; a 4009 stops it for good.
 *
 * The resuming client runs on a fake clock, so its backoff delay ends when the test says so:
 * the test can act while the session is away, and "without delay" means the clock never moved.
 * The drop is made on the server side, by closing the client's socket in
 * `server.services.sockets` with a code that keeps the session (as a slow-consumer close or a
 * restart does).
 *
 * @module
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import { FakeTimers } from "../lib/client/testing/fake_timers.ts";
import { CLOSE_CODES, type Events } from "../lib/protocol/mod.ts";
import { connectClient, eventually, startTestServer, type TestServer } from "./helpers.ts";

const ROOM = "resume-room";
const DELAY_MS = 1000;

/** A reconnecting client on a fake clock, with every chat and presence event it gets. */
async function resumingClient(server: TestServer) {
  const timers = new FakeTimers();
  const client = new HubClient(server.wsUrl, {
    timers,
    minDelayMs: DELAY_MS,
    maxDelayMs: DELAY_MS,
  });
  const chats: string[] = [];
  const welcomes: Events["welcome"][] = [];
  client.on("chat", (c) => chats.push(c.text));
  client.on("welcome", (w) => welcomes.push(w));
  await client.ready();
  return { client, timers, chats, welcomes };
}

/** The server side of the only socket open so far. */
function onlySocket(server: TestServer): WebSocket {
  const sockets = [...server.services.sockets];
  assert.equal(sockets.length, 1, "one client connected");
  return sockets[0];
}

Deno.test("client: a server-side drop, then the client resumes its session, rooms and missed chats", async () => {
  await using server = await startTestServer();
  const { client, timers, chats, welcomes } = await resumingClient(server);
  try {
    const first = welcomes[0];
    assert.equal(first.resumed, false);
    await client.request("join", { room: ROOM });
    const mine = onlySocket(server);
    await using other = await connectClient(server);
    await other.request("join", { room: ROOM });
    const presence: string[] = [];
    other.on("presence", (p) => {
      // It shares the lobby too; one room is enough.
      if (p.sessionId === first.sessionId && p.room === ROOM) presence.push(p.action);
    });

    mine.close(CLOSE_CODES.slowConsumer, "Dropped by the test");
    // The server has noticed the drop once the room sees the session go away.
    await eventually(() => assert.deepEqual(presence, ["away"]));
    assert.equal(client.state, "reconnecting");
    await other.request("chat", { room: ROOM, text: "while away" });

    timers.advance(DELAY_MS);
    await eventually(() => assert.equal(welcomes.length, 2));
    const second = welcomes[1];
    assert.equal(second.sessionId, first.sessionId);
    assert.equal(second.resumed, true);
    assert.equal(client.resumed, true);
    assert.equal(client.resumeToken, second.resumeToken);
    assert.notEqual(second.resumeToken, first.resumeToken);
    await eventually(() => assert.deepEqual(presence, ["away", "back"]));

    // Still a member: a chat sent now reaches it, after the replayed one.
    await other.request("chat", { room: ROOM, text: "after" });
    await eventually(() => assert.deepEqual(chats, ["while away", "after"]));
    const { members } = await client.request("join", { room: ROOM });
    assert.equal(members.filter((m) => m.sessionId === first.sessionId).length, 1);
  } finally {
    await client.close();
  }
});

Deno.test("client: a 1012 from the server brings it back at once, resumed and in its rooms", async () => {
  await using server = await startTestServer();
  const { client, timers, chats, welcomes } = await resumingClient(server);
  try {
    await client.request("join", { room: ROOM });
    onlySocket(server).close(CLOSE_CODES.serviceRestart, "Server restarting");
    await eventually(() => assert.equal(welcomes.length, 2));
    assert.equal(timers.now, 0, "no backoff delay ran");
    assert.equal(welcomes[1].sessionId, welcomes[0].sessionId);
    assert.equal(client.resumed, true);
    await using other = await connectClient(server);
    await other.request("join", { room: ROOM });
    await other.request("chat", { room: ROOM, text: "still here?" });
    await eventually(() => assert.deepEqual(chats, ["still here?"]));
  } finally {
    await client.close();
  }
});

Deno.test("client: replaced by a copy that resumed its session (4009), it stops for good", async () => {
  await using server = await startTestServer();
  const { client, timers, welcomes } = await resumingClient(server);
  const copy = new HubClient(server.wsUrl, { resumeToken: client.resumeToken, reconnect: false });
  try {
    await client.request("join", { room: ROOM });
    const welcome = await copy.ready();
    assert.equal(welcome.sessionId, welcomes[0].sessionId);
    assert.equal(copy.resumed, true);
    await eventually(() => assert.equal(client.state, "offline"));
    assert.equal(client.lastClose?.code, CLOSE_CODES.replaced);
    assert.equal(client.resumeToken, undefined);
    timers.advance(60_000);
    assert.equal(client.state, "offline");
    // The copy has the session, rooms included.
    const chats: string[] = [];
    copy.on("chat", (c) => chats.push(c.text));
    await using other = await connectClient(server);
    await other.request("join", { room: ROOM });
    await other.request("chat", { room: ROOM, text: "to the copy" });
    await eventually(() => assert.deepEqual(chats, ["to the copy"]));
    assert.equal(welcomes.length, 1);
  } finally {
    await copy.close();
    await client.close();
  }
});
