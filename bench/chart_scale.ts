/**
 * The chart of the scale figures: one process with 19,800 connections (the hub before and after
 * this work, echo) and the five-node run beside Centrifugo's published million connections, as
 * horizontal bar panels in one SVG, screenshot to PNG by Debian's Chromium like `chart.ts`.
 *
 * @module
 */

import type { Results } from "./main.ts";
import { CENTRIFUGO } from "./report_scale.ts";
import type { ScaleFigures } from "./scale.ts";
import { escape, MARGIN, renderPng, svgDocument, twoColumns, WIDTH } from "./svg.ts";

interface Bar {
  label: string;
  value: number | undefined;
  color: string;
}

interface Panel {
  title: string;
  unit: string;
  digits: number;
  bars: Bar[];
}

const COLORS = {
  before: "#94a3b8",
  hub: "#2563eb",
  echo: "#64748b",
  echoHeartbeat: "#475569",
  deployment: "#7c3aed",
  centrifugo: "#d97706",
};

function panelSvg(panel: Panel, x: number, y: number, width: number): [string, number] {
  const bar = 18, gap = 6, labelWidth = 170, valueWidth = 80;
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(...panel.bars.map((b) => b.value ?? 0), 1e-9);
  const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: panel.digits });
  const parts = [`<text x="${x}" y="${y + 16}" class="title">${escape(panel.title)}</text>`];
  let cy = y + 28;
  for (const b of panel.bars) {
    const w = b.value === undefined ? 0 : Math.max(1, (b.value / max) * plot);
    parts.push(
      `<text x="${x + labelWidth - 8}" y="${cy + 13}" class="label" text-anchor="end">${
        escape(b.label)
      }</text>`,
      `<rect x="${x + labelWidth}" y="${cy}" width="${
        w.toFixed(1)
      }" height="${bar}" fill="${b.color}"/>`,
      `<text x="${x + labelWidth + w + 6}" y="${cy + 13}" class="value">${
        b.value === undefined ? "n/a" : nf.format(b.value) + panel.unit
      }</text>`,
    );
    cy += bar + gap;
  }
  parts.push(
    `<line x1="${x + labelWidth}" y1="${y + 24}" x2="${x + labelWidth}" y2="${
      cy - gap + 2
    }" stroke="#334155"/>`,
  );
  return [parts.join("\n"), cy - y];
}

function panels(results: Results): Panel[] {
  const out: Panel[] = [];
  const scale = results.scale;
  if (scale) {
    const s = scale.servers;
    const largest = Math.max(...scale.settings.roomSizes);
    const three = (pick: (f: ScaleFigures | undefined) => number | undefined): Bar[] => [
      ...(s["hub-before"]
        ? [{ label: "hub before", value: pick(s["hub-before"]), color: COLORS.before }]
        : []),
      { label: "hub", value: pick(s.hub), color: COLORS.hub },
      { label: "echo", value: pick(s.echo), color: COLORS.echo },
    ];
    const n = new Intl.NumberFormat("en-US").format(scale.settings.connections);
    out.push(
      {
        title:
          `Fresh client's ping p99, ${n} idle, heartbeat every ${scale.settings.heartbeatMs} ms`,
        unit: " ms",
        digits: 1,
        bars: three((f) => f?.idle?.probe.p99Ms),
      },
      {
        title: `Ping p99 during a room of ${
          new Intl.NumberFormat("en-US").format(largest)
        } at ${scale.settings.roomRate}/s`,
        unit: " ms",
        digits: 1,
        bars: three((f) => f?.rooms.find((r) => r.members === largest)?.probe.p99Ms),
      },
      {
        title: `Idle CPU, ${n} connections, heartbeat every ${scale.settings.heartbeatMs} ms`,
        unit: " %",
        digits: 1,
        bars: [
          ...three((f) => f?.idle?.cpuPct),
          {
            label: "echo + heartbeat",
            value: s["echo-heartbeat"]?.idle?.cpuPct,
            color: COLORS.echoHeartbeat,
          },
        ],
      },
      {
        title: `CPU per connect, ${n} connections`,
        unit: " µs",
        digits: 0,
        bars: three((f) => f?.connect?.cpuPerConnectUs),
      },
    );
  }
  const run = results.scaleRun?.figures;
  if (run) {
    const nodes = results.scaleRun!.settings.nodes;
    const memory = run.hubRssBytes + run.redisRssBytes;
    const centrifugoCores = CENTRIFUGO.pods * CENTRIFUGO.coresPerPod;
    out.push(
      {
        title: "Memory per connection (all server processes)",
        unit: " KB",
        digits: 1,
        bars: [
          {
            label: `hub, ${nodes} nodes + Redis`,
            value: memory / run.opened / 1000,
            color: COLORS.deployment,
          },
          {
            label: "Centrifugo (published)",
            value: CENTRIFUGO.memoryBytes / CENTRIFUGO.connections / 1000,
            color: COLORS.centrifugo,
          },
        ],
      },
      {
        title: "Connections per CPU core",
        unit: "",
        digits: 0,
        bars: [
          {
            label: `hub, ${nodes} nodes, 2 cores`,
            value: run.opened / 2,
            color: COLORS.deployment,
          },
          {
            label: `Centrifugo, ${centrifugoCores} cores`,
            value: CENTRIFUGO.connections / centrifugoCores,
            color: COLORS.centrifugo,
          },
        ],
      },
      {
        title: `Scale run: probe ping p99 on node 0, by phase`,
        unit: " ms",
        digits: 1,
        bars: (["connect", "idle", "chat", "all"] as const).map((phase) => ({
          label: phase === "all" ? "throughout" : `during ${phase}`,
          value: run.probe[phase].p99Ms,
          color: COLORS.deployment,
        })),
      },
      {
        title: `Scale run: one lobby chat to ${
          new Intl.NumberFormat("en-US").format(run.chat.expected)
        }`,
        unit: " ms",
        digits: 0,
        bars: [
          { label: "p50", value: run.chat.p50Ms, color: COLORS.deployment },
          { label: "p99", value: run.chat.p99Ms, color: COLORS.deployment },
          { label: "last socket", value: run.chat.lastMs, color: COLORS.deployment },
        ],
      },
    );
  }
  return out;
}

/** The chart as a standalone SVG document, or undefined when no scale figures were measured. */
export function scaleChartSvg(results: Results): string | undefined {
  const list = panels(results);
  if (list.length === 0) return undefined;
  const { body, height } = twoColumns(list, 50, 18, panelSvg);
  const m = results.machine;
  const subtitle = `${results.timestamp.slice(0, 16).replace("T", " ")} UTC · ${m.cores} cores, ` +
    `${m.cpuModel} · servers, Redis and generators on the same cores`;
  return svgDocument(
    height,
    14,
    `<text x="${MARGIN}" y="26" class="head">The hub at scale</text>
<text x="${WIDTH - MARGIN}" y="26" class="sub" text-anchor="end">${escape(subtitle)}</text>
${body.join("\n")}`,
  );
}

/** Renders the chart to a PNG at `path`; answers false when there is nothing to draw. */
export async function renderScaleChart(results: Results, path: string): Promise<boolean> {
  const svg = scaleChartSvg(results);
  if (!svg) return false;
  await renderPng(svg, path, "The scale chart SVG");
  return true;
}
