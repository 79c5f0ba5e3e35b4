/**
 * End-to-end tests of the operations endpoints, written from docs/operations.md: `/metrics`
 * counters that move by exactly the traffic made (frames in and out by type, errors, a rate-limited
 * frame, closes, resumes, history), who may read it (bearer token, loopback only, no proxied
 * requests, a non-loopback peer through the app's own handler), `/healthz`, and `/readyz` during
 * shutdown and across a Redis outage.
 *
 * Frames out are checked against what the probes received, with a `ping` barrier on each probe
 * first: once a probe has its ping reply, every frame the server sent it before has arrived.
 */

import assert from "node:assert/strict";
import { createApp } from "../main.ts";
import { parseSamples, series } from "../lib/server/metrics/parse.ts";
import { eventually, Probe, startTestServer, type TestServer } from "./helpers.ts";
import { Redis, redisMissing } from "./redis_server.ts";

async function scrape(server: TestServer, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.origin}/metrics`, { headers });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parseSamples(await response.text());
}

/** The samples of the counters that traffic moves, less those of `before`. */
function moved(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!/^hub_(frames|errors|closes|rate_limited|slow|resumes)/.test(key)) continue;
    const change = value - (before.get(key) ?? 0);
    if (change !== 0) delta[key] = change;
  }
  return delta;
}

/** Frames received by `probes`, by type, as `hub_frames_out_total` series. */
function received(...probes: Probe[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const probe of probes) {
    for (const frame of probe.frames) {
      const key = series("hub_frames_out_total", { type: frame.type });
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

const framesIn = (type: string) => series("hub_frames_in_total", { type });
const errors = (code: string) => series("hub_errors_total", { code });
const closes = (code: string) => series("hub_closes_total", { code });

Deno.test("/metrics counters move by exactly the traffic made", async () => {
  // CHAT_RATE 1 (burst 2): a join and a chat pass, the next chat is refused.
  await using server = await startTestServer({ chatRate: 1 });
  const before = await scrape(server);
  assert.equal(before.get("hub_connections"), 0);
  assert.equal(before.get(framesIn("chat")), 0, "known labels are exported from zero");

  const a = await Probe.open(server.wsUrl);
  const b = await Probe.open(server.wsUrl);
  assert.equal((await a.request("join", { room: "ops" })).ok, true);
  assert.equal((await b.request("join", { room: "ops" })).ok, true);
  assert.equal((await a.request("chat", { room: "ops", text: "hello" })).ok, true);
  a.send("{not json");
  assert.equal((await a.next((f) => f.type === "reply" && f.id === null)).error?.code, "bad_json");
  a.socket.send(new Uint8Array([1, 2, 3]));
  assert.equal((await a.next((f) => f.error?.code === "bad_request")).id, null);
  const limited = await a.request("chat", { room: "ops", text: "too soon" });
  assert.equal(limited.error?.code, "rate_limited");
  // Barriers: every frame the server sent either probe has arrived.
  await a.request("ping");
  await b.request("ping");

  const during = await scrape(server);
  assert.deepEqual(moved(during, before), {
    [framesIn("join")]: 2,
    [framesIn("chat")]: 2,
    [framesIn("invalid")]: 1,
    [framesIn("binary")]: 1,
    [framesIn("ping")]: 2,
    ...received(a, b),
    [errors("bad_json")]: 1,
    [errors("bad_request")]: 1,
    [errors("rate_limited")]: 1,
    "hub_rate_limited_frames_total": 1,
  });
  assert.deepEqual(received(a, b), {
    [series("hub_frames_out_total", { type: "welcome" })]: 2,
    [series("hub_frames_out_total", { type: "presence" })]: 2,
    [series("hub_frames_out_total", { type: "chat" })]: 2,
    [series("hub_frames_out_total", { type: "reply" })]: 8,
  });
  assert.equal(during.get("hub_connections"), 2);
  assert.equal(during.get(series("hub_sessions", { state: "connected" })), 2);
  assert.equal(during.get("hub_rooms"), 2, "lobby and ops");
  assert.equal(during.get("hub_history_messages"), 1);

  // A clean close ends the session; the server counts each close once, by its code.
  await a[Symbol.asyncDispose]();
  await b[Symbol.asyncDispose]();
  await eventually(async () => {
    const after = await scrape(server);
    assert.equal(after.get("hub_connections"), 0);
    assert.equal(after.get(closes("1000")) ?? 0, (before.get(closes("1000")) ?? 0) + 2);
    assert.equal(after.get(series("hub_sessions", { state: "connected" })), 0);
  });
});

Deno.test("/metrics: sessions away and resume outcomes", async () => {
  await using server = await startTestServer();
  const before = await scrape(server);
  const a = await Probe.open(server.wsUrl);
  const token = a.frames[0].data!.resumeToken as string;
  a.socket.close(4000, "network changed");
  await a.closed;
  await eventually(async () => {
    assert.equal((await scrape(server)).get(series("hub_sessions", { state: "away" })), 1);
  });
  await using back = await Probe.open(`${server.wsUrl}?resume=${token}`);
  assert.equal(back.frames[0].data!.resumed, true);
  await using fresh = await Probe.open(`${server.wsUrl}?resume=${token}`);
  assert.equal(fresh.frames[0].data!.resumed, false, "a token is used once");

  const after = await scrape(server);
  assert.equal(after.get(series("hub_sessions", { state: "away" })), 0);
  assert.equal(after.get(series("hub_sessions", { state: "connected" })), 2);
  const delta = moved(after, before);
  assert.equal(delta[series("hub_resumes_total", { outcome: "resumed" })], 1);
  assert.equal(delta[series("hub_resumes_total", { outcome: "failed" })], 1);
  assert.equal(delta[closes("other")], 1, "4000 is not one of ours");
});

Deno.test("/metrics with METRICS_TOKEN: the bearer token or 401, loopback included", async () => {
  await using server = await startTestServer({ metricsToken: "t0ken-for-tests" });
  for (const authorization of [undefined, "Bearer wrong", "Basic t0ken-for-tests"]) {
    const response = await fetch(`${server.origin}/metrics`, {
      headers: authorization ? { authorization } : {},
    });
    assert.equal(response.status, 401, String(authorization));
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="metrics"');
    await response.body?.cancel();
  }
  const samples = await scrape(server, { authorization: "Bearer t0ken-for-tests" });
  assert.equal(samples.get("hub_connections"), 0);
});

Deno.test("/metrics without a token: loopback only, never through a proxy", async () => {
  await using server = await startTestServer();
  await scrape(server);
  const proxied = await fetch(`${server.origin}/metrics`, {
    headers: { "x-forwarded-for": "203.0.113.7" },
  });
  assert.equal(proxied.status, 403);
  await proxied.body?.cancel();
  // A peer on another machine, as Deno.serve would describe it to the app's own handler.
  const handler = createApp(server.services).handler();
  const info = {
    remoteAddr: { transport: "tcp", hostname: "203.0.113.7", port: 40000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
  const remote = await handler(new Request(`${server.origin}/metrics`), info);
  assert.equal(remote.status, 403);
  assert.match(await remote.text(), /METRICS_TOKEN/);
  const local = await handler(new Request(`${server.origin}/metrics`), {
    ...info,
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  });
  assert.equal(local.status, 200);
  await local.body?.cancel();
});

Deno.test("/healthz answers ok; /readyz is 503 once shutdown begins", async () => {
  await using server = await startTestServer();
  const health = await fetch(`${server.origin}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok");
  const ready = await fetch(`${server.origin}/readyz`);
  assert.deepEqual([ready.status, await ready.text()], [200, "ready"]);

  // The services close first and the listener after, so the check is asked in between.
  const closing = server.services.close();
  const stopping = await fetch(`${server.origin}/readyz`);
  assert.deepEqual([stopping.status, await stopping.text()], [503, "shutting down"]);
  const alive = await fetch(`${server.origin}/healthz`);
  assert.equal(alive.status, 200, "still alive while it stops");
  await alive.body?.cancel();
  await closing;
});

Deno.test({
  name: "/readyz with Redis: 503 while Redis is stopped, 200 once connected and subscribed again",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    await using server = await startTestServer({ redisUrl: redis.url });
    const readyz = async () => {
      const response = await fetch(`${server.origin}/readyz`);
      return [response.status, await response.text()];
    };
    await eventually(async () => assert.deepEqual(await readyz(), [200, "ready"]));
    // The histograms count from the first read of /metrics (prom-client loads then).
    await scrape(server);
    await using a = await Probe.open(server.wsUrl);
    assert.equal((await a.request("join", { room: "before" })).ok, true);
    const up = await scrape(server);
    assert.equal(up.get("hub_redis_connected"), 1);
    assert.equal(up.get("hub_redis_subscribed"), 1);
    assert.ok(up.get("hub_redis_command_duration_seconds_count")! > 0, "awaited commands timed");
    const unsent = series("hub_redis_dropped_messages_total", { reason: "unsent" });

    await redis.stop();
    await eventually(async () => assert.deepEqual(await readyz(), [503, "redis disconnected"]));
    // Local clients are still served; what the other nodes would have heard is counted lost.
    assert.equal((await a.request("join", { room: "during" })).ok, true);
    const down = await scrape(server);
    assert.equal(down.get("hub_redis_connected"), 0);
    assert.equal(down.get("hub_redis_subscribed"), 0);
    assert.ok(down.get(unsent)! > up.get(unsent)!, "the join's presence was not sent");

    await redis.start();
    await eventually(async () => assert.deepEqual(await readyz(), [200, "ready"]), 20_000);
    const back = await scrape(server);
    assert.equal(back.get("hub_redis_connected"), 1);
    assert.equal(back.get("hub_redis_subscribed"), 1, "the room joined meanwhile included");
  },
});
