/**
 * `HubClient` against a fake hub: requests and replies, events and errors, and the typings.
 * Drops and reconnects are in `client_reconnect_test.ts`.
 *
 * @module
 */

import assert, { deepEqual, equal, ok, rejects } from "node:assert/strict";
import type { ErrorBody, ServerFrame } from "../protocol/mod.ts";
import { HubClient, RequestError } from "./mod.ts";
import { capture, closedPort, isRequestError, send, waitFor, withHub } from "./testing/fake_hub.ts";

Deno.test("constructor rejects bad URLs and bounds", () => {
  assert.throws(() => new HubClient("ftp://example.test/ws"), TypeError);
  assert.throws(() => new HubClient("ws://x.test", { minDelayMs: 50, maxDelayMs: 10 }), RangeError);
});

// ---- requests ------------------------------------------------------------------------------

Deno.test("typed request/reply round trip, sent early and waiting for the welcome", async () => {
  await withHub(async (hub, client) => {
    equal(client.state, "connecting");
    // Issued before the socket is even open: it must wait, not fail.
    const early = client.request("random", { text: "hello" });
    const reply = await early;
    deepEqual(reply, { text: "hello", n: 7 });
    const n: number = reply.n;
    equal(n, 7);
    equal(client.state, "connected");
    equal(client.session?.sessionId, "s1");
    deepEqual(await client.request("server_time"), { serverTime: 42 });
    const [first, second] = hub.frames;
    deepEqual(first, { type: "random", id: 1, data: { text: "hello" } });
    deepEqual(second, { type: "server_time", id: 2 });
    equal(client.pendingCount, 0);
    equal((await client.ready()).sessionId, "s1");
  });
});

Deno.test("error reply rejects with a RequestError carrying the server's code", async () => {
  await withHub(async (_hub, client) => {
    const err = await client.request("leave", { room: "nowhere" }).catch((e) => e);
    ok(err instanceof RequestError);
    equal(err.code, "not_member");
    equal(err.message, "Not a member of that room");
    equal(err.requestType, "leave");
    equal(err.name, "RequestError");
    // The client is still usable afterwards.
    deepEqual(await client.request("server_time"), { serverTime: 42 });
  });
});

Deno.test("timeout rejects with 'timeout' and a late reply is ignored", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    const warnings = await capture("warn", async () => {
      await rejects(client.request("ping", {}, { timeoutMs: 30 }), isRequestError("timeout"));
      equal(client.pendingCount, 0);
      const [held] = hub.framesOf("ping");
      // The late reply arrives, then a frame for a request that is still pending.
      send(hub.last, { type: "reply", id: held.id!, ok: true, data: { serverTime: 1 } });
      deepEqual(await client.request("server_time"), { serverTime: 42 });
    });
    deepEqual(warnings, []);
    equal(client.state, "connected");
  });
});

Deno.test("a request waiting for a connection is bounded by its timeout", async () => {
  const client = new HubClient(`ws://127.0.0.1:${await closedPort()}/ws`, {
    minDelayMs: 5,
    maxDelayMs: 10,
  });
  try {
    await rejects(client.request("server_time", {}, { timeoutMs: 50 }), isRequestError("timeout"));
    equal(client.state, "reconnecting");
  } finally {
    await client.close();
  }
});

// ---- events and errors ---------------------------------------------------------------------

Deno.test("events reach on() subscribers; unsubscribe works; a throwing listener is contained", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    const a: string[] = [];
    const b: string[] = [];
    const offA = client.on("chat", (m) => a.push(m.text));
    client.on("chat", () => {
      throw new Error("listener bug");
    });
    client.on("chat", (m) => b.push(m.text));
    const offState = client.onState(() => {
      throw new Error("state listener bug");
    });
    const chat = (text: string) =>
      send(hub.last, {
        type: "chat",
        data: { room: "lobby", msgId: text, from: "s9", userId: null, name: "x", text, ts: 1 },
      });
    const errors = await capture("error", async () => {
      chat("one");
      await waitFor(() => b.length === 1, "the first chat");
      offA();
      chat("two");
      await waitFor(() => b.length === 2, "the second chat");
      hub.last.close(4008, "slow");
      await waitFor(() => client.state === "reconnecting", "reconnecting");
      await client.ready();
      offState();
    });
    deepEqual(a, ["one"]);
    deepEqual(b, ["one", "two"]);
    // Two chats and two state changes, each reported; delivery to the others went on.
    equal(errors.length, 4);
    ok(String(errors[0][1]).includes("listener bug"));
    ok(String(errors[2][1]).includes("state listener bug"));
  });
});

Deno.test("errors with id null go to onError", async () => {
  await withHub(async (_hub, client) => {
    await client.ready();
    const errors: ErrorBody[] = [];
    const off = client.onError((e) => errors.push(e));
    equal(client.send("chat", { room: "lobby", text: "hi" }), true);
    await waitFor(() => errors.length === 1, "an id:null error");
    deepEqual(errors[0], { code: "bad_request", message: 'No id on "chat"' });
    off();
    client.send("chat", { room: "lobby", text: "again" });
    await client.request("server_time"); // replies are in order, so the error came before
    equal(errors.length, 1);
  });
});

Deno.test("malformed frames are ignored with a single warning", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    const got: string[] = [];
    client.on("heartbeat", (h) => got.push(h.text));
    const warnings = await capture("warn", async () => {
      for (const bad of ["not json", "[1,2]", "null", '{"type":5}', '{"type":"chat"}']) {
        hub.last.send(bad);
      }
      hub.last.send(new Uint8Array([1, 2, 3]));
      send(hub.last, { type: "reply", id: null, ok: true, data: {} } as unknown as ServerFrame);
      send(hub.last, { type: "heartbeat", data: { text: "Connected", serverTime: 1 } });
      await waitFor(() => got.length === 1, "the heartbeat");
    });
    equal(warnings.length, 1);
    ok(String(warnings[0][0]).includes("ignoring"));
    equal(client.state, "connected");
    deepEqual(await client.request("server_time"), { serverTime: 42 });
  });
});

Deno.test("headers option sets the Origin of the handshake", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    deepEqual(hub.origins, ["https://hub.example"]);
  }, { client: { headers: { Origin: "https://hub.example" } } });
});

// ---- types ---------------------------------------------------------------------------------

/** Never run: `deno check` fails if the request and event typings loosen. */
function _typeChecks(client: HubClient): void {
  // @ts-expect-error join needs data
  client.request("join");
  // @ts-expect-error wrong data shape
  client.request("join", { name: "x" });
  // @ts-expect-error unknown request type
  client.request("nope");
  // @ts-expect-error unknown event
  client.on("nope", () => {});
  client.request("join", { room: "r" }).then((r) => r.members.map((m) => m.sessionId));
  // @ts-expect-error replies are typed
  client.request("server_time").then((r) => r.members);
  client.on("dm", (d) => d.text.toUpperCase());
  // @ts-expect-error events are typed
  client.on("dm", (d) => d.room);
  client.send("rooms");
  // @ts-expect-error send needs data too
  client.send("chat");
}
