/**
 * `deno task bench --scale`: the hub scaled out on this machine. A process here holds about
 * 19,800 sockets (an open-file limit of 20,000), so the run starts 5 hub processes on one Redis,
 * each on its own port, and opens 19,800 idle connections to each from 5 raw-socket generator
 * processes (`raw_generator.ts`), each from its own source address (127.0.0.10 and up) so that no
 * address runs short of ephemeral ports. It reports, for the whole deployment: the time to connect
 * everything, RSS per connection, idle CPU, `num_clients` on every node (which must be exact), one
 * chat to the lobby reaching everyone (reach and latency), and a probe's `ping` round trips on
 * node 0 throughout, phase by phase. Sockets are closed with a reset at the end.
 *
 * @module
 */

import { HubClient } from "../lib/client/mod.ts";
import { Histogram, type HistogramData } from "../tools/load/histogram.ts";
import { startDeployment } from "./cluster.ts";
import type { ConnectResult, FanoutResult, PublishResult } from "./generator.ts";
import { Generator } from "./peers.ts";
import { cpuMicros, rssBytes, sleep } from "./procs.ts";
import type { ProbeResult } from "./probe_client.ts";
import { loadMeter, type RoundLoad } from "./rounds.ts";
import { LOAD_NICE } from "./scale.ts";

export interface ScaleRunSettings {
  nodes: number;
  perNode: number;
  /** Connections in flight per generator. */
  concurrency: number;
  idleMs: number;
  probeRate: number;
  /** The first generator's source address is 127.0.0.<firstSource>, the next one more, … */
  firstSource: number;
}

export interface PhaseProbe {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ScaleRunFigures {
  nodes: number;
  connections: number;
  opened: number;
  connectSeconds: number;
  connectsPerSec: number;
  /** Hub processes summed: at start, and with every connection open and settled. */
  hubRssStartBytes: number;
  hubRssBytes: number;
  rssPerConnBytes: number;
  perNodeRssBytes: number[];
  redisRssBytes: number;
  /** The generators' RSS per socket they hold. */
  generatorRssPerConnBytes: number;
  idle: { seconds: number; hubCpuPct: number; redisCpuPct: number; perNodeCpuPct: number[] };
  /** `num_clients` as each node answered it, and the sessions there were. */
  numClients: number[];
  expectedClients: number;
  chat: {
    expected: number;
    received: number;
    reach: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** From the send to the last socket's receipt. */
    lastMs: number;
  };
  /** The probe on node 0, per phase and over the whole run. */
  probe: { connect: PhaseProbe; idle: PhaseProbe; chat: PhaseProbe; all: PhaseProbe };
  load: RoundLoad;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
/**
 * The hub's cap: the one it derives would refuse part of the 19,800 (14,681 from the 16,384 files
 * it assumes when it cannot read its limit, as here without `--allow-all`; 17,936 from 20,000). 19,850 WebSockets still leave 150 of the 20,000 descriptors for the
 * runtime (about 30), Redis and the upgrades in flight (at most 64 from one generator), so an
 * accept never fails for lack of one (denoland/deno#10148).
 */
const MAX_CONNECTIONS = "19850";

function phase(data: HistogramData, sent: number, received: number): PhaseProbe {
  const hist = new Histogram();
  hist.merge(data);
  return {
    sent,
    received,
    p50Ms: round(hist.percentile(50) / 1000, 2),
    p99Ms: round(hist.percentile(99) / 1000, 2),
    maxMs: round(hist.max / 1000, 2),
  };
}

export async function scaleRun(
  s: ScaleRunSettings,
  log: (line: string) => void,
): Promise<ScaleRunFigures> {
  const meter = loadMeter(0, [`hub × ${s.nodes} + Redis`]);
  // BENCH_SCALE_HUB_ENV, a JSON object, adds to every hub's environment (`{"PRESENCE_LIMIT":"0"}`).
  const extra = JSON.parse(Deno.env.get("BENCH_SCALE_HUB_ENV") ?? "{}") as Record<string, string>;
  const deployment = await startDeployment(s.nodes, { MAX_CONNECTIONS, ...extra });
  const raws = Array.from(
    { length: s.nodes },
    (_, i) => new Generator(`raw-${i}`, "./raw_generator.ts", LOAD_NICE),
  );
  const probeGen = new Generator("probe");
  const publisher = new Generator("publisher", undefined, LOAD_NICE);
  const gens = [...raws, probeGen, publisher];
  const clients: HubClient[] = [];
  const hubPids = deployment.nodes.map((n) => n.child.pid);
  const probes: ProbeResult[] = [];
  const probe = async () => {
    probes.push(await probeGen.send<ProbeResult>({ cmd: "probe_stop" }));
    await probeGen.send({ cmd: "probe_start", url: deployment.nodes[0].base, rate: s.probeRate });
  };
  try {
    await sleep(2000);
    const hubRssStartBytes = hubPids.reduce((a, pid) => a + rssBytes(pid), 0);
    await probeGen.send({ cmd: "probe_start", url: deployment.nodes[0].base, rate: s.probeRate });
    const total = s.nodes * s.perNode;
    log(`scale run: ${total} connections over ${s.nodes} nodes`);
    const connects = await Promise.all(raws.map((raw, i) =>
      raw.send<ConnectResult>({
        cmd: "connect",
        host: "127.0.0.1",
        port: deployment.nodes[i].port,
        path: "/ws",
        count: s.perNode,
        concurrency: s.concurrency,
        localAddress: `127.0.0.${s.firstSource + i}`,
        timeoutMs: 60_000,
      })
    ));
    const opened = connects.reduce((a, r) => a + r.opened, 0);
    const connectSeconds = (Math.max(...connects.map((r) => r.endMs)) -
      Math.min(...connects.map((r) => r.startMs))) / 1000;
    log(`scale run: ${opened} of ${total} open in ${round(connectSeconds)} s`);
    if (opened !== total) {
      throw new Error(
        `${total - opened} connections failed: ${connects.flatMap((c) => c.errors)[0]}`,
      );
    }
    await probe();
    await sleep(5000);
    const perNodeRssBytes = hubPids.map((pid) => rssBytes(pid));
    const hubRssBytes = perNodeRssBytes.reduce((a, b) => a + b, 0);
    const generatorRss = raws.reduce((a, g) => a + rssBytes(g.child.pid), 0);

    // Idle: every connection open, nothing said.
    const cpuBefore = hubPids.map((pid) => cpuMicros([pid]));
    const redisBefore = await deployment.broker.cpuMicros();
    const t0 = performance.now();
    await sleep(s.idleMs);
    const wallMs = performance.now() - t0;
    const perNodeCpuPct = hubPids.map((pid, i) =>
      round(((cpuMicros([pid]) - cpuBefore[i]) / 1000 / wallMs) * 100)
    );
    const redisCpuPct = round(
      ((await deployment.broker.cpuMicros()) - redisBefore) / 1000 / wallMs * 100,
    );
    await probe();

    // num_clients on every node, from a client of each: the sockets, the probe, these clients.
    for (const node of deployment.nodes) {
      const client = new HubClient(`${node.base}/ws`, {
        reconnect: false,
        requestTimeoutMs: 20_000,
      });
      clients.push(client);
      await client.ready();
    }
    const expectedClients = total + 1 + clients.length;
    const numClients: number[] = [];
    for (const client of clients) numClients.push((await client.request("num_clients", {})).count);
    log(`scale run: num_clients ${numClients.join(", ")} (expected ${expectedClients})`);

    // One chat to the lobby, from a client on node 0, to every session of the deployment.
    await publisher.send({
      cmd: "connect",
      url: deployment.nodes[0].base,
      dialect: "hub",
      count: 1,
    });
    const pub = await publisher.send<PublishResult>({
      cmd: "publish",
      room: "lobby",
      phase: "scale",
      rate: 1,
      durationMs: 500,
    });
    const expected = pub.sent * total;
    let got: FanoutResult[] = [];
    let received = 0, last = -1, stillSince = performance.now();
    while (performance.now() - stillSince < 5000) {
      got = await Promise.all(
        raws.map((r) => r.send<FanoutResult>({ cmd: "fanout", phase: "scale" })),
      );
      received = got.reduce((a, r) => a + r.received, 0);
      if (received >= expected) break;
      if (received !== last) [last, stillSince] = [received, performance.now()];
      await sleep(100);
    }
    await probe();
    const chatHist = new Histogram();
    for (const r of got) chatHist.merge(r.latency);
    const all = new Histogram();
    for (const p of probes) all.merge(p.latency);
    const sum = (key: "sent" | "received") => probes.reduce((a, p) => a + p[key], 0);
    const [connectProbe, idleProbe, chatProbe] = probes.map((p) =>
      phase(p.latency, p.sent, p.received)
    );
    return {
      nodes: s.nodes,
      connections: total,
      opened,
      connectSeconds: round(connectSeconds, 2),
      connectsPerSec: Math.round(total / connectSeconds),
      hubRssStartBytes,
      hubRssBytes,
      rssPerConnBytes: Math.round((hubRssBytes - hubRssStartBytes) / total),
      perNodeRssBytes,
      redisRssBytes: rssBytes(deployment.broker.child.pid),
      generatorRssPerConnBytes: Math.round(generatorRss / total),
      idle: {
        seconds: round(wallMs / 1000, 1),
        hubCpuPct: round(perNodeCpuPct.reduce((a, b) => a + b, 0)),
        redisCpuPct,
        perNodeCpuPct,
      },
      numClients,
      expectedClients,
      chat: {
        expected,
        received,
        reach: round(received / expected, 4),
        p50Ms: round(chatHist.percentile(50) / 1000, 2),
        p99Ms: round(chatHist.percentile(99) / 1000, 2),
        maxMs: round(chatHist.max / 1000, 2),
        lastMs: round(Math.max(...got.map((r) => r.lastMs)) - pub.startMs, 1),
      },
      probe: {
        connect: connectProbe,
        idle: idleProbe,
        chat: chatProbe,
        all: phase(all.toJSON(), sum("sent"), sum("received")),
      },
      load: meter.end(),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await probeGen.send({ cmd: "probe_stop" }).catch(() => {});
    // Resets, so that no socket lingers to slow the next run's binds.
    await Promise.all(raws.map((r) => r.send({ cmd: "close" }).catch(() => {})));
    await Promise.all(gens.map((g) => g.close()));
    await deployment.stop();
  }
}
