/**
 * Turns one results file into `docs/benchmarks.md` (tables, ratios, targets) and
 * `docs/benchmarks.png` (the RPC and fan-out figures as a chart). `deno task bench` calls
 * {@link writeReport} after a run; to redo the report from an older run:
 *
 * ```sh
 * deno run --allow-all bench/report.ts bench/results/<timestamp>.json
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { renderChart } from "./chart.ts";
import type { PeerResult, Results, RoundFigures, TwoNodeResult } from "./main.ts";
import type { FanoutFigures, RpcFigures } from "./workloads.ts";
import type { PeerName } from "./peers.ts";
import { roundRatios, type Spread, spread } from "./rounds.ts";

const DOCS = fileURLToPath(new URL("../docs", import.meta.url));
const ORDER: PeerName[] = ["hub", "echo", "socket.io", "flask-socketio"];

/** A figure of one round's results (or of the medians, which have the same shape). */
type Picker = (p: RoundFigures) => number | undefined;

/** A peer's results round by round; results from before rounds count as one round. */
const roundsOf = (p: PeerResult | undefined): RoundFigures[] =>
  p === undefined ? [] : p.rounds && p.rounds.length > 0 ? p.rounds : [p];

/** A figure over a peer's rounds (index = round). */
const perRound = (p: PeerResult | undefined, pick: Picker) => roundsOf(p).map(pick);

/** The spread of a figure over a peer's rounds. */
const spreadOf = (p: PeerResult | undefined, pick: Picker) => spread(perRound(p, pick));

/** The round-by-round ratio `a ÷ b` of a figure, as a spread over rounds. */
const ratioOf = (a: PeerResult | undefined, b: PeerResult | undefined, pick: Picker) =>
  roundRatios(perRound(a, pick), perRound(b, pick));

const num = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : new Intl.NumberFormat("en-US", { maximumFractionDigits: digits }).format(n);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const ratioText = (r: number) => r >= 10 ? num.format(r) : r.toFixed(r < 0.1 ? 3 : 2);
const fmtRatio = (r: number | undefined) => r === undefined ? "–" : `${ratioText(r)}×`;
/** The median of a figure, with its range over rounds when there were several. */
const fmtSpread = (s: Spread | undefined, digits = 1) =>
  s === undefined
    ? "–"
    : s.n > 1
    ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
    : fmt(s.median, digits);
/** The median of round-by-round ratios, with their range. */
const fmtRatioSpread = (s: Spread | undefined) =>
  s === undefined
    ? "–"
    : s.n > 1
    ? `${ratioText(s.median)}× (${ratioText(s.min)}–${ratioText(s.max)})`
    : `${ratioText(s.median)}×`;

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * One target: the hub's figure against a factor of another server's, taken round by round (both
 * from the same round) and judged on the median of those per-round ratios.
 */
export interface Target {
  name: string;
  /** The hub's figure over the rounds. */
  hub: Spread | undefined;
  /** The other server's figure (or the fixed limit) over the rounds. */
  base: Spread | undefined;
  /** `hub ÷ base`, round by round. */
  ratio: Spread | undefined;
  /** The ratio the target allows, e.g. 1.15 for "at most 1.15 × echo". */
  factor: number;
  /** How the limit is made, e.g. "1.15 × echo". */
  basis: string;
  unit: string;
  /** `max`: the hub must be at most factor × base; `min`: at least. */
  kind: "max" | "min";
  /** On the median of the per-round ratios. */
  met: boolean | undefined;
  /** Rounds in which the target was met, of `ratio.n`. */
  metRounds: number | undefined;
}

function target(
  name: string,
  hub: (number | undefined)[],
  kind: "max" | "min",
  factor: number,
  base: (number | undefined)[],
  baseName: string,
  unit: string,
): Target {
  const ratio = roundRatios(hub, base);
  const ok = (r: number) => kind === "max" ? r <= factor : r >= factor;
  const f = factor === 1 ? "" : `${factor < 0.1 ? `1/${Math.round(1 / factor)}` : factor} × `;
  return {
    name,
    hub: spread(hub),
    base: spread(base),
    ratio,
    factor,
    basis: `${f}${baseName}`,
    unit,
    kind,
    met: ratio === undefined ? undefined : ok(ratio.median),
    metRounds: ratio?.values.filter(ok).length,
  };
}

/** The issue's targets, evaluated round by round on one run. */
export function targets(results: Results): Target[] {
  const p = results.peers;
  const series = (peer: PeerName, pick: Picker) => perRound(p[peer], pick);
  const once = (peer: PeerName, pick: (r: PeerResult) => number | undefined) => {
    const r = p[peer];
    return [r ? pick(r) : undefined];
  };
  const cpu16: Picker = (r) => r.rpc.c100x16?.serverCpuPerReqUs;
  const cpu1: Picker = (r) => r.rpc.c100x1?.serverCpuPerReqUs;
  const list: Target[] = [];
  for (const [label, pick] of [["100 × 16", cpu16], ["100 × 1", cpu1]] as const) {
    const hub = series("hub", pick);
    list.push(
      target(
        `server CPU/request (${label}) ≤ 1.15 × echo`,
        hub,
        "max",
        1.15,
        series("echo", pick),
        "echo",
        " µs",
      ),
      target(
        `server CPU/request (${label}) ≤ 0.6 × Socket.IO`,
        hub,
        "max",
        0.6,
        series("socket.io", pick),
        "socket.io",
        " µs",
      ),
      target(
        `server CPU/request (${label}) ≤ 1/25 × Flask-SocketIO`,
        hub,
        "max",
        1 / 25,
        series("flask-socketio", pick),
        "flask-socketio",
        " µs",
      ),
    );
  }
  for (
    const [label, pick] of [
      ["100 × 1", (r: RoundFigures) => r.rpc.c100x1?.reqPerSec],
      ["100 × 16", (r: RoundFigures) => r.rpc.c100x16?.reqPerSec],
      [
        `1 × ${fmt(results.settings.seqRequests, 0)} sequential`,
        (r: RoundFigures) => r.rpc.seq?.reqPerSec,
      ],
    ] as const
  ) {
    list.push(
      target(
        `throughput (${label}) ≥ 0.85 × echo`,
        series("hub", pick),
        "min",
        0.85,
        series("echo", pick),
        "echo",
        " req/s",
      ),
    );
  }
  const p99 = series("hub", (r) => r.fanout?.p99Ms);
  list.push(
    target(
      "fan-out p99 ≤ 50 ms at 1,000 members",
      p99,
      "max",
      1,
      p99.map(() => 50),
      "50 ms",
      " ms",
    ),
    target(
      "fan-out CPU/delivery (saturation) ≤ Socket.IO",
      series("hub", (r) => r.fanout?.saturation.serverCpuPerDeliveryUs),
      "max",
      1,
      series("socket.io", (r) => r.fanout?.saturation.serverCpuPerDeliveryUs),
      "socket.io",
      " µs",
    ),
    target(
      "fan-out CPU/delivery (20/s) ≤ Socket.IO",
      series("hub", (r) => r.fanout?.serverCpuPerDeliveryUs),
      "max",
      1,
      series("socket.io", (r) => r.fanout?.serverCpuPerDeliveryUs),
      "socket.io",
      " µs",
    ),
    target(
      "RSS per idle connection ≤ Socket.IO (one run)",
      once("hub", (r) => r.connections?.rssPerConnBytes),
      "max",
      1,
      once("socket.io", (r) => r.connections?.rssPerConnBytes),
      "socket.io",
      " B",
    ),
  );
  return list;
}

const add = (a: number | undefined, b: number | undefined) =>
  a === undefined ? undefined : a + (b ?? 0);
const diff = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a - b;
const later = (n: number | undefined) =>
  n === undefined ? "–" : `${fmt(Math.abs(n), 2)} ms ${n >= 0 ? "later" : "earlier"}`;

/** The "Two nodes over Redis" section: the two-node figures beside the single hub's. */
function twoNodeSection(results: Results, two: TwoNodeResult): string[] {
  const hub = results.peers.hub;
  // The single hub from the round the two-node run sat in (right after it), not the medians.
  const inRound = two.round === undefined ? undefined : hub?.rounds?.[two.round];
  const one: RoundFigures | undefined = inRound ?? hub;
  const where = inRound ? `round ${two.round! + 1} of ${results.settings.rounds}` : "this run";
  const s = results.settings;
  const fo = s.fanout;
  const out: string[] = [
    "## Two nodes over Redis",
    "",
    "The hub as two processes joined by Redis (issue 5): the harness starts its own " +
    `\`redis-server\` ${results.versions["redis-server"] ?? ""} on a free loopback port ` +
    '(`--save "" --appendonly no`) and two hub processes (`main.ts` with the single hub\'s flags, ' +
    "plus `REDIS_URL`, `NODE_ID` `bench-0` and `bench-1`, `NODE_TTL_MS` at its default), fresh " +
    "for each workload. Clients are split evenly over the two nodes, one generator process per " +
    "node. Hub CPU is both hub processes summed; Redis's CPU (its own `INFO cpu`, to the " +
    "microsecond) is shown apart, and includes its idle cost: both nodes' heartbeats and reaper " +
    `ticks. It runs once, in ${where}: each workload right after the single hub's in that ` +
    "round, so both see about the same machine load. Both hubs, Redis and the generators share " +
    `the same ${results.machine.cores} cores, so two nodes here add no CPU, only a second ` +
    `process and the Redis hop. "1 node" rows are the single hub from ${where} (not the ` +
    "medians above), and the ratios are taken against those.",
    "",
  ];
  if (two.check) {
    out.push(
      `Check before timing (${two.check.client}): ` +
        `${two.check.ok ? "ok" : "**FAILED**"}: ${two.check.detail}.`,
      "",
    );
  }

  const rpcRow = (
    nodes: string,
    inflight: number,
    f: RpcFigures | undefined,
    base: RpcFigures | undefined,
  ) => [
    nodes,
    inflight,
    fmt(f?.reqPerSec, 0),
    fmt(f?.p50Ms, 2),
    fmt(f?.p99Ms, 2),
    fmt(f?.maxMs, 1),
    fmt(f?.serverCpuPerReqUs, 1),
    fmt(f?.serverCpuPct, 0),
    f?.brokerCpuPerReqUs === undefined ? "–" : fmt(f.brokerCpuPerReqUs, 2),
    f?.brokerCpuPct === undefined ? "–" : fmt(f.brokerCpuPct, 1),
    fmt(f?.generatorCpuPct, 0),
    fmtRatio(ratio(f?.reqPerSec, base?.reqPerSec)),
    fmtRatio(ratio(add(f?.serverCpuPerReqUs, f?.brokerCpuPerReqUs), base?.serverCpuPerReqUs)),
  ];
  out.push(
    "### RPC: `random`, 100 connections (50 on each node)",
    "",
    `${s.rpcDurationMs / 1000} s each, after a ${s.warmupMs / 1000} s warm-up. ` +
      "`random` is answered by the node the client is on and never touches Redis, so Redis's " +
      "share here is its idle cost alone.",
    "",
    table(
      [
        "nodes",
        "in flight",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "hub CPU µs/req",
        "hub CPU %",
        "Redis CPU µs/req",
        "Redis CPU %",
        "generator CPU %",
        "× 1 node req/s",
        "× 1 node CPU/req (hubs + Redis)",
      ],
      [
        rpcRow("1", 1, one?.rpc.c100x1, one?.rpc.c100x1),
        rpcRow("2", 1, two.rpc.c100x1, one?.rpc.c100x1),
        rpcRow("1", 16, one?.rpc.c100x16, one?.rpc.c100x16),
        rpcRow("2", 16, two.rpc.c100x16, one?.rpc.c100x16),
      ],
    ),
    "",
  );

  const f2 = two.fanout;
  const f1 = one?.fanout;
  const local = f2?.perNode?.find((n) => n.publisherHere);
  const remote = f2?.perNode?.find((n) => !n.publisherHere);
  const total = (f: FanoutFigures | undefined) =>
    add(f?.serverCpuPerDeliveryUs, f?.brokerCpuPerDeliveryUs);
  const foRow = (
    label: string,
    members: number | undefined,
    f: {
      reach: number;
      p50Ms: number;
      p99Ms: number;
      maxMs: number;
    } | undefined,
    cpu: FanoutFigures | undefined,
  ) => [
    label,
    fmt(members, 0),
    f ? `${fmt(f.reach * 100, 2)} %` : "–",
    fmt(f?.p50Ms, 2),
    fmt(f?.p99Ms, 2),
    fmt(f?.maxMs, 1),
    fmt(cpu?.serverCpuPerDeliveryUs, 2),
    cpu?.brokerCpuPerDeliveryUs === undefined ? "–" : fmt(cpu.brokerCpuPerDeliveryUs, 3),
    fmt(total(cpu), 2),
    fmt(cpu?.saturation.deliveriesPerSec, 0),
    fmt(cpu?.saturation.p99Ms, 1),
    fmt(cpu?.publisherLagMs, 1),
  ];
  out.push(
    `### Fan-out: one room of ${fmt(fo.members, 0)} members, half on each node`,
    "",
    `The single-node workload: the publisher (on node 0) sends ${fo.rate} messages/s for ` +
      `${fo.durationMs / 1000} s on a fixed schedule, then ${fo.window} in flight for ` +
      `${fo.saturationMs / 1000} s. Node 0 delivers to its members at once and publishes the ` +
      "frame to Redis; node 1 receives it from Redis and delivers to its members. The per-node " +
      "rows split the two-node figures by where the members are. CPU per delivery divides by " +
      "messages × room size (publisher included), as above. The last column is how late the " +
      "publisher's fixed-rate sends left, worst case: more than a few ms means the machine was " +
      "busy during that phase and its latencies carry that.",
    "",
    table(
      [
        "members on",
        "members",
        "reach",
        "p50 ms",
        "p99 ms",
        "max ms",
        "hub CPU µs/delivery",
        "Redis CPU µs/delivery",
        "hubs + Redis µs/delivery",
        "peak deliveries/s",
        "p99 ms (saturation)",
        "publisher late by, max ms",
      ],
      [
        foRow("1 node", f1?.members, f1, f1),
        foRow("2 nodes: both", f2?.members, f2, f2),
        foRow("2 nodes: the publisher's", local?.members, local, undefined),
        foRow("2 nodes: the other (via Redis)", remote?.members, remote, undefined),
      ],
    ),
    "",
  );
  const satLocal = f2?.saturation.perNode?.find((n) => n.node === local?.node);
  const satRemote = f2?.saturation.perNode?.find((n) => n.node === remote?.node);
  if (f2 && local && remote) {
    const cpuDelta = ratio(total(f2), f1?.serverCpuPerDeliveryUs);
    out.push(
      `**What the Redis hop costs** (${where}): at ${fo.rate} messages/s, members on the other ` +
        `node got each message ${later(diff(remote.p50Ms, local.p50Ms))} at p50 and ` +
        `${later(diff(remote.p99Ms, local.p99Ms))} at p99 than members on the publisher's node ` +
        `(p99 ${fmt(remote.p99Ms, 2)} against ${fmt(local.p99Ms, 2)} ms; one node: ` +
        `${fmt(f1?.p99Ms, 2)} ms). CPU per delivery, both hubs and Redis together, is ` +
        `${fmtRatio(cpuDelta)} the single hub's (${fmt(total(f2), 2)} µs against ` +
        `${fmt(f1?.serverCpuPerDeliveryUs, 2)} µs); Redis's part, ` +
        `${fmt(f2.brokerCpuPerDeliveryUs, 3)} µs (${fmt(f2.brokerCpuPct, 1)} % of a core, idle ` +
        "cost included), is small because it carries one `PUBLISH` and one delivery to one " +
        "subscriber per message, not one per member." +
        (satLocal && satRemote
          ? ` At saturation, p50 is ${fmt(satRemote.p50Ms, 1)} ms on the other node against ` +
            `${fmt(satLocal.p50Ms, 1)} ms on the publisher's.`
          : ""),
      "",
    );
  }
  return out;
}

/** The rounds and the machine's load in each. */
function roundsSection(results: Results): string[] {
  const rounds = results.rounds ?? [];
  if (rounds.length === 0) return [];
  const one = (loadavg: string) => loadavg.split(" ")[0];
  return [
    "### Rounds and machine load",
    "",
    `RPC and fan-out ran in ${rounds.length} round${rounds.length > 1 ? "s" : ""}. In a ` +
    "round, each workload runs every server in turn (a fresh server each time), in the order " +
    "shown, rotated by one each round, so outside load that comes and goes lands on every " +
    "server alike rather than on one server's block. Tables give the median over the rounds " +
    "with the range (lowest–highest) in brackets; ratios between servers are taken within each " +
    "round and their median given. Steal is CPU time the hypervisor gave to other guests " +
    "(`/proc/stat`): load from outside this VM, which loadavg does not show. Other CPU is the " +
    "machine's busy time (steal excluded) less the bench's own process tree, in % of one core: " +
    "load from other processes in this VM. It is a lower bound, as on this VM a process's " +
    "CPU time seems to include some stolen time (the bench's own often exceeds the busy time).",
    "",
    table(
      [
        "round",
        "order",
        "started (UTC)",
        "seconds",
        "loadavg (1 min) start → end",
        "steal %",
        "other CPU %",
        "machine busy %",
      ],
      rounds.map((r) => [
        r.round + 1,
        r.order.join(", "),
        r.startedAt.slice(11, 19),
        r.seconds,
        `${one(r.loadavgStart)} → ${one(r.loadavgEnd)}`,
        fmt(r.stealPct, 1),
        fmt(r.otherCpuPct, 0),
        fmt(r.busyPct, 0),
      ]),
    ),
    "",
  ];
}

/** The markdown page. */
export function markdown(results: Results, file: string, chart: string | undefined): string {
  const peers = ORDER.filter((name) => results.peers[name] !== undefined);
  const r = (name: PeerName) => results.peers[name]!;
  const m = results.machine;
  const s = results.settings;
  const out: string[] = [];
  out.push(
    "# Benchmarks",
    "",
    `Generated by \`deno task bench${results.mode === "quick" ? " --quick" : ""}\` from ` +
      `[\`${file}\`](../${file}) on ${results.timestamp}; rerun it rather than editing this page. ` +
      "The harness is in [`bench/`](../bench/); what it measures and how is at the end of this page.",
    "",
    "## Machine",
    "",
    table(["cores", "CPU", "memory", "kernel", "loadavg before", "loadavg after", "run"], [[
      m.cores,
      m.cpuModel,
      `${m.memGiB} GiB`,
      m.kernel,
      m.loadavgBefore.split(" ").slice(0, 3).join(" "),
      m.loadavgAfter.split(" ").slice(0, 3).join(" "),
      `${results.mode}, ${results.durationS} s`,
    ]]),
    "",
    "Server, generator and anything else running share the same cores: CPU time per operation is the",
    "fair comparison between servers; throughput and latency also depend on how busy the machine was.",
    "",
    ...roundsSection(results),
    "## Versions",
    "",
    table(["component", "version"], Object.entries(results.versions).map(([k, v]) => [k, v])),
    "",
  );
  if (chart) out.push(`![RPC and fan-out figures](${chart})`, "");

  out.push(
    "## Correctness checks",
    "",
    "Each server is first driven once by its official client; no timing happens if this fails.",
    "",
    table(
      ["server", "client", "result"],
      peers.map((
        n,
      ) => [
        n,
        r(n).check?.client ?? "–",
        r(n).check ? (r(n).check!.ok ? "ok: " : "FAILED: ") + r(n).check!.detail : "–",
      ]),
    ),
    "",
  );

  out.push("## RPC: `random` request and reply", "");
  for (
    const [key, title] of [
      ["seq", `1 connection, ${fmt(s.seqRequests, 0)} sequential requests`],
      ["c100x1", `100 connections × 1 in flight, ${s.rpcDurationMs / 1000} s`],
      ["c100x16", `100 connections × 16 in flight, ${s.rpcDurationMs / 1000} s`],
    ] as const
  ) {
    out.push(
      `### ${title}`,
      "",
      table(
        [
          "server",
          "req/s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "server CPU µs/req",
          "server CPU %",
          "generator CPU %",
          "× echo req/s",
          "× echo CPU/req",
        ],
        peers.map((n) => {
          const f = r(n).rpc[key];
          const reqs: Picker = (x) => x.rpc[key]?.reqPerSec;
          const cpu: Picker = (x) => x.rpc[key]?.serverCpuPerReqUs;
          return [
            n,
            fmtSpread(spreadOf(r(n), reqs), 0),
            fmt(f?.p50Ms, 2),
            fmtSpread(spreadOf(r(n), (x) => x.rpc[key]?.p99Ms), 2),
            fmt(f?.maxMs, 1),
            fmtSpread(spreadOf(r(n), cpu), 1),
            fmt(f?.serverCpuPct, 0),
            fmt(f?.generatorCpuPct, 0),
            fmtRatioSpread(ratioOf(r(n), results.peers.echo, reqs)),
            fmtRatioSpread(ratioOf(r(n), results.peers.echo, cpu)),
          ];
        }),
      ),
      "",
    );
  }

  const fo = s.fanout;
  out.push(
    "## Fan-out: one room",
    "",
    `${
      fmt(fo.members, 0)
    } subscribers and the publisher in one room. The publisher sends ${fo.rate} ` +
      `messages/s for ${
        fo.durationMs / 1000
      } s on a fixed schedule (open loop); each carries its send ` +
      "time, and latency is receipt time minus send time (same machine, same clock). Then it sends " +
      `with ${fo.window} messages in flight for ${
        fo.saturationMs / 1000
      } s: peak deliveries/s is what the ` +
      "subscribers received over the time from the first send to the last receipt. CPU per delivery " +
      "divides the server's CPU by messages × room size (publisher included, as every server here " +
      "sends it its own message)." +
      (s.flask
        ? ` Flask-SocketIO sends for ${s.flask.fanoutDurationMs / 1000} s at ${fo.rate}/s ` +
          `and saturates for ${s.flask.saturationMs / 1000} s, to keep its rounds short.`
        : ""),
    "",
    table(
      [
        "server",
        "reach",
        "p50 ms",
        "p99 ms",
        "max ms",
        "CPU µs/delivery (20/s)",
        "peak deliveries/s",
        "CPU µs/delivery (saturation)",
        "p99 ms (saturation)",
        "generator CPU % (saturation)",
      ],
      peers.map((n) => {
        const f = r(n).fanout;
        const sp = (pick: (x: FanoutFigures) => number, digits: number) =>
          fmtSpread(spreadOf(r(n), (x) => x.fanout && pick(x.fanout)), digits);
        return [
          n,
          f ? `${fmt(f.reach * 100, 2)} %` : "–",
          fmt(f?.p50Ms, 2),
          sp((x) => x.p99Ms, 2),
          fmt(f?.maxMs, 1),
          sp((x) => x.serverCpuPerDeliveryUs, 2),
          sp((x) => x.saturation.deliveriesPerSec, 0),
          sp((x) => x.saturation.serverCpuPerDeliveryUs, 2),
          fmt(f?.saturation.p99Ms, 1),
          fmt(f?.saturation.generatorCpuPct, 0),
        ];
      }),
    ),
    "",
    "## Idle connections",
    "",
    "Measured once per server, after the rounds (not interleaved: the figures here are single " +
      "runs, with no spread). " +
      `Connections opened in steps (${s.connectionSteps.map((n) => fmt(n, 0)).join(", ")}), each ` +
      `followed by a ${
        s.settleMs / 1000
      } s settle; RSS per connection is the least-squares slope of ` +
      "the server's RSS (process tree) over the steps from 1,000 connections up.",
    "",
    table(
      [
        "server",
        "connections",
        "RSS/connection KiB",
        "r²",
        "connects/s",
        "server CPU µs/connect",
        "RSS at start MiB",
        "RSS at the end MiB",
      ],
      peers.map((n) => {
        const c = r(n).connections;
        return [
          n,
          fmt(c?.opened, 0),
          fmt(c ? c.rssPerConnBytes / 1024 : undefined, 2),
          fmt(c?.r2, 3),
          fmt(c?.connectsPerSec, 0),
          fmt(c?.serverCpuPerConnectUs, 0),
          fmt(c ? c.baseRssBytes / 2 ** 20 : undefined, 1),
          fmt(c ? c.points.at(-1)![1] / 2 ** 20 : undefined, 1),
        ];
      }),
    ),
    "",
  );

  if (results.twoNode) out.push(...twoNodeSection(results, results.twoNode));

  const hub = results.peers.hub;
  if (hub) {
    const others = peers.filter((n) => n !== "hub");
    type Row = [string, Picker, "lower" | "higher", "rounds" | "once"];
    const rows: Row[] = [
      [
        `req/s, 1 × ${fmt(s.seqRequests, 0)} sequential`,
        (p) => p.rpc.seq?.reqPerSec,
        "higher",
        "rounds",
      ],
      ["req/s, 100 × 1", (p) => p.rpc.c100x1?.reqPerSec, "higher", "rounds"],
      ["req/s, 100 × 16", (p) => p.rpc.c100x16?.reqPerSec, "higher", "rounds"],
      ["server CPU µs/req, sequential", (p) => p.rpc.seq?.serverCpuPerReqUs, "lower", "rounds"],
      ["server CPU µs/req, 100 × 1", (p) => p.rpc.c100x1?.serverCpuPerReqUs, "lower", "rounds"],
      ["server CPU µs/req, 100 × 16", (p) => p.rpc.c100x16?.serverCpuPerReqUs, "lower", "rounds"],
      ["RTT p99 ms, 100 × 16", (p) => p.rpc.c100x16?.p99Ms, "lower", "rounds"],
      ["fan-out p99 ms (20/s)", (p) => p.fanout?.p99Ms, "lower", "rounds"],
      [
        "fan-out CPU µs/delivery (20/s)",
        (p) => p.fanout?.serverCpuPerDeliveryUs,
        "lower",
        "rounds",
      ],
      [
        "fan-out CPU µs/delivery (saturation)",
        (p) => p.fanout?.saturation.serverCpuPerDeliveryUs,
        "lower",
        "rounds",
      ],
      ["peak deliveries/s", (p) => p.fanout?.saturation.deliveriesPerSec, "higher", "rounds"],
      [
        "RSS bytes/idle connection (one run)",
        (p) => (p as PeerResult).connections?.rssPerConnBytes,
        "lower",
        "once",
      ],
      [
        "connects/s (one run)",
        (p) => (p as PeerResult).connections?.connectsPerSec,
        "higher",
        "once",
      ],
    ];
    const hubFigure = (pick: Picker, how: Row[3]) =>
      how === "once" ? fmt(pick(hub), 2) : fmtSpread(
        spreadOf(hub, pick),
        Math.abs(spreadOf(hub, pick)?.median ?? 0) >= 1000 ? 0 : 2,
      );
    const hubRatio = (n: PeerName, pick: Picker, how: Row[3]) =>
      how === "once"
        ? fmtRatio(ratio(pick(hub), pick(r(n))))
        : fmtRatioSpread(ratioOf(hub, r(n), pick));
    const rounds = s.rounds ?? 1;
    out.push(
      "## The hub against each server",
      "",
      rounds > 1
        ? `Hub's figure divided by the other server's within each round (both adjacent in time), ` +
          `then the median of the ${rounds} per-round ratios, with their range in brackets. ` +
          "The hub column is its median and range over the rounds."
        : "Hub's figure divided by the other server's, from the same run.",
      "",
      table(
        ["figure", "better", "hub", ...others.map((n) => `hub ÷ ${n}`)],
        rows.map(([label, pick, better, how]) => [
          label,
          better,
          hubFigure(pick, how),
          ...others.map((n) => hubRatio(n, pick, how)),
        ]),
      ),
      "",
      "## Targets (issue 4)",
      "",
      "Each target is a ratio: the hub's figure over the other server's (or over the fixed limit), " +
        "taken within each round and judged on the median of the per-round ratios. The last column " +
        "counts the rounds in which the target was met on its own; RSS comes from the single " +
        "connections run.",
      "",
      table(
        [
          "target",
          "hub",
          "other",
          "hub ÷ other, median (range)",
          "allowed",
          "rounds met",
          "met (median)",
        ],
        targets(results).map((t) => {
          const digits = t.unit === " req/s" || t.unit === " B" ? 0 : 2;
          return [
            t.name,
            fmtSpread(t.hub, digits),
            t.basis === "50 ms" ? "limit 50" : fmtSpread(t.base, digits),
            fmtRatioSpread(t.ratio),
            `${t.kind === "max" ? "≤" : "≥"} ${fmtRatio(t.factor)}`,
            t.ratio === undefined ? "–" : `${t.metRounds} of ${t.ratio.n}`,
            t.met === undefined ? "not measured" : t.met ? "yes" : "**no**",
          ];
        }),
      ),
      "",
    );
  }

  // Hand-written analysis (hot spots, caveats) survives reruns: it lives in bench/findings.md.
  try {
    const findings = Deno.readTextFileSync(
      fileURLToPath(new URL("./findings.md", import.meta.url)),
    );
    out.push(findings.trim(), "");
  } catch {
    // no findings written yet
  }

  const errors = [
    ...peers.flatMap((n) => r(n).errors.map((e) => `- ${n}: ${e}`)),
    ...(results.twoNode?.errors ?? []).map((e) => `- hub, 2 nodes: ${e}`),
  ];
  if (errors.length > 0) out.push("## Errors in this run", "", ...errors, "");

  out.push(
    "## How it is measured",
    "",
    "- **Servers.** `hub` is this project (`deno run main.ts`, `RATE_LIMIT=0 CHAT_RATE=0` so flood",
    "  control does not refuse the benchmark's traffic); `echo` is `bench/peers/echo.ts`, bare",
    "  `Deno.upgradeWebSocket` answering `random` and broadcasting to a room with the hub's frame shapes;",
    "  `socket.io` is `bench/peers/socketio/server.mjs` (Socket.IO 4.8 on Node, ack for request/reply,",
    "  `io.to(room).emit` for fan-out); `flask-socketio` is `bench/peers/flask/app.py` (Debian's",
    "  Flask-SocketIO, eventlet mode). Each workload gets a freshly started server on a loopback port.",
    "- **Rounds.** Every server is checked once, then RPC and fan-out run in rounds: in each, " +
      "every workload runs each server in turn, in an order rotated by one per round (one " +
      "workload's servers are minutes apart at most). Figures are medians over the rounds, field " +
      "by field; ratios (× echo, hub ÷ each server, targets) are computed within each round and " +
      "their median taken, so a disturbed round moves a ratio less than it moves one server's " +
      "figure. The connections workload runs once per server after the rounds; the two-node run " +
      "once, in the last round.",
    "- **Generator.** `bench/generator.ts` processes speak each server's wire format over raw",
    "  WebSocket (the hub's JSON, or Engine.IO v4 + Socket.IO v5 packets with acks), so the client",
    `  costs the same whatever the server. RPC and fan-out use ${s.generators} generator processes`,
    "  (plus one publisher process for fan-out); the sequential run uses one connection in one process.",
    "- **CPU.** utime + stime of the server's process tree from `/proc/<pid>/stat`, read just before",
    "  and just after the timed part (warm-up excluded), divided by requests served or by deliveries.",
    "  Generator CPU is reported beside it (in % of one core, all generator processes together).",
    "- **Latency.** Recorded in a log-linear histogram (within 0.8 %), not a stored array; percentiles",
    "  are nearest-rank.",
    "- **Memory.** RSS (resident set) of the server's process tree, the mean of three samples after",
    "  each step settled; the slope is a least-squares fit.",
    "- **Two nodes.** `bench/cluster.ts` starts `redis-server` and two hub processes for each",
    "  workload and checks them with one `HubClient` per node (deployment-wide count, a room spanning",
    "  both, chat both ways) before timing. Generator `i` connects to node `i mod 2`; the fan-out",
    "  publisher is on node 0. Hub CPU sums both hubs' process trees from `/proc`; Redis's CPU is",
    "  `used_cpu_user + used_cpu_sys` from `INFO cpu`, read just before and after the timed part.",
    "",
  );
  return out.join("\n");
}

/** Writes `docs/benchmarks.md` and the chart for `results`, read from `file`. */
export async function writeReport(results: Results, file: string): Promise<void> {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const relative = file.startsWith(root) ? file.slice(root.length) : file;
  let chart: string | undefined;
  try {
    await renderChart(results, `${DOCS}benchmarks.png`);
    chart = "benchmarks.png";
  } catch (err) {
    console.error(`bench: chart not rendered: ${(err as Error).message}`);
  }
  await Deno.writeTextFile(`${DOCS}benchmarks.md`, markdown(results, relative, chart));
  // The generated page follows the repository's formatting, so `deno fmt --check` stays clean.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", `${DOCS}benchmarks.md`], stderr: "null" })
    .output();
  console.error(`bench: wrote ${DOCS}benchmarks.md${chart ? " and benchmarks.png" : ""}`);
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (!file) {
    console.error("Usage: deno run --allow-all bench/report.ts bench/results/<timestamp>.json");
    Deno.exit(2);
  }
  const path = await Deno.realPath(file);
  await writeReport(JSON.parse(await Deno.readTextFile(path)), path);
}
