import assert from "node:assert/strict";
import { HubClient } from "../client/mod.ts";
import { eventually, startTestServer, type TestServer } from "../../tests/helpers.ts";
import { createHubStore, type HubStore } from "./store.ts";

async function open(url: string): Promise<HubStore & AsyncDisposable> {
  const client = new HubClient(url, { minDelayMs: 20, maxDelayMs: 100 });
  const store = createHubStore(client, { pollMs: 100, tickMs: 50 });
  await client.ready();
  await eventually(() => assert.ok(store.clients.value !== null));
  return Object.assign(store, {
    async [Symbol.asyncDispose]() {
      store.dispose();
      await client.close();
    },
  });
}

const texts = (store: HubStore) => store.room.value?.items.map((i) => i.text) ?? [];

Deno.test("store: chat, names, presence and the clients count", async () => {
  await using server = await startTestServer();
  await using ada = await open(server.wsUrl);
  await using bob = await open(server.wsUrl);
  await eventually(() => assert.equal(ada.clients.value, 2));
  await ada.setName("Ada");
  await eventually(() =>
    assert.deepEqual(
      bob.room.value?.members.map((m) => m.name).sort(),
      [
        "Ada",
        bob.name.value,
      ].sort(),
    )
  );
  await ada.say("hello");
  await eventually(() => assert.ok(texts(bob).includes("hello")));
  const mine = ada.room.value!.items.find((i) => i.text === "hello");
  assert.equal(mine?.kind === "message" && mine.mine, true);

  await bob.join("#side");
  assert.equal(bob.currentRoom.value, "side");
  await ada.say("only in the lobby");
  await eventually(() => assert.equal(bob.rooms.value[0].unread, 1));
  bob.showRoom("lobby");
  assert.equal(bob.rooms.value[0].unread, 0);
  await assert.rejects(bob.join("no spaces"), /room name/);
  await assert.rejects(bob.setName(" "), /name/);
  await bob.leave("side");
  assert.deepEqual(bob.rooms.value.map((r) => r.room), ["lobby"]);
});

Deno.test("store: direct requests, answers and endings", async () => {
  await using server = await startTestServer();
  await using ada = await open(server.wsUrl);
  await using bob = await open(server.wsUrl);
  const adaId = ada.session.value!.sessionId;
  const bobId = bob.session.value!.sessionId;
  const status = (s: HubStore, peer: string) =>
    s.conversations.value.find((c) => c.peer === peer)?.status;

  await assert.rejects(ada.requestDm(adaId), /own session/);
  await ada.requestDm(bobId);
  assert.equal(status(ada, bobId), "outgoing");
  await eventually(() => assert.equal(status(bob, adaId), "incoming"));
  await bob.acceptDm(adaId);
  await eventually(() => assert.equal(status(ada, bobId), "open"));
  await ada.sendDm(bobId, "psst");
  await eventually(() =>
    assert.ok(bob.conversations.value[0].items.some((i) => i.text === "psst"))
  );

  await bob.closeDm(adaId);
  await eventually(() => assert.equal(status(ada, bobId), "closed"));
  assert.equal(status(bob, adaId), "closed");
  assert.equal(bob.conversations.value[0].closedByMe, true);

  await ada.requestDm(bobId);
  await eventually(() => assert.equal(status(bob, adaId), "incoming"));
  await bob.declineDm(adaId);
  await eventually(() => assert.equal(status(ada, bobId), "declined"));
  assert.equal(status(bob, adaId), "refused");
});

Deno.test("store: after a reconnect, rooms and name come back and conversations end", async () => {
  const first = await startTestServer();
  let second: TestServer | undefined;
  try {
    await using ada = await open(first.wsUrl);
    await using bob = await open(first.wsUrl);
    await ada.setName("Ada");
    await ada.join("side");
    await ada.leave("lobby");
    await ada.requestDm(bob.session.value!.sessionId);
    const before = ada.session.value!.sessionId;

    await first.shutdown();
    await eventually(() => assert.notEqual(ada.state.value, "connected"));
    second = await startTestServer({ port: first.port });
    await eventually(() => {
      assert.equal(ada.state.value, "connected");
      assert.notEqual(ada.session.value?.sessionId, before);
      assert.equal(ada.name.value, "Ada");
      assert.deepEqual(ada.rooms.value.map((r) => r.room), ["side"]);
      assert.deepEqual(ada.room.value?.members.map((m) => m.name), ["Ada"]);
      assert.equal(ada.conversations.value[0].status, "ended");
      assert.equal(ada.reconnects.value, 1);
    }, 10_000);
    // The server agrees: the new session is in "side" (alone) and not in the lobby (Bob's).
    await eventually(() =>
      assert.deepEqual(ada.roomList.value, [{ room: "lobby", size: 1 }, { room: "side", size: 1 }])
    );
    assert.ok(texts(ada).some((t) => t.startsWith("Reconnected as a new session")));
  } finally {
    await first.shutdown();
    await second?.shutdown();
  }
});
