/** `/metrics` as rendered: every family documented, values read from the node when asked. */

import assert from "node:assert/strict";
import { Hub } from "../../hub/hub.ts";
import { LocalCluster } from "../../cluster/local.ts";
import { EdgeCounts } from "./counts.ts";
import { MetricsExporter } from "./exporter.ts";
import { parseSamples, series } from "./parse.ts";
import { notReady, redisHealth } from "./health.ts";

function setup() {
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000, resumeTtlMs: 60_000 });
  const counts = new EdgeCounts();
  const sockets = new Set<WebSocket>();
  const exporter = new MetricsExporter({ hub, sockets, counts });
  return {
    hub,
    counts,
    sockets,
    exporter,
    async samples() {
      return parseSamples(await exporter.render());
    },
    async [Symbol.asyncDispose]() {
      exporter.stop();
      await hub.close();
    },
  };
}

const FAMILIES: [string, string][] = [
  ["hub_info", "gauge"],
  ["hub_connections", "gauge"],
  ["hub_sessions", "gauge"],
  ["hub_rooms", "gauge"],
  ["hub_frames_in_total", "counter"],
  ["hub_frames_out_total", "counter"],
  ["hub_errors_total", "counter"],
  ["hub_closes_total", "counter"],
  ["hub_rate_limited_frames_total", "counter"],
  ["hub_slow_consumer_drops_total", "counter"],
  ["hub_resumes_total", "counter"],
  ["hub_history_messages", "gauge"],
  ["hub_event_loop_delay_seconds", "histogram"],
  ["process_resident_memory_bytes", "gauge"],
  ["deno_heap_used_bytes", "gauge"],
  ["deno_heap_total_bytes", "gauge"],
  ["deno_external_memory_bytes", "gauge"],
  ["process_cpu_seconds_total", "counter"],
  ["process_start_time_seconds", "gauge"],
];

Deno.test("every family has its type and help, and each is in docs/operations.md", async () => {
  await using node = setup();
  const text = await node.exporter.render();
  const docs = await Deno.readTextFile(new URL("../../../docs/operations.md", import.meta.url));
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(types, FAMILIES);
  for (const [name] of FAMILIES) {
    assert.match(text, new RegExp(`^# HELP ${name} \\S`, "m"));
    assert.ok(docs.includes(`\`${name}\``), `${name} is documented`);
  }
  for (
    const name of [
      "hub_redis_connected",
      "hub_redis_subscribed",
      "hub_redis_command_duration_seconds",
      "hub_redis_dropped_messages_total",
    ]
  ) {
    assert.ok(!text.includes(name), `${name} only with Redis`);
    assert.ok(docs.includes(`\`${name}\``), `${name} is documented`);
  }
  assert.equal(node.exporter.contentType, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("counters come from the edge's counts, zero until they move", async () => {
  await using node = setup();
  const before = await node.samples();
  assert.equal(before.get(series("hub_frames_in_total", { type: "chat" })), 0);
  assert.equal(before.get(series("hub_errors_total", { code: "internal" })), 0);
  assert.equal(before.get(series("hub_frames_out_total", { type: "other" })), undefined);

  node.counts.frameIn("chat");
  node.counts.frameIn("chat");
  node.counts.frameIn("binary");
  node.counts.frameOut('{"type":"reply","id":1,"ok":true,"data":{}}');
  node.counts.error("not_member");
  node.counts.rateLimited();
  node.counts.closed(4008, true);
  node.counts.closed(1001, false);
  const after = await node.samples();
  assert.equal(after.get(series("hub_frames_in_total", { type: "chat" })), 2);
  assert.equal(after.get(series("hub_frames_in_total", { type: "binary" })), 1);
  assert.equal(after.get(series("hub_frames_out_total", { type: "reply" })), 1);
  assert.equal(after.get(series("hub_errors_total", { code: "not_member" })), 1);
  assert.equal(after.get("hub_rate_limited_frames_total"), 1);
  assert.equal(after.get("hub_slow_consumer_drops_total"), 1);
  assert.equal(after.get(series("hub_closes_total", { code: "4008" })), 1);
  assert.equal(after.get(series("hub_closes_total", { code: "1001" })), 1);
  // Read twice, counted once: collecting replaces the values, never adds to them.
  const edge = (samples: Map<string, number>) =>
    [...samples].filter(([key]) => /^hub_(frames|errors|closes|rate|slow)/.test(key));
  assert.deepEqual(edge(await node.samples()), edge(after));
});

Deno.test("gauges read the hub: sessions connected and away, rooms, history, resumes", async () => {
  await using node = setup();
  const frames: string[] = [];
  const link = { send: (f: string) => frames.push(f), close() {} };
  const a = node.hub.connect(link);
  const b = node.hub.connect({ send() {}, close() {} });
  node.hub.handle(a.id, { type: "join", data: { room: "ops" } } as never);
  await Promise.resolve();
  node.hub.handle(a.id, { type: "chat", data: { room: "ops", text: "one" } } as never);
  node.hub.handle(a.id, { type: "chat", data: { room: "ops", text: "two" } } as never);
  node.hub.detach(b.id, node.hub.session(b.id)!.link!, false);
  node.hub.connect({ send() {}, close() {} }, "not-a-token");
  node.sockets.add({} as WebSocket);

  const samples = await node.samples();
  assert.equal(samples.get(series("hub_sessions", { state: "connected" })), 2);
  assert.equal(samples.get(series("hub_sessions", { state: "away" })), 1);
  assert.equal(samples.get("hub_connections"), 1);
  assert.equal(samples.get("hub_rooms"), 2, "lobby and ops");
  assert.equal(samples.get("hub_history_messages"), 2);
  assert.equal(samples.get(series("hub_resumes_total", { outcome: "failed" })), 1);
  assert.equal(samples.get(series("hub_resumes_total", { outcome: "resumed" })), 0);
  assert.equal(samples.get(series("hub_info", { node: "local" })), 1);
  assert.ok(samples.get("process_resident_memory_bytes")! > 0);
  assert.ok(samples.get("deno_heap_used_bytes")! > 0);
  assert.ok(samples.get("process_start_time_seconds")! * 1000 <= Date.now());
});

Deno.test("readiness: not while shutting down; the in-memory node has no Redis to wait on", () => {
  const hub = { cluster: new LocalCluster() };
  assert.equal(redisHealth(hub.cluster), undefined);
  assert.equal(notReady({ hub }), undefined);
  assert.equal(notReady({ hub, closing: false }), undefined);
  assert.equal(notReady({ hub, closing: true }), "shutting down");
});
