/**
 * What every part of the benchmark report shares: the servers in page order, picking a figure
 * round by round, and writing figures, ratios, spreads and tables as markdown text.
 *
 * @module
 */

import type { PeerResult, Results, RoundFigures } from "./main.ts";
import type { PeerName } from "./peers.ts";
import { roundRatios, type Spread, spread } from "./rounds.ts";

const ORDER: PeerName[] = ["hub", "hub-socketio", "echo", "socket.io", "flask-socketio"];

/** The servers the run measured and compares, in page order. */
export const peersOf = (results: Results): PeerName[] =>
  ORDER.filter((name) => results.peers[name] !== undefined);

/**
 * Every server the run started, in page order: the compared ones and the hub's variants (history
 * off), which have their own section but are checked, and can fail, like the others.
 */
export const allPeersOf = (results: Results): PeerName[] =>
  (["hub", "hub-nohistory", ...ORDER.slice(1)] as PeerName[]).filter((name) =>
    results.peers[name] !== undefined
  );

/** A figure of one round's results (or of the medians, which have the same shape). */
export type Picker = (p: RoundFigures) => number | undefined;

/** A peer's results round by round; results from before rounds count as one round. */
const roundsOf = (p: PeerResult | undefined): RoundFigures[] =>
  p === undefined ? [] : p.rounds && p.rounds.length > 0 ? p.rounds : [p];

/** A figure over a peer's rounds (index = round). */
export const perRound = (p: PeerResult | undefined, pick: Picker) => roundsOf(p).map(pick);

/** The spread of a figure over a peer's rounds. */
export const spreadOf = (p: PeerResult | undefined, pick: Picker) => spread(perRound(p, pick));

/** The round-by-round ratio `a ÷ b` of a figure, as a spread over rounds. */
export const ratioOf = (a: PeerResult | undefined, b: PeerResult | undefined, pick: Picker) =>
  roundRatios(perRound(a, pick), perRound(b, pick));

const num = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
export const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : new Intl.NumberFormat("en-US", { maximumFractionDigits: digits }).format(n);
export const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const ratioText = (r: number) => r >= 10 ? num.format(r) : r.toFixed(r < 0.1 ? 3 : 2);
export const fmtRatio = (r: number | undefined) => r === undefined ? "–" : `${ratioText(r)}×`;
/** The median of a figure, with its range over rounds when there were several. */
export const fmtSpread = (s: Spread | undefined, digits = 1) =>
  s === undefined
    ? "–"
    : s.n > 1
    ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
    : fmt(s.median, digits);
/** The median of round-by-round ratios, with their range. */
export const fmtRatioSpread = (s: Spread | undefined) =>
  s === undefined
    ? "–"
    : s.n > 1
    ? `${ratioText(s.median)}× (${ratioText(s.min)}–${ratioText(s.max)})`
    : `${ratioText(s.median)}×`;

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
