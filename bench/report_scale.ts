/**
 * The report's scale sections: one process with 19,800 connections (the hub before and after
 * this work, echo, and echo sending the heartbeat), its targets as ratios within the one run; and
 * the five-node run, set against Centrifugo's published million connections.
 *
 * @module
 */

import type { Results } from "./main.ts";
import { fmt, fmtRatio, ratio, table } from "./report_format.ts";
import type { RoomPhase, ScaleFigures } from "./scale.ts";
import type { ScaleResult, ScaleRunResult } from "./scale_main.ts";

const MiB = 1024 * 1024;
const KiB = 1024;

/**
 * Centrifugo's published benchmark: a million WebSocket connections on 20 Kubernetes pods of 2
 * CPUs each (40 cores), 27 GB of memory in all. https://centrifugal.dev/blog/2020/02/10/million-connections-with-centrifugo
 */
export const CENTRIFUGO = {
  connections: 1_000_000,
  pods: 20,
  coresPerPod: 2,
  memoryBytes: 27e9,
  source: "https://centrifugal.dev/blog/2020/02/10/million-connections-with-centrifugo",
};

/** One row of the target table: the hub before and after, echo, the ratio and the verdict. */
interface ScaleTarget {
  figure: string;
  before?: number;
  after?: number;
  echo?: number;
  digits: number;
  /** After compared with echo: a ratio (`÷`) or a difference (`−`). */
  compare: "÷" | "−";
  /** The target on the comparison, and on the figure itself where it has one. */
  limit: number;
  absolute?: number;
  unit?: string;
}

function verdict(t: ScaleTarget): { value?: number; met?: boolean } {
  const value = t.compare === "÷"
    ? ratio(t.after, t.echo)
    : t.after === undefined || t.echo === undefined
    ? undefined
    : t.after - t.echo;
  if (value === undefined) return {};
  const met = value <= t.limit && (t.absolute === undefined || (t.after ?? Infinity) <= t.absolute);
  return { value, met };
}

const room = (f: ScaleFigures | undefined, members: number): RoomPhase | undefined =>
  f?.rooms.find((r) => r.members === members);

function targets(scale: ScaleResult): ScaleTarget[] {
  const { servers, settings } = scale;
  const [before, after, echo] = [servers["hub-before"], servers.hub, servers.echo];
  const largest = Math.max(...settings.roomSizes);
  const pick = (f: (s: ScaleFigures | undefined) => number | undefined) => ({
    before: f(before),
    after: f(after),
    echo: f(echo),
  });
  return [
    {
      figure: `fresh client's ping p99, ${fmt(settings.connections, 0)} idle, ` +
        `HEARTBEAT_MS=${settings.heartbeatMs} (ms)`,
      ...pick((s) => s?.idle?.probe.p99Ms),
      digits: 2,
      compare: "÷",
      limit: 2,
      absolute: 10,
      unit: "≤ 10 ms and ≤ 2× echo",
    },
    {
      figure: "idle CPU, same (% of a core)",
      ...pick((s) => s?.idle?.cpuPct),
      digits: 1,
      compare: "÷",
      limit: 1.5,
      unit: "≤ 1.5× echo",
    },
    {
      figure: `another client's ping p99, room of ${fmt(largest, 0)} at ` +
        `${settings.roomRate} messages/s (ms)`,
      ...pick((s) => room(s, largest)?.probe.p99Ms),
      digits: 2,
      compare: "÷",
      limit: Infinity,
      absolute: 50,
      unit: "≤ 50 ms",
    },
    ...settings.roomSizes.map((members): ScaleTarget => ({
      figure: `CPU per delivery, room of ${fmt(members, 0)} (µs)`,
      ...pick((s) => room(s, members)?.cpuPerDeliveryUs),
      digits: 2,
      compare: "÷",
      limit: 1.1,
      unit: "≤ 1.10× echo",
    })),
    {
      figure: `CPU per connect, ${fmt(settings.connections, 0)} connections (µs)`,
      ...pick((s) => s?.connect?.cpuPerConnectUs),
      digits: 0,
      compare: "÷",
      limit: 1.1,
      unit: "≤ 1.10× echo",
    },
    {
      figure: "RSS at start (MiB)",
      ...pick((s) => s?.connect && s.connect.startRssBytes / MiB),
      digits: 1,
      compare: "−",
      limit: 15,
      unit: "≤ echo + 15 MiB",
    },
  ];
}

/** The targets as the page's summary table, and the count met. */
export function scaleTargetsTable(scale: ScaleResult): { text: string; met: number; of: number } {
  const rows = targets(scale);
  let met = 0, of = 0;
  const text = table(
    ["figure", "today (hub before)", "new (hub)", "echo", "new vs echo", "target", "met"],
    rows.map((t) => {
      const v = verdict(t);
      if (v.met !== undefined) {
        of++;
        if (v.met) met++;
      }
      const vs = v.value === undefined
        ? "–"
        : t.compare === "÷"
        ? fmtRatio(v.value)
        : `${v.value >= 0 ? "+" : ""}${fmt(v.value, 1)} MiB`;
      return [
        t.figure,
        fmt(t.before, t.digits),
        `**${fmt(t.after, t.digits)}**`,
        fmt(t.echo, t.digits),
        vs,
        t.unit ?? "",
        v.met === undefined ? "–" : v.met ? "yes" : "**no**",
      ];
    }),
  );
  return { text, met, of };
}

const serverNames = (scale: ScaleResult) =>
  (["hub-before", "hub", "echo", "echo-heartbeat"] as const).filter((s) => scale.servers[s]);

/** The scale section for one process, when the scale workload ran. */
export function scaleSection(results: Results): string[] {
  const scale = results.scale;
  if (!scale) return [];
  const s = scale.settings;
  const names = serverNames(scale);
  const base = scale.baseline
    ? `\`hub-before\` is the hub at ${scale.baseline.rev} (${
      scale.baseline.commit.slice(0, 7)
    }), ` +
      "exported from git and run from its own folder in the same run. "
    : "";
  const { text, met, of } = scaleTargetsTable(scale);
  const load = scale.load;
  const idle = (f: ScaleFigures | undefined) => f?.idle;
  return [
    `## Scale: one process, ${fmt(s.connections, 0)} connections`,
    "",
    `One server process holds ${fmt(s.connections, 0)} idle WebSocket connections (the ` +
    "open-file limit here is 20,000), all from one raw-socket generator process " +
    "(`bench/raw_generator.ts`, node:net, about 7 KiB a socket) whatever the server, " +
    `${s.concurrency} connecting at a time. Each phase starts a fresh server. ${base}` +
    "`echo-heartbeat` is echo sending the hub's heartbeat frame to every socket every " +
    "`HEARTBEAT_MS`, staggered over the interval in slices of the hub's tick size (250 " +
    "sockets): what the heartbeat's writes cost bare Deno. Both echoes keep the hub's keepalive " +
    "(Deno's `idleTimeout` of 30 s, a ping to a socket idle for 15 s; Deno's default is 120 s), " +
    "so each server detects a dead peer equally soon. The probe is a fresh " +
    `client (a new connection) sending \`ping\` ${s.probeRate} times a second on a fixed ` +
    "schedule; a server that holds its event loop shows it in the probe's p99. The hub runs " +
    "with `MAX_CONNECTIONS=19850`, as its limit derived from the open-file limit would refuse " +
    "some of the 19,800. Targets compare the hub with echo within this run." +
    (load
      ? ` The machine over the workload: loadavg ${load.loadavgStart} → ${load.loadavgEnd}, ` +
        `steal ${fmt(load.stealPct)} %, other processes ${fmt(load.otherCpuPct)} % of a core.`
      : ""),
    "",
    text,
    "",
    `Targets met: ${met} of ${of}.`,
    "",
    `### Connect (no room, default heartbeat)`,
    "",
    table(
      [
        "server",
        "seconds",
        "connects/s",
        "CPU µs/connect",
        "RSS at start MiB",
        "RSS at the end MiB",
        "RSS/connection KiB",
      ],
      names.filter((n) => scale.servers[n]?.connect).map((n) => {
        const c = scale.servers[n]!.connect!;
        return [
          n,
          fmt(c.seconds, 2),
          fmt(c.connectsPerSec, 0),
          fmt(c.cpuPerConnectUs, 0),
          fmt(c.startRssBytes / MiB, 1),
          fmt(c.rssBytes / MiB, 1),
          fmt(c.rssPerConnBytes / KiB, 2),
        ];
      }),
    ),
    "",
    `### Idle, \`HEARTBEAT_MS=${s.heartbeatMs}\` (echo: none), ${s.idleMs / 1000} s`,
    "",
    table(
      [
        "server",
        "CPU % of a core",
        "probe p50 ms",
        "p99 ms",
        "max ms",
        "probe sent late by, max ms",
        "heartbeats per socket, fewest–most",
        "closed",
      ],
      names.filter((n) => idle(scale.servers[n])).map((n) => {
        const i = idle(scale.servers[n])!;
        return [
          n,
          fmt(i.cpuPct),
          fmt(i.probe.p50Ms, 2),
          fmt(i.probe.p99Ms, 2),
          fmt(i.probe.maxMs, 2),
          fmt(i.probe.lagMs, 1),
          `${i.beats.min}–${i.beats.max}`,
          fmt(i.closed, 0),
        ];
      }),
    ),
    "",
    `### One room at ${s.roomRate} messages/s for ${s.roomMs / 1000} s`,
    "",
    "The hub's room is its lobby, which every session is in (so the probe and the publisher " +
    "count as members there); echo's sockets join a room of that name. CPU per delivery divides " +
    "the server's CPU over the phase by messages × room size.",
    "",
    table(
      [
        "server",
        "members",
        "reach",
        "p50 ms",
        "p99 ms",
        "max ms",
        "CPU µs/delivery",
        "CPU %",
        "probe p99 ms",
        "probe max ms",
      ],
      names.flatMap((n) =>
        (scale.servers[n]?.rooms ?? []).map((r) => [
          n,
          fmt(r.members, 0),
          `${fmt(r.reach * 100, 2)} %`,
          fmt(r.p50Ms, 1),
          fmt(r.p99Ms, 1),
          fmt(r.maxMs, 1),
          fmt(r.cpuPerDeliveryUs, 2),
          fmt(r.cpuPct),
          fmt(r.probe.p99Ms, 2),
          fmt(r.probe.maxMs, 2),
        ])
      ),
    ),
    "",
    ...names.flatMap((n) => (scale.servers[n]?.errors ?? []).map((e) => `- **${n} failed**: ${e}`)),
    "",
  ];
}

/** The five-node run, and Centrifugo's published figure beside it. */
export function scaleRunSection(run: ScaleRunResult | undefined, chart?: string): string[] {
  if (!run) return [];
  const s = run.settings;
  const f = run.figures;
  const out = [
    `## Scale: ${s.nodes} nodes on one Redis, ${fmt(s.nodes * s.perNode, 0)} connections`,
    "",
    "`deno task bench --scale`: a fresh `redis-server` and " +
    `${s.nodes} hub processes on it, each on its own port (\`MAX_CONNECTIONS=19850\`, the ` +
    `rest at their defaults: \`HEARTBEAT_MS\` 60 s, resume on), and ${fmt(s.perNode, 0)} idle ` +
    `connections to each from ${s.nodes} raw-socket generator processes, each connecting ` +
    `from its own source address (127.0.0.${s.firstSource} and up) with ${s.concurrency} in ` +
    "flight. Then the deployment idles, every node is asked `num_clients`, and a client on node " +
    "0 sends one chat to the lobby, which every session is in. A probe on node 0 pings " +
    `${s.probeRate} times a second from before the first connect to after the chat. All of ` +
    "it shares this machine's 2 cores. Sockets are reset at the end.",
    "",
  ];
  if (!f) return [...out, `Not measured: ${run.errors.join("; ")}`, ""];
  const cores = 2;
  const centrifugoPerConn = CENTRIFUGO.memoryBytes / CENTRIFUGO.connections;
  const cores2 = CENTRIFUGO.pods * CENTRIFUGO.coresPerPod;
  out.push(
    table(["figure", "value"], [
      ["connections open", `${fmt(f.opened, 0)} of ${fmt(f.connections, 0)}`],
      [
        "time to connect everything",
        `**${fmt(f.connectSeconds, 1)} s** (${fmt(f.connectsPerSec, 0)}/s)`,
      ],
      [
        "hub RSS, all nodes: at start → connected",
        `${fmt(f.hubRssStartBytes / MiB, 0)} → ${fmt(f.hubRssBytes / MiB, 0)} MiB`,
      ],
      ["**RSS per connection (hubs)**", `**${fmt(f.rssPerConnBytes / KiB, 1)} KiB**`],
      ["Redis RSS", `${fmt(f.redisRssBytes / MiB, 1)} MiB`],
      ["generators' RSS per socket", `${fmt(f.generatorRssPerConnBytes / KiB, 1)} KiB`],
      [
        `idle CPU over ${fmt(f.idle.seconds, 0)} s: hubs (per node) + Redis`,
        `${fmt(f.idle.hubCpuPct)} % (${f.idle.perNodeCpuPct.map((p) => fmt(p)).join(", ")}) + ` +
        `${fmt(f.idle.redisCpuPct)} % of a core`,
      ],
      [
        "`num_clients` on each node",
        `${f.numClients.map((n) => fmt(n, 0)).join(", ")} (expected ${fmt(f.expectedClients, 0)}: ${
          f.numClients.every((n) => n === f.expectedClients) ? "exact" : "**not exact**"
        })`,
      ],
      [
        "one chat to the lobby: reach",
        `${fmt(f.chat.received, 0)} of ${fmt(f.chat.expected, 0)} (${
          fmt(f.chat.reach * 100, 2)
        } %)`,
      ],
      [
        "its latency p50 / p99 / last",
        `${fmt(f.chat.p50Ms, 0)} / **${fmt(f.chat.p99Ms, 0)}** / ${fmt(f.chat.lastMs, 0)} ms`,
      ],
      ...(["connect", "idle", "chat", "all"] as const).map((phase) => [
        `probe ping p99 (max), ${phase === "all" ? "**throughout**" : `during ${phase}`}`,
        `${fmt(f.probe[phase].p99Ms, 1)} (${fmt(f.probe[phase].maxMs, 1)}) ms, ` +
        `${fmt(f.probe[phase].received, 0)} of ${fmt(f.probe[phase].sent, 0)} answered`,
      ]),
      [
        "machine",
        `loadavg ${f.load.loadavgStart} → ${f.load.loadavgEnd}, steal ${fmt(f.load.stealPct)} %, ` +
        `other processes ${fmt(f.load.otherCpuPct)} % of a core, ${f.load.seconds} s`,
      ],
    ]),
    "",
    "### Against Centrifugo's million connections",
    "",
    `Centrifugo published ${fmt(CENTRIFUGO.connections, 0)} WebSocket connections on ` +
      `${CENTRIFUGO.pods} Kubernetes pods of ${CENTRIFUGO.coresPerPod} CPUs (${cores2} cores), ` +
      `${fmt(CENTRIFUGO.memoryBytes / 1e9, 0)} GB of memory in all (${CENTRIFUGO.source}). ` +
      "Their clients ran elsewhere and their connections carried a message rate; ours are idle " +
      "and share the machine with their clients, so this compares what holding a connection costs, " +
      "not throughput.",
    "",
    table(["", "connections", "cores", "memory", "per connection", "connections per core"], [
      [
        `hub, ${s.nodes} nodes + Redis, this machine`,
        fmt(f.opened, 0),
        `${cores} (shared with the generators)`,
        `${fmt((f.hubRssBytes + f.redisRssBytes) / 1e9, 2)} GB`,
        `${fmt((f.hubRssBytes + f.redisRssBytes) / f.opened / 1000, 1)} KB`,
        fmt(f.opened / cores, 0),
      ],
      [
        `Centrifugo, ${CENTRIFUGO.pods} pods (published)`,
        fmt(CENTRIFUGO.connections, 0),
        String(cores2),
        `${fmt(CENTRIFUGO.memoryBytes / 1e9, 0)} GB`,
        `${fmt(centrifugoPerConn / 1000, 1)} KB`,
        fmt(CENTRIFUGO.connections / cores2, 0),
      ],
    ]),
    "",
    ...(chart ? [`![The five-node scale run](${chart})`, ""] : []),
    ...run.errors.map((e) => `- **error**: ${e}`),
    "",
  );
  return out;
}

/** Which figures a `--merge` run took from an earlier results file, under the page's title. */
export function mergedNote(results: Results): string[] {
  const merged = results.mergedFrom;
  if (!merged || merged.sections.length === 0) return [];
  const names: [keyof Results, string][] = [
    ["api", "the server API workload"],
    ["storm", "the resume storm"],
    ["twoNode", "the two-node run"],
    ["scale", "the scale workload"],
    ["scaleRun", "the five-node scale run"],
  ];
  const measured = names
    .filter(([key]) => results[key] !== undefined && !merged.sections.includes(key))
    .map(([, name]) => name);
  return [
    `This run measured only part of the page (${
      measured.join(" and ") || "some workloads"
    }); everything else (${merged.sections.join(", ")}) is from ` +
    `[\`${merged.file}\`](../${merged.file}), run on ${merged.timestamp}: the rounds table is ` +
    "that run's, the machine and versions tables this run's.",
    "",
  ];
}
