/**
 * The scale parts of `deno task bench`, as `main.ts` runs them: the `scale` workload (one process
 * with 19,800 connections, `scale.ts`) for the hub, echo and echo with the heartbeat, and for the
 * hub as it was before this work when `--baseline <git revision>` names it (exported from git into
 * a temporary folder and run from there); and `--scale`, the five-node deployment (`scale_run.ts`).
 *
 * `--merge <results.json>` takes every figure this run did not measure from an earlier results
 * file, so that a scale-only run still writes the whole page, and the page says which figures came
 * from which run.
 *
 * @module
 */

import { scale, type ScaleFigures, type ScaleServer, type ScaleSettings } from "./scale.ts";
import { scaleRun, type ScaleRunFigures, type ScaleRunSettings } from "./scale_run.ts";
import { ROOT } from "./peers.ts";
import { loadMeter, type RoundLoad } from "./rounds.ts";

export const SCALE_FULL: ScaleSettings = {
  connections: 19_800,
  heartbeatMs: 1000,
  idleMs: 10_000,
  probeRate: 50,
  roomSizes: [10_000, 19_800],
  roomRate: 2,
  roomMs: 10_000,
  concurrency: 64,
};

export const SCALE_QUICK: ScaleSettings = {
  ...SCALE_FULL,
  connections: 2000,
  idleMs: 3000,
  roomSizes: [2000],
  roomMs: 3000,
};

export const SCALE_RUN: ScaleRunSettings = {
  nodes: 5,
  perNode: 19_800,
  concurrency: 32,
  idleMs: 20_000,
  probeRate: 20,
  firstSource: 10,
};

export const SCALE_RUN_QUICK: ScaleRunSettings = { ...SCALE_RUN, perNode: 1000, idleMs: 3000 };

/** The `scale` workload's results. */
export interface ScaleResult {
  settings: ScaleSettings;
  /** The hub before this work (`hub-before`), when `--baseline` named a revision. */
  baseline?: { rev: string; commit: string };
  servers: Partial<Record<ScaleServer, ScaleFigures>>;
  load?: RoundLoad;
}

/** `--scale`'s results. */
export interface ScaleRunResult {
  settings: ScaleRunSettings;
  figures?: ScaleRunFigures;
  errors: string[];
}

async function git(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out.stdout;
}

/** Exports revision `rev` into a temporary folder; answers the folder and the full commit. */
async function exportBaseline(rev: string): Promise<{ dir: string; commit: string }> {
  const commit = new TextDecoder().decode(await git(["rev-parse", "--verify", `${rev}^{commit}`]))
    .trim();
  const dir = await Deno.makeTempDir({ prefix: "hub-baseline-" });
  const tar = await git(["archive", "--format=tar", commit]);
  const untar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
  const writer = untar.stdin.getWriter();
  await writer.write(tar);
  await writer.close();
  if (!(await untar.status).success) throw new Error(`could not unpack ${rev} into ${dir}`);
  return { dir: `${dir}/`, commit };
}

/** The scale workload: the hub (and its baseline), echo and echo with the heartbeat, in turn. */
export async function runScaleWorkload(
  settings: ScaleSettings,
  log: (line: string) => void,
  baselineRev?: string,
): Promise<ScaleResult> {
  const result: ScaleResult = { settings, servers: {} };
  let baseline: { dir: string; commit: string } | undefined;
  if (baselineRev) {
    baseline = await exportBaseline(baselineRev);
    result.baseline = { rev: baselineRev, commit: baseline.commit };
    log(`scale: baseline ${baselineRev} (${baseline.commit.slice(0, 7)}) in ${baseline.dir}`);
  }
  const order: ScaleServer[] = baseline
    ? ["hub-before", "hub", "echo", "echo-heartbeat"]
    : ["hub", "echo", "echo-heartbeat"];
  const meter = loadMeter(0, order);
  try {
    for (const server of order) {
      result.servers[server] = await scale(server, settings, log, baseline?.dir);
    }
  } finally {
    if (baseline) await Deno.remove(baseline.dir, { recursive: true }).catch(() => {});
  }
  result.load = meter.end();
  return result;
}

/** `--scale`: the five-node deployment, once. */
export async function runScaleDeployment(
  settings: ScaleRunSettings,
  log: (line: string) => void,
): Promise<ScaleRunResult> {
  const result: ScaleRunResult = { settings, errors: [] };
  try {
    result.figures = await scaleRun(settings, log);
    const f = result.figures;
    if (f.numClients.some((n) => n !== f.expectedClients)) {
      result.errors.push(`num_clients ${f.numClients.join(", ")}, expected ${f.expectedClients}`);
    }
    if (f.chat.received !== f.chat.expected) {
      result.errors.push(`the lobby chat reached ${f.chat.received} of ${f.chat.expected}`);
    }
  } catch (err) {
    log(`scale run FAILED: ${(err as Error).message}`);
    result.errors.push((err as Error).message);
  }
  return result;
}

/** Sections of a results file that `--merge` can take from an earlier run. */
const MERGED = ["peers", "rounds", "twoNode", "storm", "scale", "scaleRun"] as const;

/**
 * Fills what `current` did not measure from `previous`: whole sections, and single peers.
 * Answers the names of the sections taken, for the page.
 */
export function mergeResults<T extends Partial<Record<typeof MERGED[number], unknown>>>(
  current: T,
  previous: T,
): string[] {
  const taken: string[] = [];
  for (const key of MERGED) {
    if (previous[key] === undefined) continue;
    if (key === "peers") {
      const mine = (current.peers ?? {}) as Record<string, unknown>;
      const theirs = previous.peers as Record<string, unknown>;
      for (const [peer, figures] of Object.entries(theirs)) {
        if (mine[peer] === undefined) {
          mine[peer] = figures;
          taken.push(`peers.${peer}`);
        }
      }
      (current as Record<string, unknown>).peers = mine;
    } else if (
      current[key] === undefined || (Array.isArray(current[key]) && !(current[key] as []).length)
    ) {
      (current as Record<string, unknown>)[key] = previous[key];
      taken.push(key);
    }
  }
  // The versions of what only the earlier run measured (Flask-SocketIO's, Redis's) are that
  // run's; this run could not read them without starting those servers.
  const versions = (current as { versions?: Record<string, string> }).versions;
  const earlier = (previous as { versions?: Record<string, string> }).versions;
  if (versions && earlier && taken.length > 0) {
    for (const [name, version] of Object.entries(earlier)) {
      if (versions[name] === undefined || versions[name] === "unknown") versions[name] = version;
    }
  }
  return taken;
}
