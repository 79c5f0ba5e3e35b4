/**
 * `deno task bench [--quick] [--peers hub,echo,socket.io,flask-socketio,hub-2-nodes]
 * [--workloads rpc,fanout,connections] [--generators N] [--no-report]`: starts every peer on a
 * loopback port in turn, checks it with its official client, runs the RPC, fan-out and connection
 * workloads against it, and writes `bench/results/<timestamp>.json`, then `docs/benchmarks.md` and
 * `docs/benchmarks.png` from it. `hub-2-nodes` is the hub as two processes joined by a Redis the
 * harness starts (`bench/cluster.ts`), measured on RPC and fan-out with the clients split over
 * both. Every peer, Redis and generator process is stopped on exit, Ctrl-C and errors included.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type CheckResult, type PeerName, PEERS, SPECS, startPeer, versions } from "./peers.ts";
import { type Deployment, deploymentCheck, redisVersion, startDeployment } from "./cluster.ts";
import { freePort, initClock, stopAll, stopAllOnSignal } from "./procs.ts";
import {
  type ConnectionFigures,
  connections,
  fanout,
  type FanoutFigures,
  rpc,
  type RpcFigures,
} from "./workloads.ts";
import { writeReport } from "./report.ts";

export interface PeerResult {
  check?: CheckResult;
  rpc: { seq?: RpcFigures; c100x1?: RpcFigures; c100x16?: RpcFigures };
  fanout?: FanoutFigures;
  connections?: ConnectionFigures;
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
  peers: Partial<Record<PeerName, PeerResult>>;
  /** The hub as two nodes joined by Redis (`hub-2-nodes`), when it ran. */
  twoNode?: TwoNodeResult;
}

/** The two-node run: the same RPC and fan-out workloads, clients split evenly over the nodes. */
export interface TwoNodeResult {
  nodes: number;
  check?: CheckResult;
  rpc: { c100x1?: RpcFigures; c100x16?: RpcFigures };
  fanout?: FanoutFigures;
  errors: string[];
}

/** `--peers` names: the single servers, and the hub's two-node deployment. */
const TWO_NODE = "hub-2-nodes";

export interface Settings {
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
  connectionSteps: number[];
  settleMs: number;
}

const FULL: Settings = {
  seqRequests: 10_000,
  rpcDurationMs: 5000,
  warmupMs: 1000,
  generators: 2,
  fanout: { members: 1000, rate: 20, durationMs: 10_000, saturationMs: 3000, window: 16 },
  connectionSteps: [1000, 2500, 5000, 7500, 10_000],
  settleMs: 2000,
};

const QUICK: Settings = {
  seqRequests: 5000,
  rpcDurationMs: 1500,
  warmupMs: 300,
  generators: 2,
  fanout: { members: 1000, rate: 20, durationMs: 2000, saturationMs: 1000, window: 16 },
  connectionSteps: [1000, 2000],
  settleMs: 500,
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

export const WORKLOADS = ["rpc", "fanout", "connections"] as const;
export type Workload = typeof WORKLOADS[number];

async function benchPeer(
  name: PeerName,
  settings: Settings,
  workloads: readonly Workload[],
): Promise<PeerResult> {
  const spec = SPECS[name];
  const result: PeerResult = { rpc: {}, errors: [] };
  await spec.prepare?.();
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    log(`${name}: ${what}`);
    try {
      const value = await fn();
      log(`${name}: ${what}: ${JSON.stringify(value)}`);
      return value;
    } catch (err) {
      const message = `${what}: ${(err as Error).message}`;
      log(`${name}: FAILED ${message}`);
      result.errors.push(message);
      return undefined;
    }
  };
  // A fresh server for each workload, so one workload's leftovers never weigh on the next.
  const fresh = async <T>(
    what: string,
    fn: (peer: Awaited<ReturnType<typeof startPeer>>) => Promise<T>,
  ) => {
    const peer = await startPeer(spec, freePort());
    try {
      return await attempt(what, () => fn(peer));
    } finally {
      await peer.child.stop();
    }
  };
  const { generators, warmupMs, rpcDurationMs } = settings;
  await fresh("official client check", async (peer) => {
    result.check = await spec.check(peer);
    if (!result.check.ok) throw new Error(`check failed: ${result.check.detail}`);
    return result.check;
  });
  if (result.check?.ok !== true) return result;
  if (workloads.includes("rpc")) {
    await fresh("rpc", async (peer) => {
      const many = (inflight: number) => ({
        connections: 100,
        inflight,
        durationMs: rpcDurationMs,
        warmupMs,
        generators,
      });
      result.rpc.seq = await attempt("rpc 1 × 1 sequential", () =>
        rpc(peer, {
          connections: 1,
          inflight: 1,
          count: settings.seqRequests,
          warmupMs,
          generators: 1,
        }));
      result.rpc.c100x1 = await attempt("rpc 100 × 1", () => rpc(peer, many(1)));
      result.rpc.c100x16 = await attempt("rpc 100 × 16", () => rpc(peer, many(16)));
      return "done";
    });
  }
  if (workloads.includes("fanout")) {
    result.fanout = await fresh(
      "fan-out",
      (peer) => fanout(peer, { ...settings.fanout, subscriberProcesses: generators }),
    );
  }
  if (workloads.includes("connections")) {
    result.connections = await fresh("connections", (peer) =>
      connections(peer, {
        steps: settings.connectionSteps,
        settleMs: settings.settleMs,
        generators,
      }));
  }
  return result;
}

/** The hub as two nodes over Redis: a fresh deployment (Redis included) for each workload. */
async function benchTwoNode(
  settings: Settings,
  workloads: readonly Workload[],
): Promise<TwoNodeResult> {
  const name = TWO_NODE;
  const result: TwoNodeResult = { nodes: 2, rpc: {}, errors: [] };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    log(`${name}: ${what}`);
    try {
      const value = await fn();
      log(`${name}: ${what}: ${JSON.stringify(value)}`);
      return value;
    } catch (err) {
      const message = `${what}: ${(err as Error).message}`;
      log(`${name}: FAILED ${message}`);
      result.errors.push(message);
      return undefined;
    }
  };
  const fresh = <T>(what: string, fn: (deployment: Deployment) => Promise<T>) =>
    attempt(what, async () => {
      const deployment = await startDeployment(result.nodes);
      try {
        return await fn(deployment);
      } finally {
        await deployment.stop();
      }
    });
  await attempt("redis-server", redisVersion);
  if (result.errors.length > 0) return result;
  await fresh("official client check across nodes", async (deployment) => {
    result.check = await deploymentCheck(deployment);
    if (!result.check.ok) throw new Error(`check failed: ${result.check.detail}`);
    return result.check;
  });
  if (result.check?.ok !== true) return result;
  const { generators, warmupMs, rpcDurationMs } = settings;
  if (workloads.includes("rpc")) {
    await fresh("rpc", async (deployment) => {
      const many = (inflight: number) => ({
        connections: 100,
        inflight,
        durationMs: rpcDurationMs,
        warmupMs,
        generators,
      });
      result.rpc.c100x1 = await attempt("rpc 100 × 1", () => rpc(deployment, many(1)));
      result.rpc.c100x16 = await attempt("rpc 100 × 16", () => rpc(deployment, many(16)));
      return "done";
    });
  }
  if (workloads.includes("fanout")) {
    result.fanout = await fresh(
      "fan-out",
      (deployment) => fanout(deployment, { ...settings.fanout, subscriberProcesses: generators }),
    );
  }
  return result;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      peers: { type: "string" },
      generators: { type: "string" },
      workloads: { type: "string" },
      "no-report": { type: "boolean" },
    },
    strict: true,
  });
  const settings = structuredClone(values.quick ? QUICK : FULL);
  if (values.generators) settings.generators = Number(values.generators);
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
  const names = PEERS.filter((name) => requested.includes(name));
  const twoNode = requested.includes(TWO_NODE) &&
    (workloads.includes("rpc") || workloads.includes("fanout"));
  stopAllOnSignal();
  await initClock();
  const started = performance.now();
  const info = machine();
  log(
    `${
      values.quick ? "quick" : "full"
    } run on ${info.cores} cores (${info.cpuModel}), loadavg ${info.loadavgBefore}`,
  );
  const results: Results = {
    timestamp: new Date().toISOString(),
    mode: values.quick ? "quick" : "full",
    durationS: 0,
    machine: { ...info, loadavgAfter: "" },
    versions: await versions(),
    settings,
    peers: {},
  };
  try {
    const runTwoNode = async () => {
      results.versions["redis-server"] = await redisVersion().catch(() => "missing");
      results.twoNode = await benchTwoNode(settings, workloads);
    };
    for (const name of names) {
      results.peers[name] = await benchPeer(name, settings, workloads);
      // Right after the single hub, so the two are compared under the same machine load.
      if (name === "hub" && twoNode) await runTwoNode();
    }
    if (twoNode && !names.includes("hub")) await runTwoNode();
  } finally {
    await stopAll();
  }
  results.machine.loadavgAfter = Deno.readTextFileSync("/proc/loadavg").trim();
  results.durationS = Math.round((performance.now() - started) / 1000);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  await Deno.mkdir(dir, { recursive: true });
  const file = `${dir}${results.timestamp.replace(/[:.]/g, "-")}.json`;
  await Deno.writeTextFile(file, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${file} (${results.durationS} s)`);
  if (!values["no-report"]) await writeReport(results, file);
  const failed = Object.values(results.peers).some((p) => p.errors.length > 0) ||
    (results.twoNode?.errors.length ?? 0) > 0;
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
