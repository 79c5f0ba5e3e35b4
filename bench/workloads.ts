/**
 * The three workloads, run against one started peer: RPC, fan-out and idle connections. Each one
 * starts its own generator processes, measures the server's CPU (and memory) from `/proc` around
 * the timed part only, and stops its generators before returning.
 *
 * @module
 */

import { Histogram } from "../lib/load/histogram.ts";
import { linearFit } from "../lib/load/stats.ts";
import type { ConnectResult, FanoutResult, PublishResult, RpcResult } from "./generator.ts";
import { Generator, type RunningPeer, startGenerators } from "./peers.ts";
import { cpuMicros, rssBytes, sleep } from "./procs.ts";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const ms = (micros: number) => round(micros / 1000, 2);

/** Splits `total` into `parts` nearly equal whole numbers. */
export function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

/** CPU of the server and of the generators between two moments. */
class CpuWindow {
  #server: number;
  #generators: number;
  #start = performance.now();
  constructor(readonly peer: RunningPeer, readonly gens: Generator[]) {
    this.#server = cpuMicros([peer.child.pid]);
    this.#generators = cpuMicros(gens.map((g) => g.child.pid));
  }
  /** Server CPU µs, generator CPU µs and wall ms since construction. */
  read(): { serverUs: number; generatorUs: number; wallMs: number } {
    return {
      serverUs: cpuMicros([this.peer.child.pid]) - this.#server,
      generatorUs: cpuMicros(this.gens.map((g) => g.child.pid)) - this.#generators,
      wallMs: performance.now() - this.#start,
    };
  }
}

async function withGenerators<T>(count: number, fn: (gens: Generator[]) => Promise<T>): Promise<T> {
  const gens = startGenerators(count);
  try {
    return await fn(gens);
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

async function connectAll(
  peer: RunningPeer,
  gens: Generator[],
  total: number,
  options: { room?: string; concurrency?: number } = {},
): Promise<ConnectResult[]> {
  const counts = split(total, gens.length);
  const results = await Promise.all(
    gens.map((g, i) =>
      counts[i] === 0
        ? Promise.resolve({ opened: 0, failed: 0, total: 0, startMs: 0, endMs: 0, errors: [] })
        : g.send<ConnectResult>({
          cmd: "connect",
          url: peer.base,
          dialect: peer.dialect,
          count: counts[i],
          room: options.room,
          concurrency: options.concurrency,
        })
    ),
  );
  const failed = results.reduce((a, r) => a + r.failed, 0);
  if (failed > 0) {
    throw new Error(
      `${peer.name}: ${failed} of ${total} connections failed: ${
        results.flatMap((r) => r.errors)[0]
      }`,
    );
  }
  return results;
}

export interface RpcOptions {
  connections: number;
  inflight: number;
  /** Requests in all (sequential run), or… */
  count?: number;
  /** …a timed run. */
  durationMs?: number;
  warmupMs: number;
  generators: number;
}

export interface RpcFigures {
  connections: number;
  inflight: number;
  generators: number;
  requests: number;
  wrong: number;
  lost: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuPerReqUs: number;
  /** Server CPU over the timed window, in % of one core. */
  serverCpuPct: number;
  /** All generator processes together, in % of one core. */
  generatorCpuPct: number;
}

/** Request/reply: `random` with a fixed number in flight per connection. */
export function rpc(peer: RunningPeer, options: RpcOptions): Promise<RpcFigures> {
  const gens = Math.min(options.generators, options.connections);
  return withGenerators(gens, async (generators) => {
    await connectAll(peer, generators, options.connections);
    const perGen = options.count === undefined ? undefined : split(options.count, gens);
    if (options.warmupMs > 0) {
      await Promise.all(
        generators.map((g) =>
          g.send({ cmd: "rpc", inflight: options.inflight, durationMs: options.warmupMs })
        ),
      );
    }
    const cpu = new CpuWindow(peer, generators);
    const results = await Promise.all(generators.map((g, i) =>
      g.send<RpcResult>({
        cmd: "rpc",
        inflight: options.inflight,
        count: perGen?.[i],
        durationMs: options.durationMs,
      })
    ));
    const used = cpu.read();
    const hist = new Histogram();
    for (const r of results) hist.merge(r.latency);
    const requests = results.reduce((a, r) => a + r.completed, 0);
    const seconds = (Math.max(...results.map((r) => r.endMs)) -
      Math.min(...results.map((r) => r.startMs))) / 1000;
    return {
      connections: options.connections,
      inflight: options.inflight,
      generators: gens,
      requests,
      wrong: results.reduce((a, r) => a + r.wrong, 0),
      lost: results.reduce((a, r) => a + r.lost, 0),
      seconds: round(seconds, 3),
      reqPerSec: Math.round(requests / seconds),
      p50Ms: ms(hist.percentile(50)),
      p99Ms: ms(hist.percentile(99)),
      maxMs: ms(hist.max),
      serverCpuPerReqUs: round(used.serverUs / requests, 2),
      serverCpuPct: round((used.serverUs / 1000 / used.wallMs) * 100),
      generatorCpuPct: round((used.generatorUs / 1000 / used.wallMs) * 100),
    };
  });
}

export interface FanoutOptions {
  members: number;
  rate: number;
  durationMs: number;
  saturationMs: number;
  /** Chat messages in flight during the saturation phase. */
  window: number;
  subscriberProcesses: number;
}

export interface FanoutFigures {
  members: number;
  /** Sockets in the room as the server sees it: the members plus the publisher. */
  roomSize: number;
  rate: number;
  seconds: number;
  published: number;
  expected: number;
  received: number;
  reach: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the publisher's open-loop sends were, worst case. */
  publisherLagMs: number;
  serverCpuPerDeliveryUs: number;
  serverCpuPct: number;
  generatorCpuPct: number;
  saturation: {
    published: number;
    deliveries: number;
    seconds: number;
    deliveriesPerSec: number;
    p99Ms: number;
    serverCpuPerDeliveryUs: number;
    serverCpuPct: number;
    generatorCpuPct: number;
  };
}

/** Waits until the subscribers have `expected` messages of `phase`, or nothing new came for 2 s. */
async function drain(subs: Generator[], phase: string, expected: number, maxMs = 20_000) {
  const deadline = performance.now() + maxMs;
  let last = -1, lastChange = performance.now();
  while (true) {
    const results = await Promise.all(
      subs.map((g) => g.send<FanoutResult>({ cmd: "fanout", phase })),
    );
    const received = results.reduce((a, r) => a + r.received, 0);
    if (received >= expected || performance.now() > deadline) return results;
    if (received !== last) {
      last = received;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > 2000) return results;
    await sleep(100);
  }
}

/** One room, a publisher at a fixed open-loop rate, then as fast as the server goes. */
export function fanout(peer: RunningPeer, options: FanoutOptions): Promise<FanoutFigures> {
  return withGenerators(options.subscriberProcesses + 1, async ([publisher, ...subs]) => {
    const room = "bench";
    await connectAll(peer, subs, options.members, { room, concurrency: 50 });
    await connectAll(peer, [publisher], 1, { room });
    const roomSize = options.members + 1;
    await sleep(1000); // let join announcements drain
    // Warm up both sides with a short burst that is not counted.
    const warm = await publisher.send<PublishResult>({
      cmd: "burst",
      room,
      phase: "warm",
      window: 4,
      durationMs: 300,
    });
    await drain(subs, "warm", warm.sent * options.members);
    await sleep(300);

    let cpu = new CpuWindow(peer, [publisher, ...subs]);
    const pub = await publisher.send<PublishResult>({
      cmd: "publish",
      room,
      phase: "rate",
      rate: options.rate,
      durationMs: options.durationMs,
    });
    const rate = await drain(subs, "rate", pub.sent * options.members);
    const rateCpu = cpu.read();
    const hist = new Histogram();
    for (const r of rate) hist.merge(r.latency);
    const received = rate.reduce((a, r) => a + r.received, 0);
    const expected = pub.sent * options.members;

    await sleep(300);
    cpu = new CpuWindow(peer, [publisher, ...subs]);
    const burst = await publisher.send<PublishResult>({
      cmd: "burst",
      room,
      phase: "sat",
      window: options.window,
      durationMs: options.saturationMs,
    });
    const sat = await drain(subs, "sat", burst.sent * options.members);
    const satCpu = cpu.read();
    const satHist = new Histogram();
    for (const r of sat) satHist.merge(r.latency);
    const deliveries = sat.reduce((a, r) => a + r.received, 0);
    const satSeconds = (Math.max(...sat.map((r) => r.lastMs)) - burst.startMs) / 1000;

    return {
      members: options.members,
      roomSize,
      rate: options.rate,
      seconds: round(options.durationMs / 1000, 1),
      published: pub.sent,
      expected,
      received,
      reach: round(received / expected, 4),
      p50Ms: ms(hist.percentile(50)),
      p99Ms: ms(hist.percentile(99)),
      maxMs: ms(hist.max),
      publisherLagMs: round(pub.maxLagMs, 2),
      serverCpuPerDeliveryUs: round(rateCpu.serverUs / (pub.acked * roomSize), 2),
      serverCpuPct: round((rateCpu.serverUs / 1000 / rateCpu.wallMs) * 100),
      generatorCpuPct: round((rateCpu.generatorUs / 1000 / rateCpu.wallMs) * 100),
      saturation: {
        published: burst.sent,
        deliveries,
        seconds: round(satSeconds, 3),
        deliveriesPerSec: Math.round(deliveries / satSeconds),
        p99Ms: ms(satHist.percentile(99)),
        serverCpuPerDeliveryUs: round(satCpu.serverUs / (burst.acked * roomSize), 2),
        serverCpuPct: round((satCpu.serverUs / 1000 / satCpu.wallMs) * 100),
        generatorCpuPct: round((satCpu.generatorUs / 1000 / satCpu.wallMs) * 100),
      },
    };
  });
}

export interface ConnectionOptions {
  /** Connection counts at which memory is sampled, ascending. */
  steps: number[];
  settleMs: number;
  generators: number;
}

export interface ConnectionFigures {
  target: number;
  opened: number;
  connectsPerSec: number;
  baseRssBytes: number;
  /** `[connections, RSS bytes]` after each step settled. */
  points: [number, number][];
  /** Least-squares slope of RSS over the points from 1,000 connections up (all if fewer). */
  rssPerConnBytes: number;
  r2: number;
  serverCpuPerConnectUs: number;
}

/** Opens idle connections in steps, sampling the server's RSS after each settles. */
export function connections(
  peer: RunningPeer,
  options: ConnectionOptions,
): Promise<ConnectionFigures> {
  return withGenerators(options.generators, async (gens) => {
    await sleep(options.settleMs);
    const baseRssBytes = rssBytes(peer.child.pid);
    const points: [number, number][] = [];
    let open = 0, connectMs = 0, connectCpuUs = 0;
    for (const step of options.steps) {
      const cpu = new CpuWindow(peer, gens);
      const results = await connectAll(peer, gens, step - open, { concurrency: 64 });
      connectCpuUs += cpu.read().serverUs;
      connectMs += Math.max(...results.map((r) => r.endMs)) -
        Math.min(...results.filter((r) => r.startMs > 0).map((r) => r.startMs));
      open = step;
      await sleep(options.settleMs);
      // The mean of a few samples smooths allocator and GC jitter.
      let sum = 0;
      for (let i = 0; i < 3; i++) {
        sum += rssBytes(peer.child.pid);
        await sleep(200);
      }
      points.push([step, Math.round(sum / 3)]);
    }
    const fitted = points.filter(([n]) => n >= 1000);
    const use = fitted.length >= 2 ? fitted : points;
    const fit = linearFit(use.map(([n]) => n), use.map(([, rss]) => rss));
    return {
      target: open,
      opened: open,
      connectsPerSec: Math.round(open / (connectMs / 1000)),
      baseRssBytes,
      points,
      rssPerConnBytes: Math.round(fit.slope),
      r2: round(fit.r2, 4),
      serverCpuPerConnectUs: round(connectCpuUs / open, 1),
    };
  });
}
