/**
 * The three workloads, run against one started peer: RPC, fan-out and idle connections. Each one
 * starts its own generator processes, measures the server's CPU (and memory) from `/proc` around
 * the timed part only, and stops its generators before returning.
 *
 * RPC and fan-out also run against a {@link Target} of several nodes (the hub's two-node run over
 * Redis): each generator then holds connections to one node, the nodes' CPU is summed as the
 * server's, and the broker joining them (Redis) is measured apart.
 *
 * @module
 */

import { Histogram } from "../tools/load/histogram.ts";
import { linearFit } from "../tools/load/stats.ts";
import type { ConnectResult, FanoutResult, PublishResult, RpcResult } from "./generator.ts";
import { Generator, type RunningPeer, startGenerators } from "./peers.ts";
import { type Child, cpuMicros, rssBytes, sleep } from "./procs.ts";
import type { DialectName } from "./wire.ts";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const ms = (micros: number) => round(micros / 1000, 2);

/** Splits `total` into `parts` nearly equal whole numbers. */
export function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

/** What a workload drives: one server, or the nodes of one deployment and the broker between them. */
export interface Target {
  name: string;
  dialect: DialectName;
  /** Generator `i` connects to `nodes[i % nodes.length]`. */
  nodes: RunningPeer[];
  /** Joins the nodes (Redis); its CPU is measured apart from theirs. */
  broker?: Broker;
}

/** The process joining the nodes, with its own CPU clock. */
export interface Broker {
  child: Child;
  /** CPU time the broker has used, in µs (finer than `/proc`'s 10 ms ticks). */
  cpuMicros(): Promise<number>;
}

const toTarget = (t: RunningPeer | Target): Target =>
  "nodes" in t ? t : { name: t.name, dialect: t.dialect, nodes: [t] };

/** The node generator `i` connects to. */
const nodeOf = (target: Target, i: number) => i % target.nodes.length;

/**
 * Connections per generator: `total` split evenly over the nodes first, then each node's share
 * over the generators connected to it.
 */
function perGenerator(target: Target, gens: number, total: number): number[] {
  const nodes = target.nodes.length;
  const perNode = split(total, nodes);
  const counts = new Array<number>(gens).fill(0);
  for (let node = 0; node < nodes; node++) {
    const mine = Array.from({ length: gens }, (_, i) => i).filter((i) => i % nodes === node);
    split(perNode[node], mine.length).forEach((n, k) => counts[mine[k]] = n);
  }
  return counts;
}

/** CPU of the server (all its nodes), of the broker and of the generators between two moments. */
class CpuWindow {
  #server = 0;
  #broker = 0;
  #generators = 0;
  #start = 0;
  private constructor(readonly target: Target, readonly gens: Generator[]) {}

  static async open(target: Target, gens: Generator[]): Promise<CpuWindow> {
    const window = new CpuWindow(target, gens);
    window.#broker = await window.#brokerNow();
    window.#server = window.#serverNow();
    window.#generators = cpuMicros(gens.map((g) => g.child.pid));
    window.#start = performance.now();
    return window;
  }
  #serverNow(): number {
    return cpuMicros(this.target.nodes.map((n) => n.child.pid));
  }
  #brokerNow(): Promise<number> {
    return this.target.broker ? this.target.broker.cpuMicros() : Promise.resolve(0);
  }
  /** Server (nodes summed), broker and generator CPU µs, and wall ms, since it opened. */
  async read(): Promise<
    { serverUs: number; brokerUs: number; generatorUs: number; wallMs: number }
  > {
    const wallMs = performance.now() - this.#start;
    const serverUs = this.#serverNow() - this.#server;
    const generatorUs = cpuMicros(this.gens.map((g) => g.child.pid)) - this.#generators;
    const brokerUs = (await this.#brokerNow()) - this.#broker;
    return { serverUs, brokerUs, generatorUs, wallMs };
  }
}

/** CPU in % of one core. */
const pct = (us: number, wallMs: number) => round((us / 1000 / wallMs) * 100);

export async function withGenerators<T>(
  count: number,
  fn: (gens: Generator[]) => Promise<T>,
): Promise<T> {
  const gens = startGenerators(count);
  try {
    return await fn(gens);
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

/**
 * Opens `total` connections over the generators; `gens[i]` connects to node `nodeOf(i)`, unless
 * `node` pins them all to one node.
 */
export async function connectAll(
  target: Target,
  gens: Generator[],
  total: number,
  options: { room?: string; concurrency?: number; node?: number; query?: string } = {},
): Promise<ConnectResult[]> {
  const counts = options.node === undefined
    ? perGenerator(target, gens.length, total)
    : split(total, gens.length);
  const results = await Promise.all(
    gens.map((g, i) =>
      counts[i] === 0
        ? Promise.resolve({ opened: 0, failed: 0, total: 0, startMs: 0, endMs: 0, errors: [] })
        : g.send<ConnectResult>({
          cmd: "connect",
          url: target.nodes[options.node ?? nodeOf(target, i)].base,
          dialect: target.dialect,
          count: counts[i],
          room: options.room,
          query: options.query,
          concurrency: options.concurrency,
        })
    ),
  );
  const failed = results.reduce((a, r) => a + r.failed, 0);
  if (failed > 0) {
    throw new Error(
      `${target.name}: ${failed} of ${total} connections failed: ${
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
  /** Server processes the connections were split over (1, or the nodes of a deployment). */
  nodes: number;
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
  /** Summed over every node. */
  serverCpuPerReqUs: number;
  /** Server CPU over the timed window, in % of one core (nodes summed). */
  serverCpuPct: number;
  /** The broker's (Redis's) CPU, when there is one; not in the server figures. */
  brokerCpuPerReqUs?: number;
  brokerCpuPct?: number;
  /** All generator processes together, in % of one core. */
  generatorCpuPct: number;
}

/**
 * Request/reply: `random` with a fixed number in flight per connection. Against several nodes the
 * connections are split evenly over them, with at least one generator per node.
 */
export function rpc(server: RunningPeer | Target, options: RpcOptions): Promise<RpcFigures> {
  const target = toTarget(server);
  const gens = Math.min(
    Math.max(options.generators, target.nodes.length),
    options.connections,
  );
  return withGenerators(gens, async (generators) => {
    await connectAll(target, generators, options.connections);
    const perGen = options.count === undefined ? undefined : split(options.count, gens);
    if (options.warmupMs > 0) {
      await Promise.all(
        generators.map((g) =>
          g.send({ cmd: "rpc", inflight: options.inflight, durationMs: options.warmupMs })
        ),
      );
    }
    const cpu = await CpuWindow.open(target, generators);
    const results = await Promise.all(generators.map((g, i) =>
      g.send<RpcResult>({
        cmd: "rpc",
        inflight: options.inflight,
        count: perGen?.[i],
        durationMs: options.durationMs,
      })
    ));
    const used = await cpu.read();
    const hist = new Histogram();
    for (const r of results) hist.merge(r.latency);
    const requests = results.reduce((a, r) => a + r.completed, 0);
    const seconds = (Math.max(...results.map((r) => r.endMs)) -
      Math.min(...results.map((r) => r.startMs))) / 1000;
    return {
      nodes: target.nodes.length,
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
      serverCpuPct: pct(used.serverUs, used.wallMs),
      ...(target.broker
        ? {
          brokerCpuPerReqUs: round(used.brokerUs / requests, 2),
          brokerCpuPct: pct(used.brokerUs, used.wallMs),
        }
        : {}),
      generatorCpuPct: pct(used.generatorUs, used.wallMs),
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
  /** Server processes the members were split over; the publisher is on the first. */
  nodes: number;
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
  /** Summed over every node. */
  serverCpuPerDeliveryUs: number;
  serverCpuPct: number;
  /** The broker's (Redis's) CPU, when there is one; not in the server figures. */
  brokerCpuPerDeliveryUs?: number;
  brokerCpuPct?: number;
  generatorCpuPct: number;
  /** Several nodes only: the members of each node apart (node 0 holds the publisher). */
  perNode?: NodeFanout[];
  saturation: {
    published: number;
    deliveries: number;
    seconds: number;
    deliveriesPerSec: number;
    p99Ms: number;
    serverCpuPerDeliveryUs: number;
    serverCpuPct: number;
    brokerCpuPerDeliveryUs?: number;
    brokerCpuPct?: number;
    generatorCpuPct: number;
    perNode?: { node: number; received: number; p50Ms: number; p99Ms: number }[];
  };
}

/** The fixed-rate phase as seen by the members of one node. */
export interface NodeFanout {
  node: number;
  /** Whether the publisher is connected to this node (its members need no broker hop). */
  publisherHere: boolean;
  members: number;
  expected: number;
  received: number;
  reach: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Waits until the subscribers have `expected` messages of `phase`, or nothing new came for 2 s. */
export async function drain(subs: Generator[], phase: string, expected: number, maxMs = 20_000) {
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

/** The subscribers' results merged, over all of them or those of one node. */
export function merged(results: FanoutResult[], keep: (i: number) => boolean = () => true) {
  const hist = new Histogram();
  let received = 0;
  results.forEach((r, i) => {
    if (!keep(i)) return;
    hist.merge(r.latency);
    received += r.received;
  });
  return { hist, received };
}

/**
 * One room, a publisher at a fixed open-loop rate, then as fast as the server goes. Against
 * several nodes the members are split evenly over them (at least one subscriber process per node)
 * and the publisher is on the first node.
 */
export function fanout(
  server: RunningPeer | Target,
  options: FanoutOptions,
): Promise<FanoutFigures> {
  const target = toTarget(server);
  const nodes = target.nodes.length;
  const subCount = Math.max(options.subscriberProcesses, nodes);
  return withGenerators(subCount + 1, async ([publisher, ...subs]) => {
    const room = "bench";
    const opened = await connectAll(target, subs, options.members, { room, concurrency: 50 });
    await connectAll(target, [publisher], 1, { room, node: 0 });
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

    let cpu = await CpuWindow.open(target, [publisher, ...subs]);
    const pub = await publisher.send<PublishResult>({
      cmd: "publish",
      room,
      phase: "rate",
      rate: options.rate,
      durationMs: options.durationMs,
    });
    const rate = await drain(subs, "rate", pub.sent * options.members);
    const rateCpu = await cpu.read();
    const { hist, received } = merged(rate);
    const expected = pub.sent * options.members;

    await sleep(300);
    cpu = await CpuWindow.open(target, [publisher, ...subs]);
    const burst = await publisher.send<PublishResult>({
      cmd: "burst",
      room,
      phase: "sat",
      window: options.window,
      durationMs: options.saturationMs,
    });
    const sat = await drain(subs, "sat", burst.sent * options.members);
    const satCpu = await cpu.read();
    const { hist: satHist, received: deliveries } = merged(sat);
    const satSeconds = (Math.max(...sat.map((r) => r.lastMs)) - burst.startMs) / 1000;

    const rateDeliveries = pub.acked * roomSize;
    const satDeliveries = burst.acked * roomSize;
    const broker = (used: { brokerUs: number; wallMs: number }, count: number) =>
      target.broker
        ? {
          brokerCpuPerDeliveryUs: round(used.brokerUs / count, 3),
          brokerCpuPct: pct(used.brokerUs, used.wallMs),
        }
        : {};
    const onNode = (node: number) => (i: number) => nodeOf(target, i) === node;
    const perNode = nodes === 1 ? undefined : target.nodes.map((_, node): NodeFanout => {
      const members = opened.reduce((a, r, i) => a + (onNode(node)(i) ? r.opened : 0), 0);
      const mine = merged(rate, onNode(node));
      return {
        node,
        publisherHere: node === 0,
        members,
        expected: pub.sent * members,
        received: mine.received,
        reach: round(mine.received / (pub.sent * members), 4),
        p50Ms: ms(mine.hist.percentile(50)),
        p99Ms: ms(mine.hist.percentile(99)),
        maxMs: ms(mine.hist.max),
      };
    });

    return {
      nodes,
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
      serverCpuPerDeliveryUs: round(rateCpu.serverUs / rateDeliveries, 2),
      serverCpuPct: pct(rateCpu.serverUs, rateCpu.wallMs),
      ...broker(rateCpu, rateDeliveries),
      generatorCpuPct: pct(rateCpu.generatorUs, rateCpu.wallMs),
      ...(perNode ? { perNode } : {}),
      saturation: {
        published: burst.sent,
        deliveries,
        seconds: round(satSeconds, 3),
        deliveriesPerSec: Math.round(deliveries / satSeconds),
        p99Ms: ms(satHist.percentile(99)),
        serverCpuPerDeliveryUs: round(satCpu.serverUs / satDeliveries, 2),
        serverCpuPct: pct(satCpu.serverUs, satCpu.wallMs),
        ...broker(satCpu, satDeliveries),
        generatorCpuPct: pct(satCpu.generatorUs, satCpu.wallMs),
        ...(nodes === 1 ? {} : {
          perNode: target.nodes.map((_, node) => {
            const mine = merged(sat, onNode(node));
            return {
              node,
              received: mine.received,
              p50Ms: ms(mine.hist.percentile(50)),
              p99Ms: ms(mine.hist.percentile(99)),
            };
          }),
        }),
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
    const target = toTarget(peer);
    const baseRssBytes = rssBytes(peer.child.pid);
    const points: [number, number][] = [];
    let open = 0, connectMs = 0, connectCpuUs = 0;
    for (const step of options.steps) {
      const cpu = await CpuWindow.open(target, gens);
      const results = await connectAll(target, gens, step - open, { concurrency: 64 });
      connectCpuUs += (await cpu.read()).serverUs;
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
