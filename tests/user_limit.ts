/**
 * A user's connections opened together against `USER_CONNECTION_LIMIT`: how each came out
 * (welcomed, or closed before any frame and with which code), for the burst tests on one node and
 * across nodes, in memory or over Redis.
 */

import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { Probe } from "./helpers.ts";
import { connect as sioConnect } from "./socketio_helpers.ts";

/** How long one connection may take to be welcomed or refused. */
const SETTLE_MS = 5000;

/** One connection of a burst: welcomed (`outcome` "welcome"), or its close code before that. */
export interface Attempt extends AsyncDisposable {
  probe: Probe;
  outcome: "welcome" | number | "timeout";
}

/** Opens `url` and waits for the first of its welcome, its close, or {@link SETTLE_MS}. */
async function attempt(url: string): Promise<Attempt> {
  const probe = new Probe(url);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let listener: ((event: MessageEvent) => void) | undefined;
  const welcomed = new Promise<"welcome">((resolve) => {
    listener = (event) => {
      if ((JSON.parse(event.data as string) as { type: string }).type === "welcome") {
        resolve("welcome");
      }
    };
    probe.socket.addEventListener("message", listener);
  });
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SETTLE_MS);
  });
  try {
    const outcome = await Promise.race([welcomed, probe.closed.then((e) => e.code), timeout]);
    return { probe, outcome, [Symbol.asyncDispose]: () => probe[Symbol.asyncDispose]() };
  } finally {
    clearTimeout(timer);
    probe.socket.removeEventListener("message", listener!);
  }
}

/** Opens every url of `urls` at once; answers each connection's outcome, in the same order. */
export async function burst(urls: string[]): Promise<Attempt[]> {
  return await Promise.all(urls.map(attempt));
}

/**
 * Asserts that of `attempts`, exactly `admitted` were welcomed and stay connected (each answers a
 * ping), and every other one was closed with 4005 before any frame.
 */
export async function assertCapped(attempts: Attempt[], admitted: number): Promise<void> {
  const outcomes = attempts.map((a) => a.outcome);
  const welcomed = attempts.filter((a) => a.outcome === "welcome");
  assert.equal(welcomed.length, admitted, `welcomed ${welcomed.length}: ${outcomes.join(", ")}`);
  for (const refused of attempts.filter((a) => a.outcome !== "welcome")) {
    assert.equal(refused.outcome, 4005, `outcomes: ${outcomes.join(", ")}`);
    assert.deepEqual(refused.probe.frames, [], "a refused connection gets no frame");
  }
  for (const { probe } of welcomed) assert.equal((await probe.request("ping")).ok, true);
}

/** Closes every connection of a burst. */
export async function closeAll(attempts: Attempt[]): Promise<void> {
  await Promise.all(attempts.map((a) => a[Symbol.asyncDispose]()));
}

/**
 * Connects `count` Socket.IO clients of `jwt`'s user at once, taking turns over `origins`;
 * answers how many got `client_id` and the `data.code` of each refusal, then disconnects them all.
 */
export async function socketIoBurst(
  origins: string[],
  jwt: string,
  count: number,
): Promise<{ connected: number; refusals: (number | undefined)[] }> {
  const settled = await Promise.allSettled(
    Array.from(
      { length: count },
      (_, i) => sioConnect(io, `${origins[i % origins.length]}/`, { auth: { token: jwt } }),
    ),
  );
  const refusals: (number | undefined)[] = [];
  let connected = 0;
  for (const result of settled) {
    if (result.status === "fulfilled") {
      connected++;
      await result.value[Symbol.asyncDispose]();
    } else {
      refusals.push((result.reason as Error & { data?: { code?: number } }).data?.code);
    }
  }
  return { connected, refusals };
}
