/**
 * The chart of a benchmark run: RPC and fan-out figures as horizontal bar panels in one SVG, with
 * the hub's two-node run (both hubs and Redis) as its own bars beside the single hub, drawn here
 * without a chart library, then screenshot to PNG by Debian's Chromium through
 * playwright-core (`tools/chromium.ts`; no browser is downloaded).
 *
 * @module
 */

import type { PeerResult, Results } from "./main.ts";
import type { PeerName } from "./peers.ts";
import { spread } from "./rounds.ts";
import { escape, MARGIN, renderPng, svgDocument, twoColumns, WIDTH } from "./svg.ts";

// The servers compared; the hub with history off has its own section of the page, not bars.
const ORDER = [
  "hub",
  "hub-socketio",
  "echo",
  "socket.io",
  "flask-socketio",
] as const satisfies readonly PeerName[];
const COLORS: Record<typeof ORDER[number], string> = {
  hub: "#2563eb",
  "hub-socketio": "#0891b2",
  echo: "#64748b",
  "socket.io": "#16a34a",
  "flask-socketio": "#d97706",
};
const TWO_NODE_COLOR = "#7c3aed";

/** One colour of bars: a server, or the hub's two-node deployment. */
interface Series {
  label: string;
  color: string;
  result: PeerResult;
  /** Measured on some figures only: no bar (rather than "n/a") where it has none. */
  partial?: boolean;
}

/**
 * The two-node run as bars beside the servers': its CPU figures are both hubs and Redis
 * together, so a bar holds everything the deployment spent.
 */
function twoNodeBars(results: Results): Series | undefined {
  const two = results.twoNode;
  if (!two) return undefined;
  const withRedis = <T extends { serverCpuPerReqUs: number; brokerCpuPerReqUs?: number }>(
    f: T | undefined,
  ) => f && { ...f, serverCpuPerReqUs: f.serverCpuPerReqUs + (f.brokerCpuPerReqUs ?? 0) };
  const fo = two.fanout;
  return {
    label: "hub, 2 nodes + Redis",
    color: TWO_NODE_COLOR,
    partial: true,
    result: {
      rpc: { c100x1: withRedis(two.rpc.c100x1), c100x16: withRedis(two.rpc.c100x16) },
      fanout: fo && {
        ...fo,
        serverCpuPerDeliveryUs: fo.serverCpuPerDeliveryUs + (fo.brokerCpuPerDeliveryUs ?? 0),
        saturation: {
          ...fo.saturation,
          serverCpuPerDeliveryUs: fo.saturation.serverCpuPerDeliveryUs +
            (fo.saturation.brokerCpuPerDeliveryUs ?? 0),
        },
      },
      errors: two.errors,
    },
  };
}

function seriesOf(results: Results): Series[] {
  const list: Series[] = ORDER.filter((n) => results.peers[n] !== undefined).map((n) => ({
    label: n,
    color: COLORS[n],
    result: results.peers[n]!,
  }));
  const two = twoNodeBars(results);
  if (two) list.splice(1, 0, two); // beside the single hub
  return list;
}

interface Panel {
  title: string;
  /** Groups of bars, one bar per server. */
  groups: { label: string; pick: (p: PeerResult) => number | undefined }[];
  unit: string;
  /** Log scale for figures spanning orders of magnitude. */
  log?: boolean;
  digits?: number;
}

const PANELS: Panel[] = [
  {
    title: "RPC throughput (req/s, higher is better)",
    unit: "",
    digits: 0,
    groups: [
      { label: "1 × 10k sequential", pick: (p) => p.rpc.seq?.reqPerSec },
      { label: "100 conns × 1", pick: (p) => p.rpc.c100x1?.reqPerSec },
      { label: "100 conns × 16", pick: (p) => p.rpc.c100x16?.reqPerSec },
    ],
  },
  {
    title: "Server CPU per request (µs, log scale, lower is better)",
    unit: " µs",
    log: true,
    groups: [
      { label: "1 × 10k sequential", pick: (p) => p.rpc.seq?.serverCpuPerReqUs },
      { label: "100 conns × 1", pick: (p) => p.rpc.c100x1?.serverCpuPerReqUs },
      { label: "100 conns × 16", pick: (p) => p.rpc.c100x16?.serverCpuPerReqUs },
    ],
  },
  {
    title: "Fan-out to 1,000 at 20 msg/s: latency (ms, log scale)",
    unit: " ms",
    log: true,
    digits: 2,
    groups: [
      { label: "p50", pick: (p) => p.fanout?.p50Ms },
      { label: "p99", pick: (p) => p.fanout?.p99Ms },
    ],
  },
  {
    title: "Fan-out: CPU µs/delivery, k deliveries/s at saturation",
    unit: "",
    digits: 1,
    groups: [
      { label: "µs/delivery, 20/s", pick: (p) => p.fanout?.serverCpuPerDeliveryUs },
      { label: "µs/delivery, saturated", pick: (p) => p.fanout?.saturation.serverCpuPerDeliveryUs },
      {
        label: "k deliveries/s, saturated",
        pick: (p) => {
          const v = p.fanout?.saturation.deliveriesPerSec;
          return v === undefined ? undefined : v / 1000;
        },
      },
    ],
  },
];

/** A figure's spread over the series' rounds (none for a single run). */
function spreadOver(one: Series, pick: (p: PeerResult) => number | undefined) {
  const rounds = one.result.rounds;
  if (!rounds || rounds.length < 2) return undefined;
  // A round's figures have the shape of the medians' (`rpc`, `fanout`), which is all picks read.
  return spread(rounds.map((r) => pick({ ...one.result, ...r })));
}

function panelSvg(
  panel: Panel,
  results: Results,
  x: number,
  y: number,
  width: number,
): [string, number] {
  const series = seriesOf(results);
  const bar = 16, gap = 4, groupGap = 14, labelWidth = 170, valueWidth = 90;
  const plot = width - labelWidth - valueWidth;
  const values = panel.groups.flatMap((g) =>
    series.flatMap((one) => [g.pick(one.result) ?? 0, spreadOver(one, g.pick)?.max ?? 0])
  );
  const max = Math.max(...values, 1e-9);
  const min = Math.min(...values.filter((v) => v > 0), max);
  // One decade below the smallest value, so the smallest bar stays visible.
  const lo = panel.log ? Math.floor(Math.log10(min)) - 1 : 0;
  const hi = panel.log ? Math.ceil(Math.log10(max)) + (Math.log10(max) % 1 === 0 ? 1 : 0) : max;
  const scale = (v: number) => {
    if (v <= 0) return 0;
    if (!panel.log) return (v / hi) * plot;
    return Math.max(2, ((Math.log10(v) - lo) / (hi - lo)) * plot);
  };
  const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: panel.digits ?? 1 });
  const parts: string[] = [
    `<text x="${x}" y="${y + 16}" class="title">${escape(panel.title)}</text>`,
  ];
  let cy = y + 30;
  for (const group of panel.groups) {
    const top = cy;
    // A series with nothing for this group (the two-node run has no sequential RPC) is left out.
    const shown = series.filter((one) => !(one.partial && group.pick(one.result) === undefined));
    for (const one of shown) {
      const v = group.pick(one.result);
      const w = v === undefined ? 0 : scale(v);
      const range = spreadOver(one, group.pick);
      parts.push(
        `<rect x="${x + labelWidth}" y="${cy}" width="${
          w.toFixed(1)
        }" height="${bar}" fill="${one.color}"/>`,
      );
      if (range && range.n > 1) {
        // The range over the rounds, as a whisker across the bar's end.
        const x0 = x + labelWidth + scale(range.min), x1 = x + labelWidth + scale(range.max);
        const mid = cy + bar / 2;
        parts.push(
          `<path d="M${x0.toFixed(1)} ${mid}H${x1.toFixed(1)}M${x0.toFixed(1)} ${cy + 3}V${
            cy + bar - 3
          }M${x1.toFixed(1)} ${cy + 3}V${cy + bar - 3}" stroke="#0f172a" stroke-width="1.5"/>`,
        );
      }
      const labelX = Math.max(w, range && range.n > 1 ? scale(range.max) : 0);
      parts.push(
        `<text x="${x + labelWidth + labelX + 6}" y="${cy + 12}" class="value">${
          v === undefined ? "n/a" : nf.format(v) + panel.unit
        }</text>`,
      );
      cy += bar + gap;
    }
    parts.push(
      `<text x="${x + labelWidth - 8}" y="${
        (top + cy - gap) / 2 + 4
      }" class="label" text-anchor="end">${escape(group.label)}</text>`,
    );
    cy += groupGap;
  }
  parts.push(
    `<line x1="${x + labelWidth}" y1="${y + 26}" x2="${x + labelWidth}" y2="${
      cy - groupGap
    }" stroke="#334155"/>`,
  );
  return [parts.join("\n"), cy - y];
}

/** The chart as a standalone SVG document. */
export function chartSvg(results: Results): string {
  const series = seriesOf(results);
  const { body, height } = twoColumns(
    PANELS,
    70,
    20,
    (panel, x, y, width) => panelSvg(panel, results, x, y, width),
  );
  let lx = MARGIN;
  const legend = series.map((one) => {
    const item = `<rect x="${lx}" y="40" width="14" height="14" fill="${one.color}"/>` +
      `<text x="${lx + 20}" y="52" class="label">${escape(one.label)}</text>`;
    lx += 34 + one.label.length * 7;
    return item;
  }).join("\n");
  const heading = "Hub vs bare Deno echo, Socket.IO 4.8, Flask-SocketIO" +
    (results.twoNode ? "; the hub as 2 nodes over Redis" : "");
  const m = results.machine;
  const rounds = results.settings.rounds ?? 1;
  const note = rounds > 1
    ? `bars: medians of ${rounds} rounds; whiskers: lowest to highest round`
    : "";
  const subtitle =
    `${results.mode} run, ${results.timestamp.slice(0, 16).replace("T", " ")} UTC · ` +
    `${m.cores} cores, ${m.cpuModel} · loadavg before ${m.loadavgBefore.split(" ")[0]}`;
  return svgDocument(
    height,
    15,
    `<text x="${MARGIN}" y="26" class="head">${escape(heading)}</text>
<text x="${WIDTH - MARGIN}" y="52" class="sub" text-anchor="end">${escape(subtitle)}</text>
<text x="${WIDTH - MARGIN}" y="66" class="sub" text-anchor="end">${escape(note)}</text>
${legend}
${body.join("\n")}`,
  );
}

/** Renders the chart to a PNG at `path` with Debian's Chromium. */
export async function renderChart(results: Results, path: string): Promise<void> {
  await renderPng(chartSvg(results), path, "The chart SVG");
}
