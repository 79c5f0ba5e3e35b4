/**
 * The resume storm: a fresh two-node deployment over Redis (`cluster.ts`), every session opened
 * on node A and joined to one room, then node A stopped with SIGTERM. It closes its sockets with
 * 1012 and hands its sessions to node B, and every client reconnects to node B at once with its
 * resume token (`storm_client.ts`, in the generator processes). Measured: how many came back as
 * the same session, the time from SIGTERM to the last resumed `welcome`, each session's own
 * resume time (its close to its resumed `welcome`), and node B's and Redis's CPU over the storm.
 * Bounded: the wait ends after `timeoutMs` whatever happened, and the deployment and generators
 * are stopped before it returns.
 *
 * @module
 */

import { HubClient } from "../lib/client/mod.ts";
import { startDeployment } from "./cluster.ts";
import { type Generator, type RunningPeer, startGenerators } from "./peers.ts";
import { cpuMicros, sleep } from "./procs.ts";
import { split } from "./workloads.ts";
import type { StormOpenResult, StormWaitResult } from "./storm_client.ts";
import { type StormSummary, summarizeStorm } from "./storm_summary.ts";

/** Epoch milliseconds, comparable with the generators' (`storm_client.ts`). */
const now = () => performance.timeOrigin + performance.now();
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface StormOptions {
  sessions: number;
  /** Generator processes the sessions are split over. */
  generators: number;
  /** Sessions each generator opens at a time, before the storm. */
  concurrency: number;
  /** Pause between the last join and SIGTERM, for join traffic to drain. */
  settleMs: number;
  /** Longest wait for every session's outcome after SIGTERM. */
  timeoutMs: number;
}

export interface StormFigures extends StormSummary {
  nodes: number;
  generators: number;
  room: string;
  /** SIGTERM → node A's process exited (its evacuation included). */
  nodeExitMs?: number;
  /** Node B's CPU from SIGTERM to the end of the wait: adopting and resuming every session. */
  serverCpuMs: number;
  serverCpuPerResumeUs?: number;
  /** Redis's CPU over the same window. */
  brokerCpuMs: number;
  /** `num_clients` on node B after the storm, the checking client left out. */
  countAfter?: number;
  /** Members of the room in node B's `join` reply after the storm, the checking client left out. */
  roomAfter?: number;
}

const ROOM = "storm";

/** What node B says after the storm, through the official client. */
async function after(node: RunningPeer): Promise<{ countAfter: number; roomAfter: number }> {
  const client = new HubClient(`${node.base}/ws`, { reconnect: false, requestTimeoutMs: 10_000 });
  try {
    await client.ready();
    const { count } = await client.request("num_clients", {});
    const { members } = await client.request("join", { room: ROOM });
    return { countAfter: count - 1, roomAfter: members.length - 1 };
  } finally {
    await client.close();
  }
}

async function storm(
  gens: Generator[],
  deployment: Awaited<ReturnType<typeof startDeployment>>,
  options: StormOptions,
): Promise<StormFigures> {
  const [a, b] = deployment.nodes;
  const counts = split(options.sessions, gens.length);
  const opened = await Promise.all(gens.map((g, i) =>
    g.send<StormOpenResult>({
      cmd: "storm_open",
      url: a.base,
      count: counts[i],
      room: ROOM,
      concurrency: options.concurrency,
    })
  ));
  const failed = opened.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    throw new Error(
      `${failed} of ${options.sessions} sessions failed to open: ${
        opened.flatMap((r) => r.errors)[0]
      }`,
    );
  }
  await sleep(options.settleMs);
  await Promise.all(gens.map((g) => g.send({ cmd: "storm_arm", url: b.base })));

  const serverBefore = cpuMicros([b.child.pid]);
  const brokerBefore = await deployment.broker.cpuMicros();
  const exited = a.child.exited.then(now);
  const sigtermAt = now();
  a.child.process.kill("SIGTERM");
  const waits = await Promise.all(
    gens.map((g) => g.send<StormWaitResult>({ cmd: "storm_wait", timeoutMs: options.timeoutMs })),
  );
  const serverUs = cpuMicros([b.child.pid]) - serverBefore;
  const brokerUs = (await deployment.broker.cpuMicros()) - brokerBefore;
  // Node A is given at most 5 s more than its own 3 s shutdown grace to be gone.
  const exitAt = await Promise.race([exited, sleep(5000).then(() => undefined)]);
  const summary = summarizeStorm(waits.flatMap((w) => w.records), sigtermAt);
  return {
    nodes: deployment.nodes.length,
    generators: gens.length,
    room: ROOM,
    ...summary,
    nodeExitMs: exitAt === undefined ? undefined : round(exitAt - sigtermAt, 2),
    serverCpuMs: round(serverUs / 1000),
    serverCpuPerResumeUs: summary.resumed > 0 ? round(serverUs / summary.resumed) : undefined,
    brokerCpuMs: round(brokerUs / 1000, 2),
    ...(await after(b).catch(() => ({}))),
  };
}

/** Runs the storm on a fresh deployment; every process it started is stopped before it returns. */
export async function resumeStorm(options: StormOptions): Promise<StormFigures> {
  const deployment = await startDeployment(2);
  try {
    const gens = startGenerators(Math.max(1, Math.min(options.generators, options.sessions)));
    try {
      return await storm(gens, deployment, options);
    } finally {
      await Promise.all(gens.map((g) => g.close()));
    }
  } finally {
    await deployment.stop();
  }
}
