/**
 * The scale workloads of `deno task bench`: one server process holding as many idle connections
 * as one process can here (19,800 of an open-file limit of 20,000), all opened by the same
 * raw-socket generator (`raw_generator.ts`) whatever the server. Each phase starts a fresh server:
 *
 * - **connect**: its RSS at start, then 19,800 connections (no room), with the server's CPU per
 *   connect and its RSS per connection;
 * - **idle**: with `HEARTBEAT_MS=1000`, the server's CPU over 10 s of idle connections, a fresh
 *   client's `ping` round trips meanwhile (`probe_client.ts`), and how many heartbeats each
 *   socket got;
 * - **room**: 10,000 and 19,800 members in one room (the hub's lobby, which every session is in;
 *   echo's sockets join it), a publisher sending 2 messages/s for 10 s, CPU per delivery, the
 *   members' latency and reach, and the probe's round trips meanwhile.
 *
 * Servers: `hub`, `echo`, `echo-heartbeat` (echo sending the same heartbeat frame to every socket,
 * staggered in slices of the hub's tick size: the floor for the hub's heartbeat, idle phase only)
 * and, when a baseline tree is given, `hub-before` (the hub before this work, from that tree).
 * Both echoes keep the hub's keepalive (`IDLE_TIMEOUT_S` 30 s: Deno pings a socket idle for 15 s),
 * so the idle figures compare servers that detect a dead peer equally soon.
 *
 * @module
 */

import { DEFAULTS } from "../lib/server/config.ts";
import { BATCH } from "../lib/hub/heartbeat.ts";
import { Histogram } from "../tools/load/histogram.ts";
import type { ConnectResult, FanoutResult, PublishResult } from "./generator.ts";
import { Generator, ROOT, startHub } from "./peers.ts";
import { type Child, cpuMicros, freePort, rssBytes, sleep, spawn, waitForPort } from "./procs.ts";
import type { ProbeResult } from "./probe_client.ts";
import type { Tally } from "./raw_generator.ts";

export type ScaleServer = "hub" | "hub-before" | "echo" | "echo-heartbeat";

export interface ScaleSettings {
  connections: number;
  heartbeatMs: number;
  idleMs: number;
  probeRate: number;
  roomSizes: number[];
  roomRate: number;
  roomMs: number;
  concurrency: number;
}

export interface ProbeFigures {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the probe's own sends were, worst case: its process's load, not the server's. */
  lagMs: number;
}

export interface ConnectPhase {
  connections: number;
  seconds: number;
  connectsPerSec: number;
  cpuPerConnectUs: number;
  startRssBytes: number;
  rssBytes: number;
  rssPerConnBytes: number;
}

export interface IdlePhase {
  connections: number;
  heartbeatMs: number;
  seconds: number;
  cpuPct: number;
  probe: ProbeFigures;
  /** Heartbeats per socket over the window: fewest and most. */
  beats: { min: number; max: number };
  /** Sockets the server closed during the window. */
  closed: number;
}

export interface RoomPhase {
  members: number;
  /** Sockets in the room as the server sees it: members, publisher (and the hub's probe). */
  roomSize: number;
  published: number;
  expected: number;
  received: number;
  reach: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuPerDeliveryUs: number;
  cpuPct: number;
  probe: ProbeFigures;
}

export interface ScaleFigures {
  connect?: ConnectPhase;
  idle?: IdlePhase;
  rooms: RoomPhase[];
  errors: string[];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const RAW = "./raw_generator.ts";
/**
 * The generators that make the load (the idle sockets, the publisher) run niced, below the server
 * and the probe: on 2 shared cores, a generator parsing 40,000 frames a second would otherwise
 * decide the probe's round trips as much as the server does.
 */
export const LOAD_NICE = 10;
/**
 * The hub's cap: the one it derives would refuse part of the 19,800 (14,681 from the 16,384 files
 * it assumes when it cannot read its limit, as here without `--allow-all`; 17,936 from 20,000). 19,850 WebSockets still leave 150 of the 20,000 descriptors for the
 * runtime (about 30), Redis and the upgrades in flight (at most 64 from one generator), so an
 * accept never fails for lack of one (denoland/deno#10148).
 */
const MAX_CONNECTIONS = "19850";

/** A fresh server of `kind` on a free port; `heartbeatMs` 0 leaves the default (60 s). */
async function start(kind: ScaleServer, heartbeatMs: number, baseline?: string) {
  const port = freePort();
  const heartbeat: Record<string, string> = heartbeatMs > 0
    ? { HEARTBEAT_MS: String(heartbeatMs) }
    : {};
  let child: Child;
  if (kind === "hub" || kind === "hub-before") {
    const env = { ...heartbeat, MAX_CONNECTIONS };
    child = startHub(kind, port, env, kind === "hub" ? ROOT : baseline);
  } else {
    child = spawn(kind, Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env=PORT,HEARTBEAT_MS,HEARTBEAT_SLICE,IDLE_TIMEOUT_S",
        `${ROOT}bench/peers/echo.ts`,
      ],
      env: {
        PORT: String(port),
        // The hub's keepalive: Deno pings a socket idle for half of it, as the hub's do.
        IDLE_TIMEOUT_S: String(DEFAULTS.idleTimeoutS),
        // Beats staggered in the hub's ticks, so the floor is the hub's design done bare.
        ...(kind === "echo-heartbeat" ? { ...heartbeat, HEARTBEAT_SLICE: String(BATCH) } : {}),
      },
    });
  }
  await waitForPort(child, port);
  return { child, port, base: `ws://127.0.0.1:${port}` };
}

async function meanRss(pid: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    sum += rssBytes(pid);
    await sleep(200);
  }
  return Math.round(sum / 3);
}

function probeFigures(result: ProbeResult): ProbeFigures {
  const hist = new Histogram();
  hist.merge(result.latency);
  return {
    sent: result.sent,
    received: result.received,
    p50Ms: round(hist.percentile(50) / 1000, 2),
    p99Ms: round(hist.percentile(99) / 1000, 2),
    maxMs: round(hist.max / 1000, 2),
    lagMs: round(result.maxLagMs, 1),
  };
}

/** Runs `fn` with a fresh server and the generator processes it asks for, all stopped after. */
async function withServer<T>(
  kind: ScaleServer,
  heartbeatMs: number,
  baseline: string | undefined,
  fn: (
    server: Awaited<ReturnType<typeof start>>,
    gen: (script?: string, nice?: number) => Generator,
  ) => Promise<T>,
): Promise<T> {
  const server = await start(kind, heartbeatMs, baseline);
  const gens: Generator[] = [];
  try {
    return await fn(server, (script, nice) => {
      const g = new Generator(`${kind}-${gens.length}`, script, nice);
      gens.push(g);
      return g;
    });
  } finally {
    await Promise.all(gens.map((g) => g.send({ cmd: "close" }).catch(() => {})));
    await Promise.all(gens.map((g) => g.close()));
    await server.child.stop();
  }
}

/** Opens `count` raw sockets to the server on `port` (joined to `room` if given), every one. */
async function openAll(
  raw: Generator,
  port: number,
  count: number,
  concurrency: number,
  room?: string,
): Promise<ConnectResult> {
  const result = await raw.send<ConnectResult>({
    cmd: "connect",
    host: "127.0.0.1",
    port,
    path: "/ws",
    count,
    concurrency,
    room,
  });
  if (result.opened !== count) {
    throw new Error(`${result.opened} of ${count} connections opened: ${result.errors[0]}`);
  }
  return result;
}

async function connectPhase(
  kind: ScaleServer,
  s: ScaleSettings,
  baseline?: string,
): Promise<ConnectPhase> {
  return await withServer(kind, 0, baseline, async (server, gen) => {
    const raw = gen(RAW, LOAD_NICE);
    await sleep(2000);
    const startRssBytes = await meanRss(server.child.pid);
    const before = cpuMicros([server.child.pid]);
    const result = await openAll(raw, server.port, s.connections, s.concurrency);
    const cpu = cpuMicros([server.child.pid]) - before;
    await sleep(3000);
    const rss = await meanRss(server.child.pid);
    const seconds = (result.endMs - result.startMs) / 1000;
    return {
      connections: s.connections,
      seconds: round(seconds, 2),
      connectsPerSec: Math.round(s.connections / seconds),
      cpuPerConnectUs: round(cpu / s.connections),
      startRssBytes,
      rssBytes: rss,
      rssPerConnBytes: Math.round((rss - startRssBytes) / s.connections),
    };
  });
}

async function idlePhase(
  kind: ScaleServer,
  s: ScaleSettings,
  baseline?: string,
): Promise<IdlePhase> {
  const heartbeatMs = kind === "echo" ? 0 : s.heartbeatMs;
  return await withServer(kind, heartbeatMs, baseline, async (server, gen) => {
    const raw = gen(RAW, LOAD_NICE);
    const probe = gen();
    await openAll(raw, server.port, s.connections, s.concurrency);
    await sleep(3000);
    await raw.send<Tally>({ cmd: "tally", mark: true });
    const t0 = performance.now();
    const before = cpuMicros([server.child.pid]);
    const probed = await probe.send<ProbeResult>({
      cmd: "probe",
      url: server.base,
      rate: s.probeRate,
      durationMs: s.idleMs,
    });
    const cpu = cpuMicros([server.child.pid]) - before;
    const wallMs = performance.now() - t0;
    const tally = await raw.send<Tally>({ cmd: "tally" });
    return {
      connections: s.connections,
      heartbeatMs,
      seconds: round(wallMs / 1000, 2),
      cpuPct: round((cpu / 1000 / wallMs) * 100),
      probe: probeFigures(probed),
      beats: { min: tally.beats.min, max: tally.beats.max },
      closed: tally.closed,
    };
  });
}

async function roomPhase(
  kind: ScaleServer,
  members: number,
  s: ScaleSettings,
  baseline?: string,
): Promise<RoomPhase> {
  // Every hub session is in the lobby already; echo's sockets join a room of that name.
  const room = "lobby";
  const joins = kind === "echo" ? room : undefined;
  return await withServer(kind, 0, baseline, async (server, gen) => {
    const raw = gen(RAW, LOAD_NICE);
    const publisher = gen(undefined, LOAD_NICE);
    const probe = gen();
    await openAll(raw, server.port, members, s.concurrency, joins);
    await publisher.send({ cmd: "connect", url: server.base, dialect: "hub", count: 1, room });
    await sleep(2000);
    const t0 = performance.now();
    const before = cpuMicros([server.child.pid]);
    const [probed, pub] = await Promise.all([
      probe.send<ProbeResult>({
        cmd: "probe",
        url: server.base,
        rate: s.probeRate,
        durationMs: s.roomMs,
      }),
      publisher.send<PublishResult>({
        cmd: "publish",
        room,
        phase: "room",
        rate: s.roomRate,
        durationMs: s.roomMs,
      }),
    ]);
    const expected = pub.sent * members;
    let got: FanoutResult = await raw.send<FanoutResult>({ cmd: "fanout", phase: "room" });
    for (let i = 0; i < 50 && got.received < expected; i++) {
      await sleep(100);
      got = await raw.send<FanoutResult>({ cmd: "fanout", phase: "room" });
    }
    const cpu = cpuMicros([server.child.pid]) - before;
    const wallMs = performance.now() - t0;
    // The hub's probe is in the lobby too, and gets every message.
    const roomSize = members + 1 + (kind === "echo" ? 0 : 1);
    const hist = new Histogram();
    hist.merge(got.latency);
    return {
      members,
      roomSize,
      published: pub.sent,
      expected,
      received: got.received,
      reach: round(got.received / expected, 4),
      p50Ms: round(hist.percentile(50) / 1000, 2),
      p99Ms: round(hist.percentile(99) / 1000, 2),
      maxMs: round(hist.max / 1000, 2),
      cpuPerDeliveryUs: round(cpu / (pub.acked * roomSize), 2),
      cpuPct: round((cpu / 1000 / wallMs) * 100),
      probe: probeFigures(probed),
    };
  });
}

/**
 * Every phase for one server; a phase that fails is noted in `errors` and the others still run.
 * `echo-heartbeat` runs the idle phase only.
 */
export async function scale(
  kind: ScaleServer,
  settings: ScaleSettings,
  log: (line: string) => void,
  baseline?: string,
): Promise<ScaleFigures> {
  const figures: ScaleFigures = { rooms: [], errors: [] };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    log(`${kind}: scale ${what}`);
    try {
      const value = await fn();
      log(`${kind}: scale ${what}: ${JSON.stringify(value)}`);
      return value;
    } catch (err) {
      log(`${kind}: scale ${what} FAILED: ${(err as Error).message}`);
      figures.errors.push(`${what}: ${(err as Error).message}`);
      return undefined;
    }
  };
  if (kind !== "echo-heartbeat") {
    figures.connect = await attempt("connect", () => connectPhase(kind, settings, baseline));
  }
  figures.idle = await attempt("idle", () => idlePhase(kind, settings, baseline));
  if (kind === "echo-heartbeat") return figures;
  for (const members of settings.roomSizes) {
    const phase = await attempt(
      `room of ${members}`,
      () => roomPhase(kind, members, settings, baseline),
    );
    if (phase) figures.rooms.push(phase);
  }
  return figures;
}
