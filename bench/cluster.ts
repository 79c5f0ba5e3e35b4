/**
 * The hub's two-node run: a throwaway `redis-server` on a free loopback port (no persistence) and
 * two hub processes joined by it, each started like the single-node hub peer plus `REDIS_URL` and
 * its own `NODE_ID` (`NODE_TTL_MS` left at its default). Every process is a harness child, so it
 * is stopped on exit, errors and Ctrl-C like the other peers.
 *
 * @module
 */

import { HubClient } from "../lib/client/mod.ts";
import { type CheckResult, type RunningPeer, startHub } from "./peers.ts";
import { type Child, freePort, sleep, spawn, waitForPort } from "./procs.ts";
import type { Broker, Target } from "./workloads.ts";

export const REDIS_SERVER = "redis-server";

/** A running deployment: the nodes, in the order workloads use them, and Redis. */
export interface Deployment extends Target {
  broker: Broker;
  redisUrl: string;
  stop(): Promise<void>;
}

/** `redis-server --version`, or a reason it cannot run. */
export async function redisVersion(): Promise<string> {
  try {
    const out = await new Deno.Command(REDIS_SERVER, { args: ["--version"], stdout: "piped" })
      .output();
    return /v=(\S+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "unknown";
  } catch {
    throw new Error(`${REDIS_SERVER} is missing: apt-get install -y redis-server`);
  }
}

/**
 * One command over a fresh RESP connection; returns the raw reply once `complete` says it is
 * whole. Enough for PING and INFO, without a client library in the harness.
 */
async function redisCommand(
  port: number,
  command: string,
  complete: (reply: string) => boolean,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${command}\r\n`));
    const decoder = new TextDecoder();
    const buf = new Uint8Array(16_384);
    let reply = "";
    while (!complete(reply)) {
      const n = await conn.read(buf);
      if (n === null) break;
      reply += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return reply;
  } finally {
    conn.close();
  }
}

/** Whether a RESP bulk string (`$<len>\r\n<data>\r\n`) has fully arrived. */
function bulkComplete(reply: string): boolean {
  const head = reply.indexOf("\r\n");
  if (head < 0) return false;
  if (!reply.startsWith("$")) return true; // an error or other reply: nothing more to wait for
  const length = Number(reply.slice(1, head));
  return new TextEncoder().encode(reply.slice(head + 2)).length >= length + 2;
}

/**
 * Redis's own CPU time (user + system, the whole process) in µs, from `INFO cpu`: `getrusage` to
 * the microsecond, where `/proc` counts in 10 ms ticks, too coarse for Redis's small share.
 */
export async function redisCpuMicros(port: number): Promise<number> {
  const reply = await redisCommand(port, "INFO cpu", bulkComplete);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:([0-9.]+)`, "m").exec(reply);
    if (!match) throw new Error(`INFO cpu has no ${name}: ${reply.slice(0, 200)}`);
    return Number(match[1]);
  };
  return Math.round((field("used_cpu_user") + field("used_cpu_sys")) * 1e6);
}

/** Waits until Redis answers PING with PONG (it accepts TCP a little before it is ready). */
async function waitForPong(child: Child, port: number, timeoutMs = 10_000): Promise<void> {
  await waitForPort(child, port, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const reply = await redisCommand(port, "PING", (r) => r.includes("\r\n"));
      if (reply === "+PONG\r\n") return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

/**
 * Starts Redis and `nodes` hub processes joined by it, `env` added to each hub's; all are stopped
 * if any fails to start.
 */
export async function startDeployment(
  nodes = 2,
  env: Record<string, string> = {},
): Promise<Deployment> {
  const redisPort = freePort();
  const redis = spawn("redis-server", REDIS_SERVER, {
    args: [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
  });
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const broker: Broker = { child: redis, cpuMicros: () => redisCpuMicros(redisPort) };
  const hubs: Child[] = [];
  const stop = async () => {
    // Nodes first, so each leaves the deployment cleanly while Redis is still there.
    await Promise.all(hubs.map((c) => c.stop()));
    await redis.stop();
  };
  try {
    await waitForPong(redis, redisPort);
    const started = Array.from({ length: nodes }, (_, i) => {
      const port = freePort();
      const name = `hub-node-${String.fromCharCode(97 + i)}`;
      const child = startHub(name, port, { ...env, REDIS_URL: redisUrl, NODE_ID: `bench-${i}` });
      hubs.push(child);
      return { child, port, name };
    });
    const running: RunningPeer[] = [];
    for (const { child, port } of started) {
      // The hub listens only once it has joined the cluster.
      await waitForPort(child, port);
      running.push({ name: "hub", dialect: "hub", port, base: `ws://127.0.0.1:${port}`, child });
    }
    const label = `hub (${nodes} nodes)`;
    return { name: label, dialect: "hub", nodes: running, broker, redisUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves with the first `type` event on `client` that `match` accepts. */
function nextEvent<T>(
  client: HubClient,
  type: "chat",
  match: (data: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(type, (data) => {
      if (!match(data as T)) return;
      clearTimeout(timer);
      off();
      resolve(data as T);
    });
  });
}

/**
 * The official client across nodes before any timing: one client per node, the deployment-wide
 * count, a room spanning both nodes with chat each way, and `random` on each node.
 */
export async function deploymentCheck(deployment: Deployment): Promise<CheckResult> {
  const client = "lib/client/mod.ts (HubClient), one client per node";
  const clients = deployment.nodes.map((node) =>
    new HubClient(`${node.base}/ws`, { reconnect: false, requestTimeoutMs: 5000 })
  );
  try {
    await Promise.all(clients.map((c) => c.ready()));
    for (const [i, c] of clients.entries()) {
      const { count } = await c.request("num_clients", {});
      if (count !== clients.length) {
        throw new Error(`node ${i}: num_clients ${count}, expected ${clients.length}`);
      }
      const reply = await c.request("random", { text: `check-${i}` });
      if (reply.text !== `check-${i} ${reply.n}`) {
        throw new Error(`node ${i}: random: bad reply ${JSON.stringify(reply)}`);
      }
    }
    for (const c of clients) await c.request("join", { room: "check" });
    const { members } = await clients[0].request("join", { room: "check" });
    if (members.length !== clients.length) {
      throw new Error(
        `room spanning nodes has ${members.length} members, expected ${clients.length}`,
      );
    }
    for (const [i, from] of clients.entries()) {
      const text = `hello from node ${i}`;
      const others = clients.filter((c) => c !== from);
      const got = Promise.all(
        others.map((c) => nextEvent<{ text: string }>(c, "chat", (d) => d.text === text)),
      );
      await from.request("chat", { room: "check", text });
      await got;
    }
    return {
      ok: true,
      client,
      detail: `num_clients ${clients.length} on each node, random on each node, ` +
        "a room spanning both nodes, chat delivered across nodes both ways",
    };
  } catch (err) {
    return { ok: false, client, detail: (err as Error).message };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
