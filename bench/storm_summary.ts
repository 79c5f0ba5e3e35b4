/**
 * The resume storm's figures from what each client saw: how many sessions came back as themselves
 * and how many got a new session, the time from SIGTERM to the last resumed `welcome`, and
 * percentiles of each session's own resume time (its close to its resumed `welcome`). Pure, so it
 * is tested apart from the processes that produce the records (`storm_summary_test.ts`).
 *
 * @module
 */

/** What one session went through, in epoch ms (`performance.timeOrigin + performance.now()`). */
export interface StormRecord {
  /** Close code of the first connection; 0 while it is still open. */
  code: number;
  /** When that close reached the client; 0 while it is still open. */
  closeAt: number;
  /** When the second connection's `welcome` arrived; 0 without one. */
  welcomeAt: number;
  /**
   * `resumed`: the same session (`resumed: true`, same `sessionId`); `new`: a welcome for another
   * session; `failed`: no welcome (the reason in `detail`); `open`: the first connection never
   * closed.
   */
  outcome: "resumed" | "new" | "failed" | "open";
  detail?: string;
}

/** The storm as the report shows it; times in ms, from SIGTERM unless said otherwise. */
export interface StormSummary {
  sessions: number;
  resumed: number;
  newSessions: number;
  failed: number;
  /** Sessions whose first connection was still open when the wait ended. */
  notClosed: number;
  /** How many first connections closed with each code. */
  closeCodes: Record<string, number>;
  /** SIGTERM → the first and the last close a client saw. */
  firstCloseMs?: number;
  lastCloseMs?: number;
  /** SIGTERM → the last resumed `welcome`. */
  lastResumedMs?: number;
  /** SIGTERM → the first and the last `welcome` of a new session (a resume that failed). */
  firstNewMs?: number;
  lastNewMs?: number;
  /** Per session, its close → its resumed `welcome` (resumed sessions only). */
  resumeP50Ms?: number;
  resumeP99Ms?: number;
  resumeMaxMs?: number;
  /** A few reasons for failures, for the errors list. */
  problems: string[];
}

/**
 * The value at percentile `p` (0 to 100) of `values` by nearest rank: the smallest value that at
 * least `p` % of the values are at or below. `undefined` when there are none.
 *
 * @throws {RangeError} if `p` is outside 0 to 100.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be 0 to 100, got ${p}`);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

const ms = (n: number | undefined) => n === undefined ? undefined : Math.round(n * 100) / 100;
const latest = (values: number[]) => values.length === 0 ? undefined : Math.max(...values);
const earliest = (values: number[]) => values.length === 0 ? undefined : Math.min(...values);

/** Sums up the records of every client; `sigtermAt` is when the node was signalled (epoch ms). */
export function summarizeStorm(records: readonly StormRecord[], sigtermAt: number): StormSummary {
  const count = (outcome: StormRecord["outcome"]) =>
    records.filter((r) => r.outcome === outcome).length;
  const closed = records.filter((r) => r.outcome !== "open");
  const resumed = records.filter((r) => r.outcome === "resumed");
  const fresh = records.filter((r) => r.outcome === "new").map((r) => r.welcomeAt);
  const closeCodes: Record<string, number> = {};
  for (const r of closed) closeCodes[r.code] = (closeCodes[r.code] ?? 0) + 1;
  const since = (at: number | undefined) => at === undefined ? undefined : ms(at - sigtermAt);
  const perSession = resumed.map((r) => r.welcomeAt - r.closeAt);
  // The same reason once, with how many sessions had it: 1,000 identical lines say nothing more.
  const reasons = new Map<string, number>();
  for (const r of records) {
    if (r.outcome === "resumed") continue;
    const reason = `${r.outcome}: ${r.detail ?? "no detail"}`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return {
    sessions: records.length,
    resumed: resumed.length,
    newSessions: count("new"),
    failed: count("failed"),
    notClosed: count("open"),
    closeCodes,
    firstCloseMs: since(earliest(closed.map((r) => r.closeAt))),
    lastCloseMs: since(latest(closed.map((r) => r.closeAt))),
    lastResumedMs: since(latest(resumed.map((r) => r.welcomeAt))),
    firstNewMs: since(earliest(fresh)),
    lastNewMs: since(latest(fresh)),
    resumeP50Ms: ms(percentile(perSession, 50)),
    resumeP99Ms: ms(percentile(perSession, 99)),
    resumeMaxMs: ms(latest(perSession)),
    problems: [...reasons].slice(0, 5).map(([reason, n]) => `${n} × ${reason}`),
  };
}
