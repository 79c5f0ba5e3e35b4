/**
 * The server API workload's publisher process (`api.ts`): posts `POST /api/publish` over HTTP
 * keep-alive, as an application's backend would, driven by the harness through JSON lines like the
 * other generators (`generator.ts`). Deno's `fetch` keeps its connections to a host open and
 * reuses them, so `inflight` loops use at most `inflight` connections for the whole run.
 *
 * Each message's text is `<phase>|<epoch ms sent>`, the format the members' generators read their
 * delivery latency from.
 *
 * @module
 */

import { Histogram, type HistogramData } from "../tools/load/histogram.ts";
import { lines } from "./lines.ts";

/** Epoch milliseconds with sub-millisecond precision, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();

export interface ApiCommand {
  cmd: "api_publish";
  /** The hub's origin, `http://127.0.0.1:<port>`. */
  url: string;
  key: string;
  room: string;
  phase: string;
  durationMs: number;
  /** Closed loop: this many requests in flight, each loop posting its next on its answer… */
  inflight?: number;
  /** …or open loop: one request every 1/rate s, whatever the server does. */
  rate?: number;
}

export interface ApiPublishResult {
  sent: number;
  ok: number;
  /** Answered 429: the room was too far behind in its deliveries (backpressure, not a failure). */
  refused: number;
  failed: number;
  /** The first few failures, for the report. */
  errors: string[];
  startMs: number;
  endMs: number;
  /** Request to answer, per successful request. */
  latency: HistogramData;
  /** Open loop only: how late the sends were against their schedule, worst case. */
  maxLagMs: number;
}

async function publish(command: ApiCommand): Promise<ApiPublishResult> {
  const endpoint = new URL("/api/publish", command.url);
  const headers = { authorization: `Bearer ${command.key}`, "content-type": "application/json" };
  const hist = new Histogram();
  const errors: string[] = [];
  let sent = 0, ok = 0, refused = 0, failed = 0, maxLagMs = 0;
  const one = async () => {
    sent++;
    const started = performance.now();
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ room: command.room, text: `${command.phase}|${now()}` }),
      });
      const body = await response.text();
      if (response.status === 429) {
        refused++;
        // As a backend should: wait before the next one (Retry-After says a second; a short
        // pause keeps the saturation phase saturated).
        await new Promise((resolve) => setTimeout(resolve, 10));
        return;
      }
      if (response.status !== 200) throw new Error(`${response.status}: ${body.slice(0, 200)}`);
      ok++;
      hist.recordMs(performance.now() - started);
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    }
  };
  const startMs = now();
  const start = performance.now();
  const sending = () => performance.now() - start < command.durationMs;
  if (command.rate !== undefined) {
    const rate = command.rate;
    const inFlight: Promise<void>[] = [];
    while (sending()) {
      const due = start + (sent * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      inFlight.push(one());
    }
    await Promise.all(inFlight);
  } else {
    const loop = async () => {
      while (sending()) await one();
    };
    await Promise.all(Array.from({ length: command.inflight ?? 1 }, loop));
  }
  return {
    sent,
    ok,
    refused,
    failed,
    errors,
    startMs,
    endMs: now(),
    latency: hist.toJSON(),
    maxLagMs,
  };
}

if (import.meta.main) {
  for await (const line of lines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    let answer: unknown;
    try {
      answer = { ok: true, result: await publish(JSON.parse(line) as ApiCommand) };
    } catch (err) {
      answer = { ok: false, error: (err as Error).stack ?? String(err) };
    }
    console.log(JSON.stringify(answer));
  }
  Deno.exit(0);
}
