/**
 * `/metrics` in Prometheus text format, through prom-client's registry and metric types. Nothing
 * here runs per frame: every collector reads the plain counters and state the node keeps anyway
 * (`counts.ts`, the hub, the Redis broker) when `/metrics` is read. The exceptions are two
 * histograms fed as events happen: Redis command latency (per awaited command, never per frame)
 * and event-loop delay (ten ticks a second).
 *
 * prom-client's `collectDefaultMetrics` is not used: under Deno its memory gauges read
 * `/proc/self/status`, which needs `--allow-all`, and silently report 0 without it, and its
 * event-loop figures miss a blocked loop. Memory comes from `Deno.memoryUsage()` instead, and
 * event-loop delay from `event_loop.ts`. Names and meanings are listed in `docs/operations.md`.
 *
 * `exporter.ts` loads this module on the first read of `/metrics`, not at start: prom-client
 * holds about 14 MiB once loaded, which a node nobody scrapes need not pay. The two histograms
 * count from that first read; Prometheus takes counters that start late as it takes a restart.
 *
 * @module
 */

import process from "node:process";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Hub } from "../../hub/hub.ts";
import type { RedisCluster } from "../../cluster/redis/mod.ts";
import type { Cluster } from "../../cluster/seam.ts";
import { MemoryStreams } from "../../cluster/memory_streams.ts";
import type { EdgeCounts, Tally } from "./counts.ts";
import { EventLoopMonitor } from "./event_loop.ts";
import type { ApiCounts } from "../api/counts.ts";

/** What the exporter reads. */
export interface MetricsSources {
  hub: Hub;
  /** Open WebSockets. */
  sockets: { readonly size: number };
  counts: EdgeCounts;
  /** The server API's calls. */
  api?: ApiCounts;
}

/** Redis commands a node waits on take well under a millisecond on a healthy network. */
const REDIS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const EVENT_LOOP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A server's registry, and how to stop what feeds it as events happen. */
export interface Built {
  registry: Registry;
  stop(): void;
}

/**
 * Registers every metric of one server on a registry of its own, so that servers sharing a
 * process (tests) keep apart, and starts the event-loop monitor.
 */
export function buildRegistry({ hub, sockets, counts, api }: MetricsSources): Built {
  const registry = new Registry();
  let eventLoop: EventLoopMonitor;
  {
    const registers = [registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const counterBy = (name: string, help: string, label: string, tally: () => Tally) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [value, count] of tally().entries()) this.inc({ [label]: value }, count);
        },
      });

    new Gauge({
      name: "hub_info",
      help: "Always 1; the node id as a label",
      labelNames: ["node"],
      registers,
    }).set({ node: hub.cluster.nodeId }, 1);
    gauge("hub_connections", "Open WebSocket connections", () => sockets.size);
    new Gauge({
      name: "hub_sessions",
      help: "Sessions on this node: connected, or away waiting to be resumed",
      labelNames: ["state"],
      registers,
      collect() {
        this.set({ state: "connected" }, hub.count);
        this.set({ state: "away" }, hub.away);
      },
    });
    gauge("hub_rooms", "Rooms with at least one member on this node", () => hub.roomNames().length);
    counterBy(
      "hub_frames_in_total",
      "Frames received, by request type (invalid, binary, oversized: never a request)",
      "type",
      () => counts.framesIn,
    );
    counterBy(
      "hub_frames_out_total",
      "Frames sent, by event type, or reply",
      "type",
      () => counts.framesOut,
    );
    counterBy("hub_errors_total", "Error replies, by error code", "code", () => counts.errors);
    counterBy("hub_closes_total", "WebSocket closes, by close code", "code", () => counts.closes);
    counter(
      "hub_rate_limited_frames_total",
      "Frames refused by RATE_LIMIT or CHAT_RATE (refused with rate_limited, or closed with 1008)",
      () => counts.rateLimitedFrames,
    );
    counter(
      "hub_slow_consumer_drops_total",
      "Clients closed with 4008 for leaving too much unread data",
      () => counts.slowConsumerDrops,
    );
    new Counter({
      name: "hub_resumes_total",
      help: "Connections that brought a resume token: resumed, or failed (a new session instead)",
      labelNames: ["outcome"],
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: "resumed" }, hub.resumes.resumed);
        this.inc({ outcome: "failed" }, hub.resumes.failed);
      },
    });
    if (api) {
      new Counter({
        name: "hub_api_calls_total",
        help: "Server API calls answered, by call and HTTP status",
        labelNames: ["call", "status"],
        registers,
        collect() {
          this.reset();
          for (const [call, status, count] of api.entries()) this.inc({ call, status }, count);
        },
      });
    }
    const streams = hub.cluster.streams;
    if (streams instanceof MemoryStreams) {
      gauge("hub_history_messages", "Messages kept for history, all rooms", () => streams.kept);
    }

    const broker = redisBroker(hub.cluster);
    if (broker) {
      gauge(
        "hub_redis_connected",
        "1 when both Redis connections are up",
        () => broker.connection.down ? 0 : 1,
      );
      gauge(
        "hub_redis_subscribed",
        "1 when the node, control and every local room channel are subscribed",
        () => broker.subscribed ? 1 : 0,
      );
      const latency = new Histogram({
        name: "hub_redis_command_duration_seconds",
        help: "Redis commands the node waits on (registry reads and writes), until done or failed",
        buckets: REDIS_BUCKETS,
        registers,
      });
      broker.connection.timed = (ms) => latency.observe(ms / 1000);
      new Counter({
        name: "hub_redis_dropped_messages_total",
        help: "Cross-node messages lost: unsent while Redis was down, or received malformed",
        labelNames: ["reason"],
        registers,
        collect() {
          this.reset();
          this.inc({ reason: "unsent" }, broker.dropped.unsent);
          this.inc({ reason: "malformed" }, broker.dropped.malformed);
        },
      });
    }

    const delay = new Histogram({
      name: "hub_event_loop_delay_seconds",
      help: "How late a timer due every 100 ms ran: time the event loop was busy",
      buckets: EVENT_LOOP_BUCKETS,
      registers,
    });
    eventLoop = new EventLoopMonitor((seconds) => delay.observe(seconds));
    eventLoop.start();

    gauge("process_resident_memory_bytes", "Resident set size", () => Deno.memoryUsage().rss);
    gauge("deno_heap_used_bytes", "V8 heap in use", () => Deno.memoryUsage().heapUsed);
    gauge("deno_heap_total_bytes", "V8 heap allocated", () => Deno.memoryUsage().heapTotal);
    gauge(
      "deno_external_memory_bytes",
      "Memory outside the V8 heap held by JavaScript objects",
      () => Deno.memoryUsage().external,
    );
    counter("process_cpu_seconds_total", "User and system CPU time", () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    });
    gauge(
      "process_start_time_seconds",
      "Start of the process, Unix time",
      () => performance.timeOrigin / 1000,
    );
  }
  return {
    registry,
    stop() {
      eventLoop.stop();
      const broker = redisBroker(hub.cluster);
      if (broker) broker.connection.timed = undefined;
    },
  };
}

/** The Redis broker of a node in a deployment over Redis; undefined for the in-memory hub. */
export function redisBroker(cluster: Cluster): RedisCluster["broker"] | undefined {
  return cluster.kind === "redis" ? (cluster as RedisCluster).broker : undefined;
}
