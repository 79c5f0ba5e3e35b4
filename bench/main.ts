/**
 * `deno task bench [--quick] [--rounds N]
 * [--peers hub,hub-nohistory,echo,socket.io,flask-socketio,hub-2-nodes]
 * [--workloads rpc,fanout,connections,storm,scale,api] [--generators N] [--no-report]
 * [--baseline <git revision>] [--scale] [--merge <results.json>]`: checks every peer
 * once with its official client, then runs the RPC and fan-out workloads in rounds, the servers
 * interleaved (each workload runs every server in turn, in an order rotated by one each round) so a
 * burst of outside load lands on every server alike; the connections workload runs once per server
 * after the rounds. Writes `bench/results/<timestamp>.json` (every round's figures, their medians and
 * the machine's load per round), then `docs/benchmarks.md` and `docs/benchmarks.png` from it.
 * `hub-2-nodes` is the hub as two processes joined by a Redis the harness starts
 * (`bench/cluster.ts`), measured once, in the last round right after the single hub.
 * `hub-nohistory` (the hub with `HISTORY_SIZE=0`) runs fan-out only, right next to the hub in every
 * round, for the cost of room history as a ratio of adjacent runs. The `storm` workload (the
 * resume storm, `bench/storm.ts`: sessions on one node of two, that node stopped with SIGTERM,
 * every client resuming on the other) runs once, last, when `hub` or `hub-2-nodes` is asked for;
 * `--peers hub --workloads storm` runs it alone. The `scale` workload (19,800 connections on one
 * process, with `--baseline` the hub at that revision beside it) and `--scale` (five nodes, 99,000
 * connections) are in `scale_main.ts`. The `api` workload (the server API publishing into a room of
 * 1,000 members over HTTP keep-alive, beside the same room's chat over WebSocket, `bench/api.ts`)
 * runs once, after the storm, when `hub` is asked for. Every peer, Redis and generator process is stopped on exit,
 * Ctrl-C and errors included.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  type CheckResult,
  type PeerName,
  PEERS,
  runsWorkload,
  SPECS,
  startPeer,
  versions,
  type WorkloadName,
} from "./peers.ts";
import { type Deployment, deploymentCheck, redisVersion, startDeployment } from "./cluster.ts";
import { freePort, initClock, stopAll, stopAllOnSignal } from "./procs.ts";
import {
  companionFirst,
  loadMeter,
  medianOf,
  placeBeside,
  rotate,
  type RoundLoad,
} from "./rounds.ts";
import {
  type ConnectionFigures,
  connections,
  fanout,
  type FanoutFigures,
  rpc,
  type RpcFigures,
} from "./workloads.ts";
import { writeReport } from "./report.ts";
import { resumeStorm, type StormFigures } from "./storm.ts";
import { API_FULL, API_QUICK, type ApiResult, apiWorkload } from "./api.ts";
import {
  mergeResults,
  runScaleDeployment,
  runScaleWorkload,
  SCALE_FULL,
  SCALE_QUICK,
  SCALE_RUN,
  SCALE_RUN_QUICK,
  type ScaleResult,
  type ScaleRunResult,
} from "./scale_main.ts";

/** One round's RPC figures. */
export interface RpcSet {
  seq?: RpcFigures;
  c100x1?: RpcFigures;
  c100x16?: RpcFigures;
}

/** What one server gave in one round. */
export interface RoundFigures {
  rpc: RpcSet;
  fanout?: FanoutFigures;
}

export interface PeerResult {
  check?: CheckResult;
  /** Field-by-field medians over the rounds (`rounds` holds each round's own figures). */
  rpc: RpcSet;
  fanout?: FanoutFigures;
  /** Measured once, after the rounds. */
  connections?: ConnectionFigures;
  /** Index = round; absent in results from before rounds. */
  rounds?: RoundFigures[];
  errors: string[];
}

export interface Results {
  timestamp: string;
  mode: "quick" | "full";
  durationS: number;
  machine: {
    cores: number;
    cpuModel: string;
    memGiB: number;
    kernel: string;
    loadavgBefore: string;
    loadavgAfter: string;
  };
  versions: Record<string, string>;
  settings: Settings;
  /** The machine's load over each round of RPC and fan-out. */
  rounds?: RoundLoad[];
  peers: Partial<Record<PeerName, PeerResult>>;
  /** The hub as two nodes joined by Redis (`hub-2-nodes`), when it ran. */
  twoNode?: TwoNodeResult;
  /** The resume storm across two nodes (`storm` workload), when it ran. */
  storm?: StormResult;
  /** The scale workload (`scale.ts`) and the five-node scale run (`--scale`), when they ran. */
  scale?: ScaleResult;
  scaleRun?: ScaleRunResult;
  /** The server API workload (`api.ts`), when it ran. */
  api?: ApiResult;
  /** `--merge`: the earlier results file the sections named here were taken from. */
  mergedFrom?: { file: string; timestamp: string; sections: string[] };
}

/** The resume storm: once, on its own two-node deployment. */
export interface StormResult {
  figures?: StormFigures;
  errors: string[];
}

/** The two-node run: the same RPC and fan-out workloads, clients split evenly over the nodes. */
export interface TwoNodeResult {
  nodes: number;
  /** The round it ran in, each workload right after the single hub's (compare with that round). */
  round?: number;
  check?: CheckResult;
  rpc: { c100x1?: RpcFigures; c100x16?: RpcFigures };
  fanout?: FanoutFigures;
  errors: string[];
}

/** `--peers` names: the single servers, and the hub's two-node deployment. */
const TWO_NODE = "hub-2-nodes";

export interface Settings {
  /** Rounds of RPC and fan-out (connections and the two-node run: once). */
  rounds: number;
  seqRequests: number;
  rpcDurationMs: number;
  warmupMs: number;
  generators: number;
  fanout: {
    members: number;
    rate: number;
    durationMs: number;
    saturationMs: number;
    window: number;
  };
  /** Flask-SocketIO is ~40× slower: fewer sequential requests and shorter timed phases. */
  flask: {
    seqRequests: number;
    rpcDurationMs: number;
    fanoutDurationMs: number;
    saturationMs: number;
  };
  connectionSteps: number[];
  settleMs: number;
  /** The resume storm (absent in results from before it). */
  storm?: {
    sessions: number;
    concurrency: number;
    settleMs: number;
    timeoutMs: number;
  };
}

const FULL: Settings = {
  rounds: 3,
  seqRequests: 10_000,
  rpcDurationMs: 5000,
  warmupMs: 1000,
  generators: 2,
  fanout: { members: 1000, rate: 20, durationMs: 10_000, saturationMs: 3000, window: 16 },
  flask: { seqRequests: 2000, rpcDurationMs: 3000, fanoutDurationMs: 5000, saturationMs: 2000 },
  connectionSteps: [1000, 2500, 5000, 7500, 10_000],
  settleMs: 2000,
  storm: { sessions: 1000, concurrency: 50, settleMs: 1000, timeoutMs: 30_000 },
};

const QUICK: Settings = {
  // One round keeps --quick under 2 minutes on 2 cores (two took 142 s); `--rounds 2` for a spread.
  rounds: 1,
  seqRequests: 3000,
  rpcDurationMs: 1000,
  warmupMs: 300,
  generators: 2,
  fanout: { members: 1000, rate: 20, durationMs: 1500, saturationMs: 700, window: 16 },
  flask: { seqRequests: 500, rpcDurationMs: 1000, fanoutDurationMs: 1000, saturationMs: 500 },
  connectionSteps: [1000, 2000],
  settleMs: 500,
  storm: { sessions: 200, concurrency: 50, settleMs: 500, timeoutMs: 15_000 },
};

const t0 = performance.now();
const log = (line: string) =>
  console.error(`bench [${((performance.now() - t0) / 1000).toFixed(1)} s]: ${line}`);

function machine(): Omit<Results["machine"], "loadavgAfter"> {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const mem = Number(/^MemTotal:\s*(\d+)/m.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1] ?? 0);
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel: model,
    memGiB: Math.round(mem / 1024 / 1024),
    kernel: Deno.osRelease(),
    loadavgBefore: Deno.readTextFileSync("/proc/loadavg").trim(),
  };
}

/** The peers' own workloads, and the resume storm (the hub's two-node deployment only). */
export type Workload = WorkloadName | "storm" | "scale" | "api";
export const WORKLOADS: readonly Workload[] = [
  "rpc",
  "fanout",
  "connections",
  "storm",
  "scale",
  "api",
];

/** Runs `fn`, logging it; a failure is logged and kept in `errors`, and gives `undefined`. */
async function attempt<T>(
  name: string,
  errors: string[],
  what: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  log(`${name}: ${what}`);
  try {
    const value = await fn();
    log(`${name}: ${what}: ${JSON.stringify(value)}`);
    return value;
  } catch (err) {
    const message = `${what}: ${(err as Error).message}`;
    log(`${name}: FAILED ${message}`);
    errors.push(message);
    return undefined;
  }
}

/** The settings one peer runs with: Flask-SocketIO's shorter phases, the others' as they are. */
function settingsFor(name: PeerName, settings: Settings): Settings {
  if (name !== "flask-socketio") return settings;
  const f = settings.flask;
  return {
    ...settings,
    seqRequests: f.seqRequests,
    rpcDurationMs: f.rpcDurationMs,
    fanout: { ...settings.fanout, durationMs: f.fanoutDurationMs, saturationMs: f.saturationMs },
  };
}

/** The RPC workload (sequential, 100 × 1, 100 × 16) against one server or deployment. */
async function rpcSet(
  name: string,
  errors: string[],
  target: Parameters<typeof rpc>[0],
  settings: Settings,
  withSeq: boolean,
): Promise<RpcSet> {
  const { generators, warmupMs, rpcDurationMs } = settings;
  const many = (inflight: number) => ({
    connections: 100,
    inflight,
    durationMs: rpcDurationMs,
    warmupMs,
    generators,
  });
  const set: RpcSet = {};
  if (withSeq) {
    set.seq = await attempt(name, errors, "rpc 1 × 1 sequential", () =>
      rpc(target, {
        connections: 1,
        inflight: 1,
        count: settings.seqRequests,
        warmupMs,
        generators: 1,
      }));
  }
  set.c100x1 = await attempt(name, errors, "rpc 100 × 1", () => rpc(target, many(1)));
  set.c100x16 = await attempt(name, errors, "rpc 100 × 16", () => rpc(target, many(16)));
  return set;
}

/** A freshly started server for one workload, stopped after it. */
async function withPeer<T>(
  name: PeerName,
  fn: (peer: Awaited<ReturnType<typeof startPeer>>) => Promise<T>,
): Promise<T> {
  const peer = await startPeer(SPECS[name], freePort());
  try {
    return await fn(peer);
  } finally {
    await peer.child.stop();
  }
}

/** A fresh two-node deployment (Redis included) for one workload, stopped after it. */
async function withDeployment<T>(fn: (deployment: Deployment) => Promise<T>): Promise<T> {
  const deployment = await startDeployment(2);
  try {
    return await fn(deployment);
  } finally {
    await deployment.stop();
  }
}

/** Installs what the peer needs and checks it with its official client on a fresh server. */
async function checkPeer(name: PeerName, result: PeerResult): Promise<boolean> {
  // A peer that cannot be installed (Flask-SocketIO missing) is reported and left out, not fatal.
  const prepare = SPECS[name].prepare;
  if (
    prepare && !(await attempt(name, result.errors, "prepare", () => prepare().then(() => "ok")))
  ) {
    return false;
  }
  await attempt(name, result.errors, "official client check", () =>
    withPeer(name, async (peer) => {
      result.check = await SPECS[name].check(peer);
      if (!result.check.ok) throw new Error(`check failed: ${result.check.detail}`);
      return result.check;
    }));
  return result.check?.ok === true;
}

async function checkTwoNode(result: TwoNodeResult): Promise<boolean> {
  await attempt(TWO_NODE, result.errors, "redis-server", redisVersion);
  if (result.errors.length > 0) return false;
  await attempt(
    TWO_NODE,
    result.errors,
    "official client check across nodes",
    () =>
      withDeployment(async (deployment) => {
        result.check = await deploymentCheck(deployment);
        if (!result.check.ok) throw new Error(`check failed: ${result.check.detail}`);
        return result.check;
      }),
  );
  return result.check?.ok === true;
}

/** One workload of one round against one server: a fresh server for it. */
async function runRound(
  name: PeerName,
  workload: "rpc" | "fanout",
  settings: Settings,
  result: PeerResult,
  round: number,
): Promise<void> {
  const mine = settingsFor(name, settings);
  const figures = (result.rounds![round] ??= { rpc: {} });
  const label = `round ${round + 1}`;
  if (workload === "rpc") {
    await attempt(name, result.errors, `${label}: rpc`, () =>
      withPeer(name, async (peer) => {
        figures.rpc = await rpcSet(`${name} ${label}`, result.errors, peer, mine, true);
        return "done";
      }));
  } else {
    figures.fanout = await attempt(name, result.errors, `${label}: fan-out`, () =>
      withPeer(
        name,
        (peer) =>
          fanout(peer, {
            ...mine.fanout,
            subscriberProcesses: mine.generators,
          }),
      ));
  }
}

async function runTwoNodeWorkload(
  workload: "rpc" | "fanout",
  settings: Settings,
  result: TwoNodeResult,
): Promise<void> {
  if (workload === "rpc") {
    await attempt(TWO_NODE, result.errors, "rpc", () =>
      withDeployment(async (deployment) => {
        const set = await rpcSet(TWO_NODE, result.errors, deployment, settings, false);
        result.rpc = { c100x1: set.c100x1, c100x16: set.c100x16 };
        return "done";
      }));
  } else {
    result.fanout = await attempt(
      TWO_NODE,
      result.errors,
      "fan-out",
      () =>
        withDeployment((deployment) =>
          fanout(deployment, { ...settings.fanout, subscriberProcesses: settings.generators })
        ),
    );
  }
}

/**
 * The resume storm, once; a session that did not come back as itself is an error of the run, as
 * resuming on another node after SIGTERM is what the deployment promises.
 */
async function runStorm(settings: Settings): Promise<StormResult> {
  const result: StormResult = { errors: [] };
  const name = "resume storm";
  if (!(await attempt(name, result.errors, "redis-server", redisVersion))) return result;
  const s = settings.storm!;
  result.figures = await attempt(
    name,
    result.errors,
    `${s.sessions} sessions on node A, SIGTERM, resume on node B`,
    () => resumeStorm({ ...s, generators: settings.generators }),
  );
  const f = result.figures;
  if (f && f.resumed < f.sessions) {
    result.errors.push(
      `${f.sessions - f.resumed} of ${f.sessions} sessions did not resume: ${
        f.problems.join("; ")
      }`,
    );
  }
  return result;
}

/** Each peer's medians over its rounds. */
function summarize(result: PeerResult): void {
  const rounds = result.rounds ?? [];
  result.rpc = {
    seq: medianOf(rounds.map((r) => r.rpc.seq)),
    c100x1: medianOf(rounds.map((r) => r.rpc.c100x1)),
    c100x16: medianOf(rounds.map((r) => r.rpc.c100x16)),
  };
  result.fanout = medianOf(rounds.map((r) => r.fanout));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      rounds: { type: "string" },
      peers: { type: "string" },
      generators: { type: "string" },
      workloads: { type: "string" },
      "no-report": { type: "boolean" },
      scale: { type: "boolean" },
      baseline: { type: "string" },
      merge: { type: "string" },
    },
    strict: true,
  });
  const settings = structuredClone(values.quick ? QUICK : FULL);
  if (values.generators) settings.generators = Number(values.generators);
  if (values.rounds) {
    settings.rounds = Number(values.rounds);
    if (!(Number.isInteger(settings.rounds) && settings.rounds >= 1)) {
      throw new Error(`--rounds must be a whole number from 1, got "${values.rounds}"`);
    }
  }
  const workloads = (values.workloads?.split(",") ?? WORKLOADS) as Workload[];
  for (const w of workloads) {
    if (!WORKLOADS.includes(w)) {
      throw new Error(`Unknown workload "${w}"; use ${WORKLOADS.join(", ")}`);
    }
  }
  const all: string[] = [...PEERS, TWO_NODE];
  const requested = values.peers?.split(",") ?? all;
  for (const name of requested) {
    if (!all.includes(name)) throw new Error(`Unknown peer "${name}"; use ${all.join(", ")}`);
  }
  // A server that takes part in none of the workloads asked for is not even started.
  const names = PEERS.filter((name) =>
    requested.includes(name) &&
    workloads.some((w) => w !== "storm" && w !== "scale" && w !== "api" && runsWorkload(name, w))
  );
  const roundWorkloads = (["rpc", "fanout"] as const).filter((w) => workloads.includes(w));
  const wantTwoNode = requested.includes(TWO_NODE) && roundWorkloads.length > 0;
  const wantStorm = workloads.includes("storm") &&
    (requested.includes("hub") || requested.includes(TWO_NODE));
  stopAllOnSignal();
  await initClock();
  const started = performance.now();
  const info = machine();
  log(
    `${values.quick ? "quick" : "full"} run, ${settings.rounds} round(s), on ${info.cores} ` +
      `cores (${info.cpuModel}), loadavg ${info.loadavgBefore}`,
  );
  const results: Results = {
    timestamp: new Date().toISOString(),
    mode: values.quick ? "quick" : "full",
    durationS: 0,
    machine: { ...info, loadavgAfter: "" },
    versions: await versions(),
    settings,
    rounds: [],
    peers: {},
  };
  try {
    // Checks first, once per server: only servers that pass take part in the rounds.
    const ready: PeerName[] = [];
    for (const name of names) {
      const result: PeerResult = { rpc: {}, rounds: [], errors: [] };
      results.peers[name] = result;
      if (await checkPeer(name, result)) ready.push(name);
    }
    let twoNode: TwoNodeResult | undefined;
    if (wantTwoNode || wantStorm) {
      results.versions["redis-server"] = await redisVersion().catch(() => "missing");
    }
    if (wantTwoNode) {
      twoNode = { nodes: 2, rpc: {}, errors: [] };
      results.twoNode = twoNode;
      if (!(await checkTwoNode(twoNode))) twoNode = undefined;
    }
    if (roundWorkloads.length > 0) {
      const rotating = ready.filter((name) => !SPECS[name].beside);
      const companions = ready.flatMap((name) => {
        const base = SPECS[name].beside;
        return base ? [[name, base] as const] : [];
      });
      for (let round = 0; round < settings.rounds; round++) {
        const order = placeBeside(
          rotate(rotating, round),
          companions,
          companionFirst(round, settings.rounds),
        );
        const last = round === settings.rounds - 1;
        const meter = loadMeter(round, order);
        log(`round ${round + 1} of ${settings.rounds}: ${order.join(", ")}`);
        for (const workload of roundWorkloads) {
          for (const name of order) {
            if (!runsWorkload(name, workload)) continue;
            await runRound(name, workload, settings, results.peers[name]!, round);
            // The two-node run once, in the last round right after the single hub.
            if (last && twoNode && name === "hub") {
              twoNode.round = round;
              await runTwoNodeWorkload(workload, settings, twoNode);
            }
          }
          if (last && twoNode && !ready.includes("hub")) {
            twoNode.round = round;
            await runTwoNodeWorkload(workload, settings, twoNode);
          }
        }
        const load = meter.end();
        results.rounds!.push(load);
        log(`round ${round + 1}: ${JSON.stringify(load)}`);
      }
    }
    for (const name of ready) summarize(results.peers[name]!);
    if (workloads.includes("connections")) {
      for (const name of ready.filter((n) => runsWorkload(n, "connections"))) {
        const result = results.peers[name]!;
        result.connections = await attempt(
          name,
          result.errors,
          "connections",
          () =>
            withPeer(name, (peer) =>
              connections(peer, {
                steps: settings.connectionSteps,
                settleMs: settings.settleMs,
                generators: settings.generators,
              })),
        );
      }
    }
    if (wantStorm) results.storm = await runStorm(settings);
    if (workloads.includes("api") && requested.includes("hub")) {
      const api = { ...(values.quick ? API_QUICK : API_FULL), generators: settings.generators };
      results.api = await apiWorkload(api, log);
      log(`api: ${JSON.stringify(results.api)}`);
    }
    if (workloads.includes("scale") && requested.includes("hub")) {
      const scaleSettings = values.quick ? SCALE_QUICK : SCALE_FULL;
      results.scale = await runScaleWorkload(scaleSettings, log, values.baseline);
    }
    if (values.scale) {
      results.scaleRun = await runScaleDeployment(values.quick ? SCALE_RUN_QUICK : SCALE_RUN, log);
    }
  } finally {
    await stopAll();
  }
  results.machine.loadavgAfter = Deno.readTextFileSync("/proc/loadavg").trim();
  results.durationS = Math.round((performance.now() - started) / 1000);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  await Deno.mkdir(dir, { recursive: true });
  const file = `${dir}${results.timestamp.replace(/[:.]/g, "-")}.json`;
  if (values.merge) {
    const previous = JSON.parse(await Deno.readTextFile(values.merge)) as Results;
    const sections = mergeResults(results, previous);
    results.mergedFrom = { file: values.merge, timestamp: previous.timestamp, sections };
  }
  await Deno.writeTextFile(file, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${file} (${results.durationS} s)`);
  if (!values["no-report"]) await writeReport(results, file);
  const failed = Object.values(results.peers).some((p) => p.errors.length > 0) ||
    (results.twoNode?.errors.length ?? 0) > 0 || (results.storm?.errors.length ?? 0) > 0 ||
    Object.values(results.scale?.servers ?? {}).some((f) => f.errors.length > 0) ||
    (results.scaleRun?.errors.length ?? 0) > 0 || (results.api?.errors.length ?? 0) > 0;
  return failed ? 1 : 0;
}

if (import.meta.main) {
  let code = 1;
  try {
    code = await main();
  } catch (err) {
    console.error(err);
    await stopAll();
  }
  Deno.exit(code);
}
