/**
 * The probe of the scale workloads, run inside a `generator.ts` process: a fresh client (a new
 * connection, opened when the probe starts) that sends `ping` on a fixed schedule, whatever the
 * server does (open loop), and records each round trip. A server that holds its event loop for
 * 200 ms shows it here as round trips of up to 200 ms, however short its average.
 *
 * @module
 */

import { Histogram, type HistogramData } from "../tools/load/histogram.ts";

export interface ProbeCommand {
  cmd: "probe";
  /** `ws://host:port`, without the path. */
  url: string;
  /** Pings per second. */
  rate: number;
  durationMs: number;
}

export interface ProbeResult {
  sent: number;
  received: number;
  startMs: number;
  endMs: number;
  /** Round trips, ms. */
  latency: HistogramData;
  /** How late the sends were against their schedule, worst case (the generator's own load). */
  maxLagMs: number;
}

const now = () => performance.timeOrigin + performance.now();

function opened(ws: WebSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("probe: no welcome in time")), timeoutMs);
    ws.onmessage = (event) => {
      if (!String(event.data).startsWith(`{"type":"welcome"`)) return;
      clearTimeout(timer);
      resolve();
    };
    ws.onclose = (event) => {
      clearTimeout(timer);
      reject(new Error(`probe: closed ${event.code} before welcome`));
    };
  });
}

/** Pings for `durationMs`, then waits up to 5 s for the last replies, and closes. */
export async function probe(command: ProbeCommand): Promise<ProbeResult> {
  const ws = new WebSocket(`${command.url}/ws`);
  ws.onerror = () => {};
  await opened(ws, 20_000);
  const sentAt = new Map<number, number>();
  const hist = new Histogram();
  let sent = 0, received = 0, maxLagMs = 0;
  const { promise: drained, resolve: drain } = Promise.withResolvers<void>();
  let sending = true;
  ws.onmessage = (event) => {
    const text = String(event.data);
    if (!text.startsWith(`{"type":"reply"`)) return;
    const id = JSON.parse(text).id as number;
    const at = sentAt.get(id);
    if (at === undefined) return;
    hist.recordMs(performance.now() - at);
    sentAt.delete(id);
    received++;
    if (!sending && sentAt.size === 0) drain();
  };
  const startMs = now();
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const due = start + (sent * 1000) / command.rate;
    if (due - start >= command.durationMs) {
      sending = false;
      if (sentAt.size === 0) drain();
      return;
    }
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    sent++;
    sentAt.set(sent, performance.now());
    ws.send(`{"type":"ping","id":${sent},"data":{}}`);
    timer = setTimeout(tick, Math.max(0, start + (sent * 1000) / command.rate - performance.now()));
  };
  tick();
  let guard: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    drained,
    new Promise((resolve) => guard = setTimeout(resolve, command.durationMs + 5000)),
  ]);
  clearTimeout(timer);
  clearTimeout(guard);
  ws.close(1000);
  return { sent, received, startMs, endMs: now(), latency: hist.toJSON(), maxLagMs };
}
