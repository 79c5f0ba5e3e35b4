/**
 * The report's "Two nodes over Redis" section: the hub as two processes joined by Redis, beside the
 * single hub from the same round.
 *
 * @module
 */

import type { Results, RoundFigures, TwoNodeResult } from "./main.ts";
import type { FanoutFigures, RpcFigures } from "./workloads.ts";
import { fmt, fmtRatio, ratio, table } from "./report_format.ts";

const add = (a: number | undefined, b: number | undefined) =>
  a === undefined ? undefined : a + (b ?? 0);
const diff = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a - b;
const later = (n: number | undefined) =>
  n === undefined ? "–" : `${fmt(Math.abs(n), 2)} ms ${n >= 0 ? "later" : "earlier"}`;

/** The "Two nodes over Redis" section: the two-node figures beside the single hub's. */
export function twoNodeSection(results: Results, two: TwoNodeResult): string[] {
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
