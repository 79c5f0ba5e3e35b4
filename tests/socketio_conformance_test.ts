/**
 * The official suites' fixture (`SIO_CONFORMANCE=1`), checked on the points those suites are
 * strictest about, since CI cannot fetch the suites themselves: the timings in the handshake, the
 * ping timeout at its exact deadline, a second GET, the upgrade's noop and a second WebSocket on an
 * upgraded sid, the echo server, and Socket.IO's `auth`, binary echo and acks.
 * `docs/socketio.md` says how to run the suites.
 */

import assert from "node:assert/strict";
import { eventually, startTestServer, type TestServer } from "./helpers.ts";
import { socketIoEdge } from "../lib/edge/socketio/mod.ts";
import { delay, RawPolling } from "./socketio_helpers.ts";

const ENGINE = "/conformance/engine.io/";
const SOCKET = "/conformance/socket.io/";

function open(server: TestServer, path: string, query = ""): WebSocket {
  const socket = new WebSocket(
    `ws://127.0.0.1:${server.port}${path}?EIO=4&transport=websocket${query}`,
  );
  socket.binaryType = "arraybuffer";
  return socket;
}

/**
 * Every message of `socket` into one queue that `take` reads in order. Pings are answered and
 * left out: with a 300 ms interval one may come mid-test on a loaded machine.
 */
function queue(socket: WebSocket) {
  const seen: (string | ArrayBuffer)[] = [];
  const waiters: ((m: string | ArrayBuffer) => void)[] = [];
  socket.addEventListener("message", (event) => {
    if (event.data === "2") return socket.send("3");
    // The hub's heartbeat event may come at any time on `/socket.io/`; it is not under test here.
    if (String(event.data).startsWith('42["heartbeat"')) return;
    const waiter = waiters.shift();
    if (waiter) waiter(event.data);
    else seen.push(event.data);
  });
  return {
    take(): Promise<string | ArrayBuffer> {
      const first = seen.shift();
      if (first !== undefined) return Promise.resolve(first);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

Deno.test("conformance: the Engine.IO fixture's handshake, heartbeat deadline, echo and pings", async () => {
  await using server = await startTestServer({ sioConformance: true });
  const response = await fetch(`${server.origin}${ENGINE}?EIO=4&transport=polling`);
  const open = JSON.parse((await response.text()).slice(1));
  assert.deepEqual(
    { ...open, sid: "" },
    { sid: "", upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000 },
  );
  // Polled exactly pingInterval + pingTimeout after the handshake, the session is gone.
  const raw = await RawPolling.open(server.origin, ENGINE);
  await delay(500);
  assert.equal((await raw.poll()).status, 400);

  // The echo, text and binary, and pings answered for three rounds.
  const echo = await RawPolling.open(server.origin, ENGINE);
  await echo.post("4hello\x1ebAQIDBA==");
  const echoed = await echo.poll();
  // A ping may ride along on a loaded machine.
  const pinged = echoed.body.endsWith("\x1e2");
  assert.equal(pinged ? echoed.body.slice(0, -2) : echoed.body, "4hello\x1ebAQIDBA==");
  if (pinged) await echo.post("3");
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await echo.poll(), { status: 200, body: "2" });
    assert.equal((await echo.post("3")).status, 200);
  }
  await echo.close();
});

// The Engine.IO rules below are timed by nothing but their own steps, so they run on `/socket.io/`
// (the same engine), whose 25 s heartbeat no loaded machine can outrun.

Deno.test("engine: a second GET while one waits: the first gets the close packet, the second 400", async () => {
  await using server = await startTestServer();
  const twice = await RawPolling.open(server.origin);
  const first = twice.poll();
  await eventually(() => assert.equal(socketIoEdge(server.services).main.polling, 1));
  const second = await twice.poll();
  assert.deepEqual(await first, { status: 200, body: "1" });
  assert.equal(second.status, 400);
  assert.equal((await twice.poll()).status, 400);
});

Deno.test("engine: the upgrade answers a GET with noop, then refuses polling and a second socket", async () => {
  await using server = await startTestServer();
  const raw = await RawPolling.open(server.origin);
  const socket = open(server, "/socket.io/", `&sid=${raw.sid}`);
  const messages = queue(socket);
  await new Promise((resolve) => socket.onopen = resolve);
  socket.send("2probe");
  assert.equal(await messages.take(), "3probe");
  assert.deepEqual(await raw.poll(), { status: 200, body: "6" });
  socket.send("5");
  socket.send("40");
  assert.match(String(await messages.take()), /^40\{"sid"/);
  assert.match(String(await messages.take()), /^42\["client_id"/);
  socket.send('421["ping"]');
  assert.match(String(await messages.take()), /^431\[\{"serverTime":\d+\}\]$/);
  assert.equal((await raw.poll()).status, 400);
  const second = open(server, "/socket.io/", `&sid=${raw.sid}`);
  const opened = await new Promise<boolean>((resolve) => {
    second.onopen = () => resolve(true);
    second.onerror = () => resolve(false);
  });
  assert.equal(opened, true, "accepted, then closed");
  await new Promise((resolve) => second.onclose = resolve);
  const closed = new Promise((resolve) => socket.onclose = resolve);
  socket.send("1");
  await closed;
});

Deno.test("conformance: the Socket.IO fixture greets with auth, echoes binary and acks", async () => {
  await using server = await startTestServer({ sioConformance: true });
  const socket = open(server, SOCKET);
  const messages = queue(socket);
  assert.match(String(await messages.take()), /^0\{/);
  socket.send('40{"token":"123"}');
  assert.match(String(await messages.take()), /^40\{"sid":"[\w-]+"\}$/);
  assert.equal(await messages.take(), '42["auth",{"token":"123"}]');
  socket.send("40/custom,");
  assert.match(String(await messages.take()), /^40\/custom,\{"sid":/);
  assert.equal(await messages.take(), '42/custom,["auth",{}]');
  socket.send("40/random");
  assert.equal(await messages.take(), '44/random,{"message":"Invalid namespace"}');
  socket.send(
    '452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
  );
  socket.send(Uint8Array.from([1, 2, 3]));
  socket.send(Uint8Array.from([4, 5, 6]));
  assert.equal(
    await messages.take(),
    '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
  );
  assert.deepEqual(
    new Uint8Array(await messages.take() as ArrayBuffer),
    Uint8Array.from([1, 2, 3]),
  );
  assert.deepEqual(
    new Uint8Array(await messages.take() as ArrayBuffer),
    Uint8Array.from([4, 5, 6]),
  );
  socket.send('42["message",1,"2",{"3":[true]}]');
  assert.equal(await messages.take(), '42["message-back",1,"2",{"3":[true]}]');
  const closed = new Promise((resolve) => socket.onclose = resolve);
  socket.send('42abc["message-with-ack"]');
  await closed;
});

Deno.test("conformance: with no namespace connected within connectTimeout, the connection closes", async () => {
  await using server = await startTestServer({ sioConformance: true });
  const socket = open(server, SOCKET);
  const messages = queue(socket);
  await messages.take();
  // Ping answered, so only the connect timeout (1 s) can close it.
  const answering = setInterval(
    () => socket.readyState === WebSocket.OPEN && socket.send("3"),
    100,
  );
  const started = Date.now();
  await new Promise((resolve) => socket.onclose = resolve);
  clearInterval(answering);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 2000, `${took} ms`);
});
