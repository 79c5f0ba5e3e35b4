/**
 * A Socket.IO session is a hub session like a `/ws` one: the two chat in one lobby, see each
 * other's presence and count in `num_clients`, and hold a consented DM conversation. Native
 * requests in Socket.IO framing follow the `/ws` rules; a reconnect is a new session.
 */

import assert from "node:assert/strict";
import { connectClient, eventually, startTestServer, stats } from "./helpers.ts";
import { ack, CLIENTS, connect, next, record, TcpProxy } from "./socketio_helpers.ts";
import type { Events, EventType } from "../lib/protocol/mod.ts";
import type { HubClient } from "../lib/client/mod.ts";
import { socketIoEdge } from "../lib/edge/socketio/mod.ts";

/** The next `event` a HubClient gets. */
function nextNative<E extends EventType>(
  client: HubClient,
  event: E,
  match: (data: Events[E]) => boolean = () => true,
): Promise<Events[E]> {
  return new Promise((resolve) => {
    const off = client.on(event, (data) => {
      if (!match(data)) return;
      off();
      resolve(data);
    });
  });
}

for (const { version, io } of CLIENTS) {
  Deno.test(`socket.io-client ${version} and a /ws client chat in one lobby and see each other`, async () => {
    await using server = await startTestServer();
    await using native = await connectClient(server);
    const joined = nextNative(native, "presence", (p) => p.action === "join");
    await using sio = await connect(io, server.origin, { transports: ["polling"] });
    const presence = await joined;
    assert.equal(presence.sessionId, sio.clientId);
    assert.equal(presence.room, "lobby");

    const [count] = await ack(sio.socket, "num_clients");
    assert.deepEqual(count, { count: 2 });
    assert.equal((await stats(server)).count, 2);

    // /ws to Socket.IO: the chat event arrives with the same name and data.
    const toSio = next(sio.socket, "chat");
    await native.request("chat", { room: "lobby", text: "from ws" });
    const [chat] = await toSio as [Events["chat"]];
    assert.equal(chat.text, "from ws");
    assert.equal(chat.from, native.session!.sessionId);
    assert.equal(typeof chat.offset, "number");

    // Socket.IO to /ws, with the reply in the ack.
    const toNative = nextNative(native, "chat", (c) => c.text === "from sio");
    const [reply] = await ack(sio.socket, "chat", { room: "lobby", text: "from sio" }) as [{
      msgId: string;
    }];
    const got = await toNative;
    assert.equal(got.from, sio.clientId);
    assert.equal(got.msgId, reply.msgId);

    // A rename reaches the other side as `renamed`.
    const renamed = nextNative(native, "renamed");
    assert.deepEqual(await ack(sio.socket, "set_name", { name: "Ada" }), [{ name: "Ada" }]);
    assert.deepEqual(await renamed, { sessionId: sio.clientId, name: "Ada" });

    // Leaving ends the session: presence leave, and the count drops within the limit.
    const left = nextNative(native, "presence", (p) => p.action === "leave");
    sio.socket.disconnect();
    assert.equal((await left).sessionId, sio.clientId);
    await eventually(async () => assert.equal((await stats(server)).count, 1), 3000);
  });

  Deno.test(`socket.io-client ${version} and a /ws client hold a consented DM conversation`, async () => {
    await using server = await startTestServer();
    await using native = await connectClient(server);
    await using sio = await connect(io, server.origin, { transports: ["websocket"] });
    const nativeId = native.session!.sessionId;

    // Socket.IO asks, /ws agrees.
    const asked = nextNative(native, "dm_request");
    const [pending] = await ack(sio.socket, "dm_request", { to: nativeId });
    assert.deepEqual(pending, { to: nativeId, status: "pending" });
    assert.equal((await asked).from, sio.clientId);
    const accepted = next(sio.socket, "dm_accepted");
    await native.request("dm_accept", { from: sio.clientId });
    assert.equal((await accepted as [Events["dm_accepted"]])[0].with, nativeId);

    // Messages both ways.
    const toNative = nextNative(native, "dm");
    sio.socket.emit("dm", { to: nativeId, text: "hello ws" });
    assert.equal((await toNative).text, "hello ws");
    const toSio = next(sio.socket, "dm");
    await native.request("dm", { to: sio.clientId, text: "hello sio" });
    const [dm] = await toSio as [Events["dm"]];
    assert.equal(dm.text, "hello sio");
    assert.equal(dm.from, nativeId);

    // The seed's unconsented path does not reach a /ws session.
    const seed = next(sio.socket, "message");
    sio.socket.send({ targetClientId: nativeId, message: "psst" });
    assert.deepEqual(await seed, [{ error: "Target client ID not found" }]);

    const closed = next(sio.socket, "dm_closed");
    await native.request("dm_close", { with: sio.clientId });
    assert.deepEqual(await closed, [{ with: nativeId, reason: "closed" }]);
  });
}

Deno.test("native requests in Socket.IO framing: failures without an ack come as error, never as the event", async () => {
  await using server = await startTestServer();
  const { io } = CLIENTS[0];
  await using sio = await connect(io, server.origin);
  const chats = record(sio.socket, "chat");
  const error = next(sio.socket, "error");
  sio.socket.emit("chat", { room: "elsewhere", text: "hi" });
  assert.deepEqual(await error, [{
    event: "chat",
    code: "not_member",
    message: 'Not a member of room "elsewhere"',
  }]);
  const [unknown] = await ack(sio.socket, "no_such_event", {});
  assert.equal((unknown as { error: { code: string } }).error.code, "unknown_type");
  const [bad] = await ack(sio.socket, "join", { room: "no spaces allowed" });
  assert.equal((bad as { error: { code: string } }).error.code, "bad_request");
  // Success without an ack is silent for requests that are not the seeds' five.
  sio.socket.emit("join", { room: "quiet" });
  const [history] = await ack(sio.socket, "history", { room: "quiet" });
  assert.equal((history as { room: string }).room, "quiet");
  assert.equal(chats.length, 0);
});

for (const transport of ["websocket", "polling"] as const) {
  Deno.test(`a dropped TCP connection (${transport}): the client reconnects as a new session, the old id is unknown, the count comes back`, async () => {
    await using server = await startTestServer();
    await using proxy = new TcpProxy(server.port);
    const { io } = CLIENTS[0];
    await using other = await connect(io, server.origin, { transports: ["websocket"] });
    const socket = io(proxy.origin, {
      forceNew: true,
      transports: [transport],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    try {
      const ids = record(socket, "client_id");
      await eventually(() => assert.equal(ids.length, 1));
      const first = (ids[0][0] as { clientId: string }).clientId;
      await eventually(async () => assert.equal((await stats(server)).count, 2));
      // Cut under a waiting GET: between two GETs, a client opens a new connection and carries on.
      const edge = socketIoEdge(server.services).main;
      if (transport === "polling") await eventually(() => assert.equal(edge.polling, 1));
      const dropped = Date.now();
      proxy.dropAll();
      await eventually(() => assert.equal(ids.length, 2), 5000);
      assert.ok(Date.now() - dropped < 5000);
      const second = (ids[1][0] as { clientId: string }).clientId;
      assert.notEqual(second, first);
      await eventually(async () => assert.equal((await stats(server)).count, 2), 3000);
      const notFound = next(other.socket, "message");
      other.socket.send({ targetClientId: first, message: "still there?" });
      assert.deepEqual(await notFound, [{ error: "Target client ID not found" }]);
      const found = next(socket, "message");
      other.socket.send({ targetClientId: second, message: "there you are" });
      assert.deepEqual(await found, [{ from: other.clientId, content: "there you are" }]);
    } finally {
      socket.disconnect();
    }
  });
}
