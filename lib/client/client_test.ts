import assert, { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { backoffDelay, type ConnectionState, HubClient, RequestError } from "./mod.ts";
import type { ClientFrame, ErrorBody, Events, ServerFrame } from "../protocol/mod.ts";

// ---- a tiny fake hub -------------------------------------------------------------------------

interface FakeHubOptions {
  /** Sent in the welcome; 0 turns the client's watchdog off. */
  heartbeatMs?: number;
}

/**
 * Speaks just enough of the protocol: a welcome on open, replies to `server_time` and `random`,
 * an error reply to `leave`, no reply at all to `ping` (the test may answer later through
 * `sockets`), and an `id: null` error to any frame without id.
 */
class FakeHub {
  readonly url: string;
  readonly origins: (string | null)[] = [];
  /** Server side of every connection, in order. */
  readonly sockets: WebSocket[] = [];
  readonly frames: ClientFrame[] = [];
  #ac = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor(options: FakeHubOptions = {}) {
    const heartbeatMs = options.heartbeatMs ?? 0;
    this.#server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", signal: this.#ac.signal, onListen() {} },
      (req) => {
        this.origins.push(req.headers.get("origin"));
        const { socket, response } = Deno.upgradeWebSocket(req);
        const n = this.sockets.push(socket);
        socket.onopen = () => {
          const welcome: Events["welcome"] = {
            sessionId: `s${n}`,
            name: `guest-${n}`,
            connectedAt: 1000 * n,
            serverTime: 1000 * n,
            heartbeatMs,
          };
          send(socket, { type: "welcome", data: welcome });
        };
        socket.onmessage = (ev) => this.#onMessage(socket, JSON.parse(ev.data));
        return response;
      },
    );
    this.url = `ws://127.0.0.1:${this.#server.addr.port}/ws`;
  }

  #onMessage(socket: WebSocket, frame: ClientFrame): void {
    this.frames.push(frame);
    const id = frame.id;
    if (id === undefined) {
      const error: ErrorBody = { code: "bad_request", message: `No id on "${frame.type}"` };
      return send(socket, { type: "reply", id: null, ok: false, error });
    }
    switch (frame.type) {
      case "server_time":
        return send(socket, { type: "reply", id, ok: true, data: { serverTime: 42 } });
      case "random": {
        const data = { text: String(frame.data?.text), n: 7 };
        return send(socket, { type: "reply", id, ok: true, data });
      }
      case "leave": {
        const error: ErrorBody = { code: "not_member", message: "Not a member of that room" };
        return send(socket, { type: "reply", id, ok: false, error });
      }
      case "ping":
        return; // held: never answered unless the test does it
      default: {
        const error: ErrorBody = { code: "unknown_type", message: `Unknown "${frame.type}"` };
        return send(socket, { type: "reply", id, ok: false, error });
      }
    }
  }

  /** The server side of the latest connection. */
  get last(): WebSocket {
    return this.sockets[this.sockets.length - 1];
  }

  /** Frames of one type that reached the server. */
  framesOf(type: string): ClientFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) if (s.readyState === WebSocket.OPEN) s.close();
    this.#ac.abort();
    await this.#server.finished;
  }
}

function send(socket: WebSocket, frame: ServerFrame): void {
  socket.send(JSON.stringify(frame));
}

/** Polls until `cond` holds; fails with `what` after `timeoutMs`. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Replaces `console[method]` while `fn` runs and returns what it was called with. */
async function capture(
  method: "warn" | "error",
  fn: () => Promise<void>,
): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => calls.push(args);
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}

/** Starts a hub and a client, runs `fn`, and always shuts both down. */
async function withHub(
  fn: (hub: FakeHub, client: HubClient) => Promise<void>,
  options: {
    hub?: FakeHubOptions;
    client?: ConstructorParameters<typeof HubClient>[1];
  } = {},
): Promise<void> {
  const hub = new FakeHub(options.hub);
  const client = new HubClient(hub.url, { minDelayMs: 5, maxDelayMs: 20, ...options.client });
  try {
    await fn(hub, client);
  } finally {
    await client.close();
    await hub.close();
  }
}

function isRequestError(code: string): (err: unknown) => boolean {
  return (err) => {
    ok(err instanceof RequestError, `expected a RequestError, got ${err}`);
    equal(err.code, code);
    return true;
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    () => new Response(),
  );
  const port = server.addr.port;
  ac.abort();
  await server.finished;
  return port;
}

// ---- backoff -------------------------------------------------------------------------------

Deno.test("backoffDelay grows with attempts and stays between min and max", () => {
  const bounds = { minDelayMs: 250, maxDelayMs: 10_000 };
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 50, 5000].map((a) => backoffDelay(a, bounds, () => 1));
  deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  for (let a = 0; a < 20; a++) equal(backoffDelay(a, bounds, () => 0), 250);
  equal(backoffDelay(2, bounds, () => 0.5), 250 + 0.5 * (2000 - 250));
  for (let a = 0; a < 40; a++) {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(a, bounds);
      ok(d >= 250 && d <= 10_000, `attempt ${a}: ${d} out of bounds`);
    }
  }
  // Equal bounds: no jitter at all; a zero minimum still grows.
  equal(backoffDelay(3, { minDelayMs: 100, maxDelayMs: 100 }, () => 0.7), 100);
  equal(backoffDelay(3, { minDelayMs: 0, maxDelayMs: 1000 }, () => 1), 16);
});

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
        data: { room: "lobby", msgId: text, from: "s9", name: "x", text, ts: 1 },
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
