/**
 * The Socket.IO endpoint's transports with the official client, 4.8 and the seeds' 4.0.1: long-
 * polling, WebSocket and the upgrade between them with requests in flight across it; and the
 * HTTP rules a client library would never break (Engine.IO v3, bad queries, unknown sids, CORS).
 */

import assert from "node:assert/strict";
import { startTestServer } from "./helpers.ts";
import { ack, CLIENTS, connect, next, RawPolling, TRANSPORTS } from "./socketio_helpers.ts";

for (const { version, io } of CLIENTS) {
  for (const { name, transports } of TRANSPORTS) {
    Deno.test(`socket.io-client ${version} over ${name}: client_id, requests with and without acks`, async () => {
      await using server = await startTestServer();
      await using client = await connect(io, server.origin, { transports });
      assert.match(client.clientId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const [time] = await ack(client.socket, "server_time") as [{ serverTime: number }];
      assert.ok(Math.abs(time.serverTime - Date.now()) < 5000);
      const [random] = await ack(client.socket, "random", { text: "héllo ✓" }) as [{
        text: string;
        n: number;
      }];
      assert.equal(random.text, `héllo ✓ ${random.n}`);
      // Without an ack, the reply comes as an event of the same name.
      const count = next(client.socket, "num_clients");
      client.socket.emit("num_clients");
      assert.deepEqual(await count, [{ count: 1 }]);
      const [elapsed] = await ack(client.socket, "client_time") as [{ elapsedMs: number }];
      assert.ok(elapsed.elapsedMs >= 0);
      if (name !== "polling") {
        // The upgrade is done once the client says so; requests went on across it.
        await waitFor(() => client.socket.io.engine.transport.name === "websocket");
      }
      assert.equal(
        client.socket.io.engine.transport.name,
        name === "polling" ? "polling" : "websocket",
      );
    });
  }

  Deno.test(`socket.io-client ${version}: requests in flight across the upgrade all get their replies`, async () => {
    await using server = await startTestServer();
    const socket = io(server.origin, {
      transports: ["polling", "websocket"],
      forceNew: true,
      reconnection: false,
    });
    try {
      const engine = socket.io.engine;
      const replies: Promise<unknown[]>[] = [];
      const burst = (tag: string) => {
        for (let i = 0; i < 40; i++) replies.push(ack(socket, "random", { text: `${tag}-${i}` }));
      };
      // Before the connection opens (buffered), as the probe starts, and as the upgrade lands.
      burst("before");
      engine.once("upgrading", () => burst("upgrading"));
      engine.once("upgrade", () => burst("upgraded"));
      const all = await Promise.all(replies.slice(0, 40));
      await waitFor(() => engine.transport.name === "websocket" && replies.length === 120);
      all.push(...await Promise.all(replies.slice(40)));
      const texts = all.map(([reply]) => (reply as { text: string; n: number }));
      for (const reply of texts) assert.equal(reply.text.split(" ")[1], String(reply.n));
      const tags = texts.map((reply) => reply.text.split(" ")[0]);
      assert.deepEqual(tags, [
        ...Array.from({ length: 40 }, (_, i) => `before-${i}`),
        ...Array.from({ length: 40 }, (_, i) => `upgrading-${i}`),
        ...Array.from({ length: 40 }, (_, i) => `upgraded-${i}`),
      ]);
    } finally {
      socket.disconnect();
    }
  });
}

/** Waits until `check` passes, polling every 10 ms for up to 5 s. */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("Condition not met within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("the handshake: Socket.IO's timings and maxPayload, or MAX_MESSAGE_BYTES when set", async () => {
  for (
    const [config, maxPayload] of [[{}, 1_000_000], [{ maxMessageBytes: 4096 }, 4096]] as const
  ) {
    await using server = await startTestServer(config);
    const response = await fetch(`${server.origin}/socket.io/?EIO=4&transport=polling`);
    const text = await response.text();
    assert.equal(response.headers.get("content-type"), "text/plain; charset=UTF-8");
    const open = JSON.parse(text.slice(1));
    assert.equal(text[0], "0");
    assert.deepEqual({ ...open, sid: "" }, {
      sid: "",
      upgrades: ["websocket"],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload,
    });
    await fetch(`${server.origin}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`, {
      method: "POST",
      body: "1",
    }).then((r) => r.body?.cancel());
    const socket = new WebSocket(
      `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
    );
    const first = await new Promise<string>((resolve) => socket.onmessage = (e) => resolve(e.data));
    const closed = new Promise((resolve) => socket.onclose = resolve);
    socket.close();
    await closed;
    assert.deepEqual(JSON.parse(first.slice(1)).upgrades, []);
  }
});

Deno.test("bad input: Engine.IO v3, bad transports, unknown sids and other methods get 400", async () => {
  await using server = await startTestServer();
  const base = `${server.origin}/socket.io/`;
  const cases: [string, string, RequestInit?][] = [
    ["EIO=3 (Socket.IO v2)", "?EIO=3&transport=polling"],
    ["no EIO", "?transport=polling"],
    ["EIO=abc", "?EIO=abc&transport=polling"],
    ["no transport", "?EIO=4"],
    ["transport=flash", "?EIO=4&transport=flash"],
    ["an unknown sid", "?EIO=4&transport=polling&sid=nope"],
    ["a POST that opens a session", "?EIO=4&transport=polling", { method: "POST", body: "40" }],
    ["PUT", "?EIO=4&transport=polling", { method: "PUT", body: "x" }],
    ["DELETE", "?EIO=4&transport=polling", { method: "DELETE" }],
    ["transport=websocket without an upgrade", "?EIO=4&transport=websocket"],
  ];
  for (const [label, query, init] of cases) {
    const response = await fetch(base + query, init);
    const body = await response.json();
    assert.equal(response.status, 400, label);
    assert.equal(typeof body.code, "number", label);
    assert.equal(typeof body.message, "string", label);
  }
  const v3 = await fetch(`${base}?EIO=3&transport=polling`);
  assert.deepEqual(await v3.json(), { code: 5, message: "Unsupported protocol version" });
});

Deno.test("the endpoint answers without a trailing slash too, and the fixture is absent by default", async () => {
  await using server = await startTestServer();
  const response = await fetch(`${server.origin}/socket.io?EIO=4&transport=polling`);
  assert.equal(response.status, 200);
  const sid = JSON.parse((await response.text()).slice(1)).sid;
  await fetch(`${server.origin}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: "POST",
    body: "1",
  }).then((r) => r.body?.cancel());
  for (const path of ["/conformance/socket.io/", "/conformance/engine.io/"]) {
    const fixture = await fetch(`${server.origin}${path}?EIO=4&transport=polling`);
    await fixture.body?.cancel();
    assert.equal(fixture.status, 404, path);
  }
});

Deno.test("CORS: an allowed Origin is echoed with credentials; another gets 403, upgrades too", async () => {
  await using server = await startTestServer({ allowedOrigins: ["https://seed.example"] });
  const base = `${server.origin}/socket.io/?EIO=4&transport=polling`;
  const allowed = await fetch(base, { headers: { origin: "https://seed.example" } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://seed.example");
  assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
  const sid = JSON.parse((await allowed.text()).slice(1)).sid;
  const post = await fetch(`${base}&sid=${sid}`, {
    method: "POST",
    body: "1",
    headers: { origin: "https://seed.example" },
  });
  assert.equal(post.headers.get("access-control-allow-origin"), "https://seed.example");
  await post.body?.cancel();

  const preflight = await fetch(base, {
    method: "OPTIONS",
    headers: {
      origin: "https://seed.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);

  const foreign = await fetch(base, { headers: { origin: "https://evil.example" } });
  await foreign.body?.cancel();
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);

  const socket = new WebSocket(
    `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
    {
      headers: { origin: "https://evil.example" },
    } as unknown as string[],
  );
  const outcome = await new Promise<string>((resolve) => {
    socket.onopen = () => resolve("open");
    socket.onerror = () => resolve("refused");
  });
  assert.equal(outcome, "refused");
});

Deno.test("CORS: the official client from an allowed page origin connects over polling", async () => {
  await using server = await startTestServer({ allowedOrigins: ["https://seed.example"] });
  const { io } = CLIENTS[0];
  await using client = await connect(io, server.origin, {
    transports: ["polling"],
    extraHeaders: { origin: "https://seed.example" },
  });
  assert.ok(client.clientId);
  await assert.rejects(
    connect(io, server.origin, {
      transports: ["polling"],
      extraHeaders: { origin: "https://evil.example" },
    }),
  );
});

Deno.test("a raw polling session: packets in one POST, answers in one GET, close releases the GET", async () => {
  // The heartbeat is staggered: a session's first beat may come at any time within the interval,
  // and this test reads whole polls. An hour keeps it out of the way.
  await using server = await startTestServer({ heartbeatMs: 3_600_000 });
  const raw = await RawPolling.open(server.origin);
  assert.deepEqual(await raw.post("40"), { status: 200, body: "ok" });
  const opened = await raw.until("42");
  assert.ok(opened.some((p) => p.startsWith("40{")), JSON.stringify(opened));
  assert.ok(opened.some((p) => p.startsWith('42["client_id"')), JSON.stringify(opened));
  // Two requests in one payload; both answers come back in order.
  assert.equal((await raw.post('421["ping"]\x1e422["random",{"text":"x"}]')).status, 200);
  const answers = (await raw.until("432")).filter((p) => p.startsWith("43"));
  assert.match(answers[0], /^431\[\{"serverTime":\d+\}\]$/);
  assert.match(answers[1], /^432\[\{"text":"x \d+","n":\d+\}\]$/);
  const waiting = raw.poll();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(await raw.post("1"), { status: 200, body: "ok" });
  assert.deepEqual(await waiting, { status: 200, body: "6" });
  assert.equal((await raw.poll()).status, 400);
});
