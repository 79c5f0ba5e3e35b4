/**
 * What a generator process's sockets received per fan-out phase: the count, the first and last
 * arrival, and the latency of each message from the send time its text carries
 * (`<phase>|<send time>`). Shared by `generator.ts` and `raw_generator.ts`.
 *
 * @module
 */

import { Histogram } from "../tools/load/histogram.ts";
import type { FanoutResult } from "./generator.ts";

export class PhaseLatencies {
  readonly #phases = new Map<
    string,
    { hist: Histogram; received: number; first: number; last: number }
  >();

  /** One message of `phase`, sent at `sentAt` and read at `at` (epoch ms). */
  record(phase: string, sentAt: number, at: number): void {
    let stats = this.#phases.get(phase);
    if (!stats) {
      this.#phases.set(phase, stats = { hist: new Histogram(), received: 0, first: at, last: at });
    }
    stats.received++;
    stats.last = at;
    stats.hist.recordMs(at - sentAt);
  }

  /** What `phase` received so far; nothing if none of it came. */
  result(phase: string): FanoutResult {
    const stats = this.#phases.get(phase);
    if (!stats) return { received: 0, firstMs: 0, lastMs: 0, latency: new Histogram().toJSON() };
    return {
      received: stats.received,
      firstMs: stats.first,
      lastMs: stats.last,
      latency: stats.hist.toJSON(),
    };
  }
}
