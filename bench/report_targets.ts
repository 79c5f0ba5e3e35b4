/**
 * The targets for the hub, each a ratio against another server (or a fixed limit) taken round by
 * round and judged on the median of those ratios: issue 4's against the other servers, and what
 * room history may cost a fan-out (against the hub itself with `HISTORY_SIZE=0`); and the resume
 * storm's, a fixed count from its single run.
 *
 * @module
 */

import type { PeerResult, Results, RoundFigures } from "./main.ts";
import type { PeerName } from "./peers.ts";
import { roundRatios, type Spread, spread } from "./rounds.ts";
import {
  fmt,
  fmtRatio,
  fmtRatioSpread,
  fmtSpread,
  perRound,
  type Picker,
  table,
} from "./report_format.ts";

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

/** History's allowance: CPU per delivery with history on, at most this × with it off. */
export const HISTORY_FACTOR = 1.15;

/**
 * Fan-out CPU per delivery of the hub keeping history (`HISTORY_SIZE` at its default) over the hub
 * keeping none, at the fixed rate and at saturation: both hubs ran next to each other in each round.
 */
export function historyTargets(results: Results): Target[] {
  const p = results.peers;
  const list: Target[] = [];
  for (
    const [label, pick] of [
      ["20/s", (r: RoundFigures) => r.fanout?.serverCpuPerDeliveryUs],
      ["saturation", (r: RoundFigures) => r.fanout?.saturation.serverCpuPerDeliveryUs],
    ] as const
  ) {
    list.push(
      target(
        `fan-out CPU/delivery (${label}), history on ≤ ${HISTORY_FACTOR} × off`,
        perRound(p.hub, pick),
        "max",
        HISTORY_FACTOR,
        perRound(p["hub-nohistory"], pick),
        "history off",
        " µs",
      ),
    );
  }
  return list;
}

/**
 * The resume storm's promise: every session of the stopped node resumes on the other, none gets a
 * new session (one run, a fixed count rather than a ratio to another server).
 */
export function stormTargets(results: Results): Target[] {
  const f = results.storm?.figures;
  if (!f) return [];
  return [
    target(
      `resume storm: all ${
        f.sessions.toLocaleString("en-US")
      } sessions resumed after SIGTERM (one run)`,
      [f.resumed],
      "min",
      1,
      [f.sessions],
      "sessions opened",
      " sessions",
    ),
  ];
}

/**
 * The Socket.IO endpoint's targets (`hub-socketio`): server CPU per request against Socket.IO 4.8
 * on Node and against the hub's own `/ws`, and the fan-out p99 to 1,000 Socket.IO clients.
 */
export function socketioTargets(results: Results): Target[] {
  const p = results.peers;
  if (!p["hub-socketio"]) return [];
  const series = (peer: PeerName, pick: Picker) => perRound(p[peer], pick);
  const list: Target[] = [];
  for (
    const [label, pick] of [
      ["100 × 16", (r: RoundFigures) => r.rpc.c100x16?.serverCpuPerReqUs],
      ["100 × 1", (r: RoundFigures) => r.rpc.c100x1?.serverCpuPerReqUs],
    ] as const
  ) {
    const sio = series("hub-socketio", pick);
    list.push(
      target(
        `/socket.io/: server CPU/request (${label}) ≤ 0.6 × Socket.IO`,
        sio,
        "max",
        0.6,
        series("socket.io", pick),
        "socket.io",
        " µs",
      ),
      target(
        `/socket.io/: server CPU/request (${label}) ≤ 1.25 × /ws`,
        sio,
        "max",
        1.25,
        series("hub", pick),
        "hub /ws",
        " µs",
      ),
    );
  }
  const p99 = series("hub-socketio", (r) => r.fanout?.p99Ms);
  list.push(
    target(
      "/socket.io/: fan-out p99 ≤ 50 ms at 1,000 Socket.IO clients",
      p99,
      "max",
      1,
      p99.map(() => 50),
      "50 ms",
      " ms",
    ),
  );
  return list;
}

/** Every target, evaluated round by round on one run. */
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
    ...historyTargets(results),
    ...socketioTargets(results),
  );
  return list;
}

/** Targets as a markdown table: each figure, the ratio's median and range, and whether met. */
export function targetsTable(list: Target[], names = { hub: "hub", other: "other" }): string {
  return table(
    [
      "target",
      names.hub,
      names.other,
      `${names.hub} ÷ ${names.other}, median (range)`,
      "allowed",
      "rounds met",
      "met (median)",
    ],
    list.map((t) => {
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
  );
}
