/**
 * The Socket.IO endpoint on two nodes joined by a real Redis: Socket.IO sessions are hub sessions
 * (counted and chatting across nodes with `/ws` ones), and the seeds' own names cross nodes on the
 * edge's bus: `/chat`'s broadcast, `/user`'s `new-user`, the rooms' announcements and seed 001's
 * direct messages.
 *
 * Outside CI the tests skip, saying why, when `redis-server` is missing; in CI they fail instead.
 */

import assert from "node:assert/strict";
import { connectClient, eventually } from "./helpers.ts";
import { clusterTest, startCluster, statsCount } from "./cluster_nodes.ts";
import { ack, type Client, CLIENTS, connect, next, record } from "./socketio_helpers.ts";
import { CHANNEL } from "../lib/edge/socketio/bus_redis.ts";
import type { ServerProcess } from "./server_process.ts";

const { io } = CLIENTS[0];

/** How many connections listen on the edge's bus channel, asked of Redis in its own protocol. */
async function busListeners(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const command = `*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n`;
    await conn.write(new TextEncoder().encode(command));
    const buffer = new Uint8Array(256);
    const n = await conn.read(buffer);
    const reply = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    return Number(/:(\d+)\r\n$/.exec(reply)?.[1] ?? -1);
  } finally {
    conn.close();
  }
}

/** Connects a Socket.IO client to each node, then waits until both nodes hear the bus. */
async function onBothNodes(
  nodes: ServerProcess[],
  redisPort: number,
  path = "",
): Promise<Client[]> {
  const clients = await Promise.all(nodes.map((node) => connect(io, `${node.origin}${path}`)));
  await eventually(async () => assert.equal(await busListeners(redisPort), nodes.length));
  return clients;
}

clusterTest(
  "Socket.IO: /chat's broadcast reaches /chat sockets on every node, sender included",
  async () => {
    await using cluster = await startCluster(2);
    const [a, b] = await onBothNodes(cluster.nodes, cluster.redis.port, "/chat");
    await using _a = a;
    await using _b = b;
    const got = [next(a.socket, "new-message"), next(b.socket, "new-message")];
    a.socket.emit("message", "from node 0");
    for (const args of await Promise.all(got)) assert.deepEqual(args, ["from node 0"]);
    const back = [next(a.socket, "new-message"), next(b.socket, "new-message")];
    b.socket.send({ text: "from node 1" });
    for (const args of await Promise.all(back)) assert.deepEqual(args, [{ text: "from node 1" }]);
  },
);

clusterTest(
  "Socket.IO: /user's new-user reaches every node; the sender's count is its own node's",
  async () => {
    await using cluster = await startCluster(2);
    const [a, b] = await onBothNodes(cluster.nodes, cluster.redis.port, "/user");
    await using _a = a;
    await using _b = b;
    for (const client of [a, b]) {
      client.socket.on("new-user", (_data: unknown, done: () => void) => done());
    }
    const remote = next(b.socket, "new-user");
    const [reply] = await ack(a.socket, "user-connected", { user: "ann" });
    assert.deepEqual(reply, { delivered: 1 });
    assert.deepEqual((await remote)[0], { user: "ann" });
  },
);

clusterTest(
  "Socket.IO: sessions on two nodes count, chat with /ws, share rooms and DM by client id",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    const [a, b] = await onBothNodes(cluster.nodes, cluster.redis.port);
    await using _a = a;
    await using _b = b;
    await using native = await connectClient(
      { wsUrl: n1.wsUrl } as Parameters<typeof connectClient>[0],
    );
    await eventually(async () => {
      assert.equal(await statsCount(n0), 3);
      assert.equal(await statsCount(n1), 3);
    });
    assert.deepEqual(await ack(a.socket, "num_clients"), [{ count: 3 }]);

    // Lobby chat from node 0's Socket.IO client reaches node 1's Socket.IO and /ws clients.
    const toB = next(b.socket, "chat");
    const toNative = new Promise<string>((resolve) => native.on("chat", (c) => resolve(c.text)));
    await ack(a.socket, "chat", { room: "lobby", text: "over redis" });
    assert.equal(((await toB)[0] as { text: string }).text, "over redis");
    assert.equal(await toNative, "over redis");

    // Seed 001 across nodes: to a Socket.IO session, yes; to a /ws session, not found.
    const dm = next(b.socket, "message");
    a.socket.send({ targetClientId: b.clientId, message: "hi node 1" });
    assert.deepEqual(await dm, [{ from: a.clientId, content: "hi node 1" }]);
    const refused = next(a.socket, "message");
    a.socket.send({ targetClientId: native.session!.sessionId, message: "psst" });
    assert.deepEqual(await refused, [{ error: "Target client ID not found" }]);

    // Seed 002's rooms: the announcement reaches the member on the other node.
    const aJoined = next(a.socket, "new-user");
    a.socket.emit("join-room", { roomName: "span", username: "ann" });
    await aJoined;
    const bothSee = [next(a.socket, "new-user"), next(b.socket, "new-user")];
    b.socket.emit("join-room", { roomName: "span", username: "bob" });
    for (const got of await Promise.all(bothSee)) {
      assert.deepEqual(got, [{ message: "bob Joined the room." }]);
    }
    const aSeen = record(a.socket, "bob has left the room.");
    b.socket.emit("leave-room", { room: "span", username: "bob" });
    await eventually(() => assert.equal(aSeen.length, 1));
  },
);
