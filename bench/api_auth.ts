/**
 * The cost of token checks, for the server API workload's report (`api.ts`): connects per second
 * to a fresh hub without tokens (`AUTH_MODE` unset), then to a fresh hub with
 * `AUTH_MODE=required` and an HS256 `AUTH_SECRET`, every connection carrying a signed token in
 * `/ws?token=`. Same count, same generators, same concurrency, minutes apart in one run.
 *
 * A hub that lets a connection without a token in under `AUTH_MODE=required` does not check
 * tokens at all (a build before identity): the figures are then not measured, and the reason says
 * so, rather than report two runs of the same thing.
 *
 * @module
 */

import { SignJWT } from "jose";
import { startHub } from "./peers.ts";
import { type Child, cpuMicros, freePort, sleep, waitForPort } from "./procs.ts";
import { connectAll, type Target, withGenerators } from "./workloads.ts";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** An HS256 secret of 32 bytes and more, as `AUTH_SECRET` wants. */
const SECRET = "bench-auth-secret-of-at-least-32-bytes";

export interface ConnectFigures {
  opened: number;
  connectsPerSec: number;
  serverCpuPerConnectUs: number;
}

export interface AuthFigures {
  connections: number;
  none: ConnectFigures;
  required: ConnectFigures;
  /** `required` over `none`. */
  ratios: { connectsPerSec: number; serverCpuPerConnect: number };
}

/** A fresh hub with `env`, listening on a free port, as a target of one node. */
export async function freshHub(
  name: string,
  env: Record<string, string>,
): Promise<{ child: Child; port: number; target: Target }> {
  const port = freePort();
  const child = startHub(name, port, env);
  try {
    await waitForPort(child, port);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const peer = {
    name: "hub",
    dialect: "hub",
    port,
    base: `ws://127.0.0.1:${port}`,
    child,
  } as const;
  return { child, port, target: { name, dialect: "hub", nodes: [peer] } };
}

/** Whether a connection without a token gets in: a hub that checks tokens refuses it. */
async function tokenlessGetsIn(port: number): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const opened = await new Promise<boolean>((resolve) => {
    ws.onopen = () => resolve(true);
    ws.onerror = () => resolve(false);
    ws.onclose = () => resolve(false);
  });
  if (opened) ws.close(1000);
  return opened;
}

/** Opens `count` connections to a fresh hub with `env`, each with `query`; stops the hub. */
async function connects(
  name: string,
  env: Record<string, string>,
  query: string,
  count: number,
  generators: number,
): Promise<ConnectFigures | "unchecked"> {
  const { child, port, target } = await freshHub(name, env);
  try {
    if (env.AUTH_MODE === "required" && await tokenlessGetsIn(port)) return "unchecked";
    return await withGenerators(generators, async (gens) => {
      await sleep(500);
      const before = cpuMicros([child.pid]);
      const results = await connectAll(target, gens, count, {
        concurrency: 50,
        query,
      });
      const cpu = cpuMicros([child.pid]) - before;
      const started = Math.min(...results.filter((r) => r.startMs > 0).map((r) => r.startMs));
      const seconds = (Math.max(...results.map((r) => r.endMs)) - started) / 1000;
      const opened = results.reduce((a, r) => a + r.opened, 0);
      return {
        opened,
        connectsPerSec: Math.round(opened / seconds),
        serverCpuPerConnectUs: Math.round(cpu / opened),
      };
    });
  } finally {
    await child.stop();
  }
}

/**
 * Connects/s without and with `AUTH_MODE=required`; a string says why it was not measured.
 */
export async function authConnects(
  count: number,
  generators: number,
  log: (line: string) => void,
): Promise<AuthFigures | string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: "bench-user", name: "Bench" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(SECRET));
  log(`api: ${count} connects without tokens`);
  const none = await connects("hub-auth-none", {}, "", count, generators);
  log(`api: ${count} connects with AUTH_MODE=required (HS256)`);
  const required = await connects(
    "hub-auth-required",
    { AUTH_MODE: "required", AUTH_SECRET: SECRET },
    `?token=${token}`,
    count,
    generators,
  );
  if (none === "unchecked" || required === "unchecked") {
    return "connects/s with and without AUTH_MODE=required (HS256): this hub lets connections " +
      "without a token in under AUTH_MODE=required, so it checks no tokens";
  }
  return {
    connections: count,
    none,
    required,
    ratios: {
      connectsPerSec: round(required.connectsPerSec / none.connectsPerSec, 2),
      serverCpuPerConnect: round(required.serverCpuPerConnectUs / none.serverCpuPerConnectUs, 2),
    },
  };
}
