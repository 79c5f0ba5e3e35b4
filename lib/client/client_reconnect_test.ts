/**
 * `HubClient` against a fake hub: drops, reconnects, giving up, the heartbeat watchdog and the
 * browser's offline/online events.
 *
 * @module
 */

import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { type ConnectionState, HubClient } from "./mod.ts";
import { closedPort, isRequestError, send, sleep, waitFor, withHub } from "./testing/fake_hub.ts";

// ---- drops and reconnects ------------------------------------------------------------------

Deno.test("server closes (1008, 1009, 4008): in-flight rejected, client reconnects", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    const states: [ConnectionState, number | undefined][] = [];
    client.onState((state, close) => states.push([state, close?.code]));
    for (const [i, code] of [1008, 1009, 4008].entries()) {
      const inFlight = client.request("ping");
      await waitFor(() => hub.framesOf("ping").length === i + 1, "the ping to arrive");
      hub.last.close(code, `bye ${code}`);
      await rejects(inFlight, isRequestError("disconnected"));
      deepEqual(client.lastClose, { code, reason: `bye ${code}` });
      // Made while reconnecting: waits for the new session rather than failing.
      const queued = client.request("server_time");
      equal(client.state, "reconnecting");
      deepEqual(await queued, { serverTime: 42 });
      equal(client.session?.sessionId, `s${i + 2}`);
    }
    deepEqual(states, [
      ["reconnecting", 1008],
      ["connected", undefined],
      ["reconnecting", 1009],
      ["connected", undefined],
      ["reconnecting", 4008],
      ["connected", undefined],
    ]);
  });
});

Deno.test("state goes connecting → connected → reconnecting → connected with a new welcome", async () => {
  await withHub(async (hub, client) => {
    const states: ConnectionState[] = [client.state];
    const welcomes: string[] = [];
    client.onState((s) => states.push(s));
    client.on("welcome", (w) => welcomes.push(w.sessionId));
    await client.ready();
    hub.last.close(1001, "going away");
    await waitFor(() => welcomes.length === 2, "a second welcome");
    deepEqual(states, ["connecting", "connected", "reconnecting", "connected"]);
    deepEqual(welcomes, ["s1", "s2"]);
    equal(hub.sockets.length, 2);
  });
});

Deno.test("close(): offline, pending rejected 'closed', no more reconnects", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    const states: ConnectionState[] = [];
    client.onState((s) => states.push(s));
    const inFlight = client.request("ping");
    await waitFor(() => hub.framesOf("ping").length === 1, "the ping to arrive");
    const closing = client.close();
    equal(client.state, "offline");
    await rejects(inFlight, isRequestError("closed"));
    await closing;
    await rejects(client.request("server_time"), isRequestError("closed"));
    await rejects(client.ready(), isRequestError("closed"));
    equal(client.send("server_time"), false);
    await sleep(60); // well past maxDelayMs
    equal(hub.sockets.length, 1);
    deepEqual(states, ["offline"]);
  });
});

Deno.test("close() right after construction cancels the handshake", async () => {
  await withHub(async (hub, client) => {
    equal(client.state, "connecting");
    const ready = rejects(client.ready(), isRequestError("closed"));
    await client.close();
    await ready;
    equal(client.state, "offline");
    await sleep(30);
    ok(hub.sockets.length <= 1);
  });
});

Deno.test("close() while waiting to reconnect cancels the attempt", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    hub.last.close(4008, "slow");
    await waitFor(() => client.state === "reconnecting", "reconnecting");
    const queued = rejects(client.request("server_time"), isRequestError("closed"));
    await client.close();
    await queued;
    await sleep(60);
    equal(hub.sockets.length, 1);
  }, { client: { minDelayMs: 20, maxDelayMs: 40 } });
});

Deno.test("gives up after maxRetries: offline, waiting callers rejected 'disconnected'", async () => {
  let opened = 0;
  class CountingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened++;
    }
  }
  const client = new HubClient(`ws://127.0.0.1:${await closedPort()}/ws`, {
    minDelayMs: 1,
    maxDelayMs: 5,
    maxRetries: 2,
    WebSocket: CountingWebSocket,
  });
  try {
    const ready = client.ready();
    const queued = client.request("server_time");
    await rejects(ready, isRequestError("disconnected"));
    await rejects(queued, isRequestError("disconnected"));
    equal(client.state, "offline");
    equal(opened, 3);
    await rejects(client.request("server_time"), isRequestError("disconnected"));
    await sleep(30);
    equal(opened, 3);
  } finally {
    await client.close();
  }
});

Deno.test("the retry budget starts afresh after each welcome", async () => {
  await withHub(async (hub, client) => {
    for (let i = 1; i <= 3; i++) {
      equal((await client.ready()).sessionId, `s${i}`);
      hub.last.close(4008, "slow");
      await waitFor(() => client.state !== "connected", "the drop");
      equal(client.state, "reconnecting");
    }
    equal((await client.ready()).sessionId, "s4");
  }, { client: { maxRetries: 1 } });
});

Deno.test("reconnect: false goes offline on the first drop", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    hub.last.close(1001, "going away");
    await waitFor(() => client.state === "offline", "offline");
    await sleep(30);
    equal(hub.sockets.length, 1);
    equal(client.lastClose?.code, 1001);
  }, { client: { reconnect: false } });
});

Deno.test("reconnect() after giving up starts again", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    hub.last.close(1001, "going away");
    await waitFor(() => client.state === "offline", "offline");
    client.reconnect();
    equal(client.state, "reconnecting");
    equal((await client.ready()).sessionId, "s2");
  }, { client: { maxRetries: 0 } });
});

Deno.test("watchdog reconnects when not even a heartbeat arrives", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    await waitFor(() => hub.sockets.length === 2, "a second connection");
    deepEqual(client.lastClose, { code: 4000, reason: "Heartbeat timeout" });
    await waitFor(() => hub.sockets[0].readyState === WebSocket.CLOSED, "the old socket to close");
  }, { hub: { heartbeatMs: 15 } });
});

Deno.test("watchdog keeps a connection that gets heartbeats", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    for (let i = 0; i < 12; i++) {
      send(hub.last, { type: "heartbeat", data: { text: "Connected", serverTime: i } });
      await sleep(10);
    }
    equal(hub.sockets.length, 1);
    equal(client.state, "connected");
  }, { hub: { heartbeatMs: 40 } });
});

Deno.test("browser offline/online events: no retries while offline, reconnect at once", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    globalThis.dispatchEvent(new Event("offline"));
    equal(client.state, "offline");
    const waiting = client.request("server_time");
    await sleep(60); // several backoff periods
    equal(hub.sockets.length, 1);
    globalThis.dispatchEvent(new Event("online"));
    deepEqual(await waiting, { serverTime: 42 });
    equal(client.session?.sessionId, "s2");
  });
});
