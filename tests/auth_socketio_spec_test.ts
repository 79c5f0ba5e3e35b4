/**
 * Identity on the Socket.IO endpoint (issue 14: "It also works on the Socket.IO endpoint through
 * the CONNECT `auth` payload"), black-box with the official client against a server process.
 */

import assert from "node:assert/strict";
import { spawnServer } from "./server_process.ts";
import { ack, CLIENTS, connect, record, withTimeout } from "./socketio_helpers.ts";
import { eventually, Probe } from "./helpers.ts";
import { closedWithin, nowS, openWith, SECRET, token, unsignedToken } from "./spec_helpers.ts";

const { io } = CLIENTS[0];

Deno.test("Socket.IO: the token in the CONNECT auth payload; refused without one in required mode", async (t) => {
  await using server = await spawnServer({
    AUTH_MODE: "required",
    AUTH_SECRET: SECRET,
    CHAT_RATE: "0",
  });
  const jwt = await token({ sub: "user-sio", name: "Sio" });

  await t.step("a valid token connects, and its sessions carry the user", async () => {
    await using watcher = await openWith(server, await token({ sub: "user-watch" }));
    await using client = await connect(io, server.origin, {
      auth: { token: jwt },
      transports: ["websocket"],
    });
    assert.equal(client.clientId.length, 26);
    client.socket.emit("chat", { room: "lobby", text: "from socket.io" });
    const chat = await watcher.next((f) => f.type === "chat" && f.data?.text === "from socket.io");
    assert.equal(chat.data?.from, client.clientId);
    assert.equal(chat.data?.userId, "user-sio", JSON.stringify(chat));
    assert.equal(chat.data?.name, "Sio");
  });

  for (
    const [what, auth] of [
      ["no auth payload", undefined],
      ["an empty auth payload", {}],
      ["an expired token", { token: await token({ sub: "user-sio" }, { exp: nowS() - 10 }) }],
      ["alg: none", { token: unsignedToken({ sub: "user-sio", exp: nowS() + 60 }) }],
    ] as const
  ) {
    await t.step(`refused: ${what}`, async () => {
      const attempt = connect(io, server.origin, { auth, transports: ["websocket"] });
      const outcome = await attempt.then(
        async (client) => {
          await client[Symbol.asyncDispose]();
          return "connected";
        },
        (err: Error) => `refused: ${err.message}`,
      );
      assert.match(outcome, /^refused/, `${what}: ${outcome}`);
    });
  }
});

Deno.test("Socket.IO: the token's claims apply as on /ws (private rooms, the name lock)", async () => {
  await using server = await spawnServer({
    AUTH_MODE: "optional",
    AUTH_SECRET: SECRET,
    CHAT_RATE: "0",
  });
  await using member = await connect(io, server.origin, {
    auth: { token: await token({ sub: "user-sio-m", name: "Member", rooms: ["private-sio"] }) },
    transports: ["websocket"],
  });
  await using anon = await connect(io, server.origin, { transports: ["websocket"] });

  const [joined] = await ack(member.socket, "join", { room: "private-sio" });
  const members = (joined as { members: Record<string, unknown>[] }).members;
  assert.deepEqual(members.map((m) => [m.sessionId, m.userId, m.name]), [
    [member.clientId, "user-sio-m", "Member"],
  ]);
  const [refused] = await ack(anon.socket, "join", { room: "private-sio" });
  assert.equal((refused as { error?: { code: string } }).error?.code, "forbidden");
  const [renamed] = await ack(member.socket, "set_name", { name: "Other" });
  assert.equal((renamed as { error?: { code: string } }).error?.code, "forbidden");
  const [anonRenamed] = await ack(anon.socket, "set_name", { name: "Anon" });
  assert.equal((anonRenamed as { name?: string }).name, "Anon");
});

Deno.test("Socket.IO: USER_CONNECTION_LIMIT counts a user's sessions on both endpoints", async () => {
  await using server = await spawnServer({
    AUTH_MODE: "required",
    AUTH_SECRET: SECRET,
    USER_CONNECTION_LIMIT: "1",
  });
  const refusedSio = async (jwt: string) =>
    await connect(io, server.origin, { auth: { token: jwt }, transports: ["websocket"] }).then(
      async (client) => {
        await client[Symbol.asyncDispose]();
        return "connected";
      },
      (err: Error) => `refused: ${err.message}`,
    );

  // /ws first: the Socket.IO connection is the one over the limit.
  const ada = await token({ sub: "user-both-a" });
  await using ws = await openWith(server, ada);
  assert.match(await refusedSio(ada), /^refused/);
  assert.equal((await ws.request("ping")).ok, true);

  // Socket.IO first: the /ws connection is the one over the limit, closed with 4005.
  const bob = await token({ sub: "user-both-b" });
  await using sio = await connect(io, server.origin, {
    auth: { token: bob },
    transports: ["websocket"],
  });
  const probe = new Probe(`${server.wsUrl}?token=${bob}`);
  const closed = await closedWithin(probe, 5000);
  assert.equal(closed.code, 4005, JSON.stringify(closed));
  assert.equal(sio.socket.connected, true);
});

Deno.test("Socket.IO: token_expiring comes, and the session ends within a second of exp", async () => {
  // Reading: Socket.IO has no close codes; "closes with 4001" becomes the connection's end.
  await using server = await spawnServer({ AUTH_MODE: "required", AUTH_SECRET: SECRET });
  const exp = nowS() + 3;
  const socket = io(server.origin, {
    auth: { token: await token({ sub: "user-sio-exp" }, { exp }) },
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
  });
  const expiring: unknown[] = [];
  socket.on("token_expiring", (data: unknown) => expiring.push(data));
  const ended = new Promise<number>((resolve) =>
    socket.once("disconnect", () => resolve(Date.now()))
  );
  try {
    const at = await withTimeout(ended, "the end of the session", exp * 1000 - Date.now() + 3000);
    assert.deepEqual(expiring, [{ expiresAt: exp * 1000 }]);
    assert.ok(at >= exp * 1000 - 1000, `ended ${exp * 1000 - at} ms before exp`);
    assert.ok(at <= exp * 1000 + 1250, `ended ${at - exp * 1000} ms after exp`);
  } finally {
    socket.disconnect();
  }
});

Deno.test("Socket.IO: the seeds' join-room is no way into a private room", async () => {
  await using server = await spawnServer({
    AUTH_MODE: "optional",
    AUTH_SECRET: SECRET,
    CHAT_RATE: "0",
  });
  await using member = await openWith(server, await token({ sub: "user-m", rooms: ["private-x"] }));
  assert.equal((await member.request("join", { room: "private-x" })).ok, true);
  await using eve = await connect(io, server.origin, { transports: ["websocket"] });
  const chats = record(eve.socket, "chat");
  const errors = record(eve.socket, "error");
  eve.socket.emit("join-room", { roomName: "private-x", username: "eve" });
  eve.socket.emit("join-room", { room: "private-x", username: "eve" });
  await eventually(() => assert.equal(errors.length, 2, JSON.stringify(errors)));
  for (const [error] of errors) assert.equal((error as { code: string }).code, "forbidden");
  // A chat sent after the refusals, and a request of eve's behind it: nothing reached her.
  await member.request("chat", { room: "private-x", text: "members only" });
  await ack(eve.socket, "ping");
  assert.deepEqual(chats, []);
});
