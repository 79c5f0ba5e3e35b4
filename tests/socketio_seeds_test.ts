/**
 * The seeds' events and namespaces on the Socket.IO endpoint, with the official client at 4.8 and
 * at the seeds' 4.0.1: seed 000/004's five requests answered by events of their own names and the
 * heartbeat, seed 001's direct messages by client id, seed 002's rooms, `/chat` and `/user` with
 * client acks (one of which never comes), and multiplexing of the three over one connection.
 */

import assert from "node:assert/strict";
import { connectClient, startTestServer } from "./helpers.ts";
import {
  ack,
  CLIENTS,
  close,
  connect,
  delay,
  next,
  record,
  withTimeout,
} from "./socketio_helpers.ts";

for (const { version, io } of CLIENTS) {
  const name = (what: string) => `socket.io-client ${version}: ${what}`;

  Deno.test(
    name("seed 000/004 requests without an ack answer with an event of their name"),
    async () => {
      await using server = await startTestServer();
      await using client = await connect(io, server.origin);
      const s = client.socket;
      for (const event of ["server_time", "ping"]) {
        const reply = next(s, event);
        s.emit(event);
        const [data] = await reply as [{ serverTime: number }];
        assert.ok(Math.abs(data.serverTime - Date.now()) < 5000, event);
      }
      const time = next(s, "client_time");
      s.emit("client_time");
      const [clientTime] = await time as [{ connectedAt: number; elapsedMs: number }];
      assert.ok(clientTime.connectedAt <= Date.now() && clientTime.elapsedMs >= 0);
      const count = next(s, "num_clients");
      s.emit("num_clients");
      assert.deepEqual(await count, [{ count: 1 }]);
      const random = next(s, "random");
      s.emit("random", { text: "seed" });
      const [r] = await random as [{ text: string; n: number }];
      assert.ok(r.n >= 1 && r.n <= 100 && r.text === `seed ${r.n}`);
      // A refusal comes the same way, and the connection stays open.
      const refused = next(s, "random");
      s.emit("random", { text: 42 });
      assert.deepEqual(await refused, [{
        error: { code: "bad_request", message: "data.text must be a string" },
      }]);
      const binary = next(s, "random");
      s.emit("random", { text: new Uint8Array([1, 2]) });
      const [b] = await binary as [{ error: { code: string } }];
      assert.equal(b.error.code, "bad_request");
      assert.ok((await ack(s, "ping"))[0]);
    },
  );

  Deno.test(
    name("seed 001: a direct message by client id carries the sender's real id"),
    async () => {
      await using server = await startTestServer();
      await using a = await connect(io, server.origin, { transports: ["polling"] });
      await using b = await connect(io, server.origin, { transports: ["websocket"] });
      const got = next(b.socket, "message");
      a.socket.send({ targetClientId: b.clientId, from: "someone-else", message: "hi B" });
      assert.deepEqual(await got, [{ from: a.clientId, content: "hi B" }]);
      const back = next(a.socket, "message");
      b.socket.send({ targetClientId: a.clientId, from: b.clientId, message: "hi A ✓" });
      assert.deepEqual(await back, [{ from: b.clientId, content: "hi A ✓" }]);
      // An unknown target, and payloads with no target (seed 002's), which are accepted silently.
      const seen = record(a.socket, "message");
      a.socket.send("User has connected!");
      a.socket.emit("message", { data: "Connected to the server" });
      a.socket.send({ targetClientId: "01J0000000000000000000NONE", message: "anyone?" });
      await withTimeout(
        (async () => {
          while (seen.length === 0) await delay(10);
        })(),
        "not-found error",
      );
      await delay(100);
      assert.deepEqual(seen, [[{ error: "Target client ID not found" }]]);
    },
  );

  Deno.test(name("seed 002: join-room and leave-room announce to the room's members"), async () => {
    await using server = await startTestServer();
    await using ann = await connect(io, server.origin);
    await using bob = await connect(io, server.origin, { transports: ["polling"] });
    const annJoined = next(ann.socket, "new-user");
    ann.socket.emit("join-room", { id: ann.socket.id, roomName: "seeds", username: "ann" });
    assert.deepEqual(await annJoined, [{ message: "ann Joined the room." }]);
    const both = [next(ann.socket, "new-user"), next(bob.socket, "new-user")];
    bob.socket.emit("join-room", { roomName: "seeds", username: "bob" });
    for (const got of await Promise.all(both)) {
      assert.deepEqual(got, [{ message: "bob Joined the room." }]);
    }
    // The room is a hub room: the native `history` sees bob as a member.
    const [history] = await ack(bob.socket, "history", { room: "seeds" }) as [{ room: string }];
    assert.equal(history.room, "seeds");
    const left = next(ann.socket, "bob has left the room.");
    const bobSeen = record(bob.socket, "bob has left the room.");
    bob.socket.emit("leave-room", { room: "seeds", username: "bob" });
    assert.deepEqual(await left, []);
    await delay(100);
    assert.equal(bobSeen.length, 0);
    // Leaving a room one is not in is refused, as `leave` is.
    const [refused] = await ack(bob.socket, "leave-room", { roomName: "seeds", username: "bob" });
    assert.equal((refused as { error: { code: string } }).error.code, "not_member");
  });

  Deno.test(
    name("seed 002: /chat's message reaches every /chat socket, sender included, and nobody else"),
    async () => {
      await using server = await startTestServer();
      await using root = await connect(io, server.origin);
      await using one = await connect(io, `${server.origin}/chat`);
      await using two = await connect(io, `${server.origin}/chat`, { transports: ["polling"] });
      const rootSeen = record(root.socket, "new-message");
      const got = [next(one.socket, "new-message"), next(two.socket, "new-message")];
      one.socket.send("User has connected!");
      for (const args of await Promise.all(got)) assert.deepEqual(args, ["User has connected!"]);
      const again = [next(one.socket, "new-message"), next(two.socket, "new-message")];
      two.socket.emit("message", { text: "from two", n: 2 });
      for (const args of await Promise.all(again)) {
        assert.deepEqual(args, [{ text: "from two", n: 2 }]);
      }
      await delay(100);
      assert.equal(rootSeen.length, 0);
    },
  );

  Deno.test(
    name(
      "seed 002: /user greets, broadcasts new-user with acks and acks the sender with the count",
    ),
    async () => {
      await using server = await startTestServer();
      await using sender = await connect(io, `${server.origin}/user`);
      // The greeting follows the connect at once, so it is listened for from the start.
      const other = io(`${server.origin}/user`, { forceNew: true, reconnection: false });
      const greeting = next(other, "my response");
      await using _other = { [Symbol.asyncDispose]: () => close(other) };
      assert.deepEqual(await greeting, [{ data: "Connected" }]);
      await using late = await connect(io, `${server.origin}/user`);
      for (const socket of [sender.socket, other]) {
        socket.on("new-user", (_data: unknown, done: () => void) => done());
      }
      // `late` answers nothing: its ack times out, so the count waits for USER_ACK_MS.
      const lateGot = next(late.socket, "new-user");
      const user = {
        id: sender.socket.id,
        user: { username: "ann", email: "a@example.com", id: 1 },
      };
      const started = Date.now();
      const [reply] = await ack(sender.socket, "user-connected", user);
      const took = Date.now() - started;
      assert.deepEqual(reply, { delivered: 2 });
      assert.ok(took >= 1500 && took <= 4500, `${took} ms`);
      assert.deepEqual((await lateGot)[0], user);
      await late[Symbol.asyncDispose]();
      // Everyone acks: the count comes as soon as they have.
      const quick = Date.now();
      assert.deepEqual(await ack(sender.socket, "user-connected", { n: 2 }), [{ delivered: 2 }]);
      assert.ok(Date.now() - quick < 1500);
    },
  );

  Deno.test(
    name("/, /chat and /user share one connection; leaving one leaves the others"),
    async () => {
      await using server = await startTestServer();
      const root = io(server.origin, { forceNew: true, reconnection: false });
      const welcomed = next(root, "client_id");
      const manager = root.io;
      const chat = manager.socket("/chat");
      const user = manager.socket("/user");
      try {
        chat.connect();
        user.connect();
        const [greeting] = await next(user, "my response");
        assert.deepEqual(greeting, { data: "Connected" });
        await welcomed;
        assert.equal(manager.engine.id, (root.io.engine as { id: string }).id);
        const chatted = next(chat, "new-message");
        chat.emit("message", "hello");
        assert.deepEqual(await chatted, ["hello"]);
        chat.disconnect();
        assert.ok((await ack(root, "ping"))[0]);
        assert.deepEqual(await ack(user, "user-connected", {}), [{ delivered: 0 }]);
        const invalid = manager.socket("/nowhere");
        const error = new Promise<Error>((resolve) => invalid.once("connect_error", resolve));
        invalid.connect();
        assert.equal((await error).message, "Invalid namespace");
        assert.ok((await ack(root, "ping"))[0]);
      } finally {
        root.disconnect();
        user.disconnect();
      }
    },
  );
}

Deno.test("seed 001: a /ws session is not a target, and SIO_SEED_DMS=0 turns the path off", async () => {
  const { io } = CLIENTS[0];
  for (const seedDms of [true, false]) {
    await using server = await startTestServer({ sioSeedDms: seedDms });
    await using native = await connectClient(server);
    await using a = await connect(io, server.origin);
    await using b = await connect(io, server.origin);
    const nativeSeen: unknown[] = [];
    native.on("dm", (data) => void nativeSeen.push(data));
    const toNative = next(a.socket, "message");
    a.socket.send({ targetClientId: native.session!.sessionId, message: "psst" });
    assert.deepEqual(await toNative, [{ error: "Target client ID not found" }]);
    const toB = next(seedDms ? b.socket : a.socket, "message");
    a.socket.send({ targetClientId: b.clientId, message: "hi" });
    assert.deepEqual(
      await toB,
      [seedDms ? { from: a.clientId, content: "hi" } : { error: "Target client ID not found" }],
    );
    assert.deepEqual(nativeSeen, []);
  }
});

Deno.test("heartbeat: every / socket gets heartbeat every HEARTBEAT_MS, /chat sockets do not", async () => {
  await using server = await startTestServer({ heartbeatMs: 200 });
  const { io } = CLIENTS[1];
  await using root = await connect(io, server.origin);
  await using chat = await connect(io, `${server.origin}/chat`);
  const chatSeen = record(chat.socket, "heartbeat");
  const times: number[] = [];
  const beats = record(root.socket, "heartbeat");
  root.socket.on("heartbeat", () => void times.push(Date.now()));
  await withTimeout(
    (async () => {
      while (times.length < 4) await delay(20);
    })(),
    "four heartbeats",
  );
  const [first] = beats[0] as [{ text: string; serverTime: number }];
  assert.equal(first.text, "Connected");
  for (let i = 1; i < times.length; i++) {
    const gap = times[i] - times[i - 1];
    assert.ok(gap >= 100 && gap <= 400, `gap ${gap} ms`);
  }
  assert.equal(chatSeen.length, 0);
});
