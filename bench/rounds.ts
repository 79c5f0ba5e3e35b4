/**
 * Rounds: the RPC and fan-out workloads run N times, servers interleaved in a rotated order, so
 * outside load that comes and goes hits every server about equally. This module holds what that
 * needs: the rotation, the median and spread of a figure over rounds, ratios taken round by round
 * (same round, adjacent in time) and then their median, the median of a whole figures object, and
 * the machine's load over a round (loadavg, `/proc/stat` steal time, CPU used outside the bench).
 * A companion (a variant of one server, e.g. the hub with history off) stays out of the rotation
 * and runs right next to its server, alternately before and after it.
 *
 * @module
 */

import { cpuMicros, ticksPerSecond } from "./procs.ts";

/** `list` rotated left by `by`: round 0 keeps the order, round 1 starts at the second item, … */
export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return [];
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * `order` with each `[companion, base]` placed right next to its base (before it when `before`,
 * after it otherwise), so the ratio of the two compares runs adjacent in time; a companion whose
 * base is not in `order` goes at the end.
 */
export function placeBeside<T>(
  order: readonly T[],
  companions: readonly (readonly [T, T])[],
  before: boolean,
): T[] {
  const out: T[] = [];
  for (const name of order) {
    const mine = companions.filter(([, base]) => base === name).map(([c]) => c);
    out.push(...(before ? [...mine, name] : [name, ...mine]));
  }
  for (const [companion] of companions) if (!out.includes(companion)) out.push(companion);
  return out;
}

/**
 * Whether companions run before their base in `round` of `rounds`: alternately, so an order
 * effect (the first of two runs after a gap, a warmer machine for the second) cancels over the
 * rounds; before in the last round, so that a run placed right after the base in that round (the
 * two-node run) still follows it directly.
 */
export const companionFirst = (round: number, rounds: number) => (rounds - 1 - round) % 2 === 0;

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("Median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A figure over rounds: its median, lowest and highest value, and how many rounds had it. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

/** The spread of the defined, finite values; `undefined` when there are none. */
export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const kept = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (kept.length === 0) return undefined;
  return {
    median: median(kept),
    min: Math.min(...kept),
    max: Math.max(...kept),
    n: kept.length,
    values: kept,
  };
}

/**
 * `a[i] / b[i]` for each round `i` where both were measured (and `b[i]` is not 0), then their
 * spread: the ratio of two servers is taken within a round, never across rounds.
 */
export function roundRatios(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
): Spread | undefined {
  const ratios = a.map((x, i) => {
    const y = b[i];
    return x === undefined || y === undefined || y === 0 ? undefined : x / y;
  });
  return spread(ratios);
}

/**
 * The field-by-field median of several figures objects of one shape (numbers: median of the
 * defined ones; nested objects and arrays of objects: recursively, item by item; anything else:
 * the first value). Each field's median is taken on its own, so e.g. `requests / seconds` of the
 * result need not equal its `reqPerSec`.
 */
export function medianOf<T>(items: readonly T[]): T | undefined {
  const present = items.filter((x) => x !== undefined && x !== null);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  const first = present[0] as unknown;
  if (typeof first === "number") return median(present as number[]) as T;
  if (Array.isArray(first)) {
    const arrays = present as unknown as unknown[][];
    return first.map((_, i) => medianOf(arrays.map((a) => a[i]))) as T;
  }
  if (typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first as object)) {
      out[key] = medianOf(present.map((x) => (x as Record<string, unknown>)[key]));
    }
    return out as T;
  }
  return present[0];
}

/** The machine's load over one round. */
export interface RoundLoad {
  round: number;
  /** The servers in the order they ran in this round (the same order for every workload). */
  order: string[];
  startedAt: string;
  seconds: number;
  /** `/proc/loadavg` at the start and end of the round. */
  loadavgStart: string;
  loadavgEnd: string;
  /** Steal time over the round, in % of all CPU time (the hypervisor serving other guests). */
  stealPct?: number;
  /** Machine CPU in use over the round, in % of all cores (steal excluded). */
  busyPct?: number;
  /**
   * CPU used by processes outside the bench (the harness, its servers, generators and Redis
   * excluded), in % of one core: other people's load on this machine.
   */
  otherCpuPct?: number;
}

interface ProcStat {
  total: number;
  idle: number;
  steal: number;
}

function procStat(): ProcStat | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    if (!line.startsWith("cpu ")) return undefined;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest is inside user.
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { total, idle: f[3] + (f[4] ?? 0), steal: f[7] ?? 0 };
  } catch {
    return undefined;
  }
}

const loadavg = () => Deno.readTextFileSync("/proc/loadavg").trim();
const r1 = (n: number) => Math.round(n * 10) / 10;

/** Starts measuring the machine's load; `end()` returns it for the round. */
export function loadMeter(round: number, order: string[]): { end(): RoundLoad } {
  const startedAt = new Date().toISOString();
  const t = performance.now();
  const loadavgStart = loadavg();
  const stat = procStat();
  const own = cpuMicros([Deno.pid]);
  return {
    end() {
      const seconds = (performance.now() - t) / 1000;
      const after = procStat();
      const ownUs = cpuMicros([Deno.pid]) - own;
      const load: RoundLoad = {
        round,
        order,
        startedAt,
        seconds: Math.round(seconds),
        loadavgStart,
        loadavgEnd: loadavg(),
      };
      if (stat && after && after.total > stat.total) {
        const total = after.total - stat.total;
        const steal = after.steal - stat.steal;
        const busy = total - (after.idle - stat.idle) - steal;
        load.stealPct = r1((steal / total) * 100);
        load.busyPct = r1((busy / total) * 100);
        // Busy ticks over the round in µs, less what the bench's own process tree used.
        const busyUs = (busy / ticksPerSecond()) * 1e6;
        load.otherCpuPct = r1(Math.max(0, (busyUs - ownUs) / 1e6 / seconds) * 100);
      }
      return load;
    },
  };
}
