import assert from "node:assert/strict";
import type { Events } from "../protocol/mod.ts";
import { createConnection } from "./connection.ts";
import { fakeRequest } from "./testing/fake_request.ts";

const welcome = (sessionId: string, name = "guest", resumed = false): Events["welcome"] => ({
  sessionId,
  userId: null,
  name,
  connectedAt: 0,
  serverTime: Date.now() + 5000,
  heartbeatMs: 1000,
  resumeToken: `token-${sessionId}`,
  resumeTtlMs: 120_000,
  resumed,
  nameLocked: false,
});

function setup() {
  const hub = fakeRequest({
    set_name: ({ name }) => ({ name }),
    ping: () => ({ serverTime: Date.now() + 5000 }),
    num_clients: () => ({ count: 3 }),
  });
  return { hub, connection: createConnection(null, { request: hub.request }) };
}

Deno.test("connection: a welcome with a new session id counts as a reconnect", () => {
  const { connection } = setup();
  assert.equal(connection.me(), "");
  assert.equal(connection.welcome(welcome("01A")), "first");
  assert.equal(connection.me(), "01A");
  assert.ok(Math.abs(connection.clockOffset.value! - 5000) < 1000);
  assert.equal(connection.welcome(welcome("01A", "guest", true)), "resumed");
  assert.equal(connection.reconnects.value, 0, "a resume is no new session");
  assert.equal(connection.welcome(welcome("01B", "guest-b")), "replaced");
  assert.equal(connection.reconnects.value, 1);
  assert.equal(connection.name.value, "guest-b");
});

Deno.test("connection: a first welcome that resumes is a reload that kept its session", () => {
  const { connection } = setup();
  assert.equal(connection.welcome(welcome("01A", "Ada", true)), "restored");
  assert.equal(connection.name.value, "Ada");
  assert.equal(connection.chosenName(), null, "the store restores it from the page kept");
  connection.restoreChosenName("Ada");
  assert.equal(connection.chosenName(), "Ada");
  assert.equal(connection.reconnects.value, 0);
});

Deno.test("connection: a name is checked, set, and remembered for the next session", async () => {
  const { hub, connection } = setup();
  await assert.rejects(connection.setName("   "), /A name is 1 to 32 characters/);
  await assert.rejects(connection.setName("x".repeat(33)), /A name is 1 to 32 characters/);
  assert.equal(hub.sent.length, 0);
  assert.equal(connection.chosenName(), null);
  assert.equal(await connection.setName(" Ada "), "Ada");
  assert.equal(connection.name.value, "Ada");
  connection.welcome(welcome("01B", "guest-b"));
  assert.equal(connection.name.value, "guest-b");
  assert.equal(connection.chosenName(), "Ada");
});

Deno.test("connection: state changes report the one before and drop a stale ping", () => {
  const { connection } = setup();
  assert.equal(connection.stateChanged("connected"), "connecting");
  assert.equal(connection.stateChanged("reconnecting"), "connected");
  assert.equal(connection.state.value, "reconnecting");
  assert.equal(connection.pingMs.value, null);
});

Deno.test("connection: heartbeats set the clock offset until a welcome or ping does", () => {
  const { connection } = setup();
  connection.heartbeat({ text: "Connected", serverTime: Date.now() - 3000 });
  assert.equal(connection.lastHeartbeat.value?.text, "Connected");
  assert.ok(Math.abs(connection.clockOffset.value! + 3000) < 1000);
  connection.welcome(welcome("01A"));
  assert.equal(connection.lastHeartbeat.value, null);
  connection.heartbeat({ text: "Connected", serverTime: Date.now() - 3000 });
  assert.ok(Math.abs(connection.clockOffset.value! - 5000) < 1000, "the welcome's offset stays");
});

Deno.test("connection: stats are polled only while connected; the lobby adjusts the count", async () => {
  const { hub, connection } = setup();
  connection.lobbyPresence(1);
  assert.equal(connection.clients.value, null, "no count to adjust yet");
  await connection.pollStats();
  assert.equal(hub.sent.length, 0);
  connection.stateChanged("connected");
  await connection.pollStats();
  assert.deepEqual(hub.sent.map((s) => s.type), ["ping", "num_clients"]);
  assert.equal(connection.clients.value, 3);
  assert.notEqual(connection.pingMs.value, null);
  assert.ok(Math.abs(connection.clockOffset.value! - 5000) < 1000);
  connection.lobbyPresence(1);
  assert.equal(connection.clients.value, 4);
  connection.lobbyPresence(0);
  assert.equal(connection.clients.value, 4);
  for (let i = 0; i < 5; i++) connection.lobbyPresence(-1);
  assert.equal(connection.clients.value, 1, "never below ourselves");
});
