/**
 * The report's "Fan-out with history on and off" section: the hub keeping room history (the
 * default) beside the same hub with `HISTORY_SIZE=0`, round by round, and the ratio's target.
 *
 * @module
 */

import type { Results } from "./main.ts";
import { fmt, fmtRatio, perRound, type Picker, ratio, table } from "./report_format.ts";
import { HISTORY_FACTOR, historyTargets, targetsTable } from "./report_targets.ts";

/** The section, when the run had the hub without history (nothing otherwise). */
export function historySection(results: Results): string[] {
  const on = results.peers.hub;
  const off = results.peers["hub-nohistory"];
  if (!off) return [];
  const fo = results.settings.fanout;
  const rounds = results.settings.rounds ?? 1;
  const cpu: Picker = (r) => r.fanout?.serverCpuPerDeliveryUs;
  const satCpu: Picker = (r) => r.fanout?.saturation.serverCpuPerDeliveryUs;
  const p99: Picker = (r) => r.fanout?.p99Ms;
  const count = Math.max(perRound(on, cpu).length, perRound(off, cpu).length);
  // Which of the two ran first in a round, from the order the round recorded.
  const first = (i: number) => {
    const order = results.rounds?.[i]?.order;
    if (!order?.includes("hub") || !order.includes("hub-nohistory")) return "–";
    return order.indexOf("hub") < order.indexOf("hub-nohistory") ? "on" : "off";
  };
  // History on, off, and on ÷ off in round i.
  const cells = (pick: Picker, i: number, digits: number) => {
    const a = perRound(on, pick)[i];
    const b = perRound(off, pick)[i];
    return [fmt(a, digits), fmt(b, digits), fmtRatio(ratio(a, b))];
  };
  const [perDelivery, saturation] = historyTargets(results);
  const verdict = (t: typeof perDelivery) =>
    t.met === undefined
      ? "not measured"
      : `${fmtRatio(t.ratio?.median)}, ${t.met ? "met" : "**not met**"}`;
  return [
    "## Fan-out with history on and off",
    "",
    "The hub numbers every `chat` (`offset`, `epoch`) and keeps each room's last `HISTORY_SIZE` " +
    'messages (200 by default; see docs/protocol.md, "Rooms as streams, and history"). What ' +
    "keeping them costs a fan-out: `hub` (history at its default) against `hub-nohistory`, the " +
    "same hub with `HISTORY_SIZE=0` (messages still numbered, none kept), through the fan-out " +
    `workload above (${fmt(fo.members, 0)} members, ${fo.rate} messages/s for ` +
    `${fo.durationMs / 1000} s, then ${fo.window} in flight for ${fo.saturationMs / 1000} s). ` +
    "The two run next to each other in every round, history on and history off first in turn, " +
    "so both see about the same machine; CPU per delivery is as in the fan-out table, and the ratio " +
    `is history on ÷ off within each round. Target: at most ${HISTORY_FACTOR}×.` +
    (rounds === 1
      ? " This run had one round: each ratio below is of two single runs, as noisy as they are."
      : ""),
    "",
    table(
      [
        "round",
        "ran first",
        "CPU µs/delivery (20/s), on",
        "off",
        "on ÷ off",
        "CPU µs/delivery (saturation), on",
        "off",
        "on ÷ off",
        "p99 ms (20/s), on",
        "off",
      ],
      Array.from({ length: count }, (_, i) => [
        i + 1,
        first(i),
        ...cells(cpu, i, 2),
        ...cells(satCpu, i, 2),
        ...cells(p99, i, 2).slice(0, 2),
      ]),
    ),
    "",
    targetsTable([perDelivery, saturation], { hub: "history on", other: "history off" }),
    "",
    `History on ÷ off (median of the per-round ratios; target ≤ ${HISTORY_FACTOR}×): at ` +
    `${fo.rate}/s ${verdict(perDelivery)}; at saturation ${verdict(saturation)}.`,
    "",
  ];
}
