/**
 * The probe of the scale workloads, run inside a `generator.ts` process: a fresh client (a new
 * connection, opened when the probe starts) that sends `ping` on a fixed schedule, whatever the
 * server does (open loop), and records each round trip. A server that holds its event loop for
 * 200 ms shows it here as round trips of up to 200 ms, however short its average.
 *
 * `probe` runs for a set time; `probe_start` returns at once and `probe_stop` ends the probe it
 * started and answers its figures, so a probe can span phases of unknown length (the scale run's
 * connect phase) while the generator's command loop stays free.
 *
 * @module
 */

import { Histogram, type HistogramData } from "../tools/load/histogram.ts";

export type ProbeCommand =
  | {
    cmd: "probe" | "probe_start";
    /** `ws://host:port`, without the path. */
    url: string;
    /** Pings per second. */
    rate: number;
    /** `probe` only. */
    durationMs?: number;
  }
  | { cmd: "probe_stop" };

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

/** A probe pinging until stopped. */
class Probe {
  readonly #ws: WebSocket;
  readonly #sentAt = new Map<number, number>();
  readonly #hist = new Histogram();
  readonly #startMs = now();
  readonly #start = performance.now();
  #sent = 0;
  #received = 0;
  #maxLagMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #drained: (() => void) | undefined;

  constructor(ws: WebSocket, readonly rate: number) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      const text = String(event.data);
      if (!text.startsWith(`{"type":"reply"`)) return;
      const id = JSON.parse(text).id as number;
      const at = this.#sentAt.get(id);
      if (at === undefined) return;
      this.#hist.recordMs(performance.now() - at);
      this.#sentAt.delete(id);
      this.#received++;
      if (this.#sentAt.size === 0) this.#drained?.();
    };
    this.#tick();
  }

  #tick(): void {
    const due = this.#start + (this.#sent * 1000) / this.rate;
    this.#maxLagMs = Math.max(this.#maxLagMs, performance.now() - due);
    this.#sent++;
    this.#sentAt.set(this.#sent, performance.now());
    this.#ws.send(`{"type":"ping","id":${this.#sent},"data":{}}`);
    const next = this.#start + (this.#sent * 1000) / this.rate;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, next - performance.now()));
  }

  /** Stops sending, waits up to 5 s for the last replies, closes, and answers the figures. */
  async stop(): Promise<ProbeResult> {
    clearTimeout(this.#timer);
    if (this.#sentAt.size > 0) {
      let guard: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        guard = setTimeout(resolve, 5000);
      });
      clearTimeout(guard);
    }
    this.#ws.close(1000);
    return {
      sent: this.#sent,
      received: this.#received,
      startMs: this.#startMs,
      endMs: now(),
      latency: this.#hist.toJSON(),
      maxLagMs: this.#maxLagMs,
    };
  }
}

async function startProbe(url: string, rate: number): Promise<Probe> {
  const ws = new WebSocket(`${url}/ws`);
  ws.onerror = () => {};
  await opened(ws, 20_000);
  return new Probe(ws, rate);
}

let running: Probe | undefined;

export async function probeCommand(command: ProbeCommand): Promise<ProbeResult | object> {
  switch (command.cmd) {
    case "probe": {
      const probe = await startProbe(command.url, command.rate);
      await new Promise((resolve) => setTimeout(resolve, command.durationMs ?? 10_000));
      return await probe.stop();
    }
    case "probe_start":
      if (running) throw new Error("a probe is running already");
      running = await startProbe(command.url, command.rate);
      return {};
    case "probe_stop": {
      if (!running) throw new Error("no probe is running");
      const probe = running;
      running = undefined;
      return await probe.stop();
    }
  }
}
