/**
 * The edge's counters for `/metrics`: plain integers bumped on the hot path, turned into
 * Prometheus samples only when `/metrics` is read (`exporter.ts`). Each counter's label values are
 * known up front and exported from zero, so a rate is right from the first event; a value outside
 * them counts as `other`, so no client can make a series per value it sends.
 *
 * @module
 */

import type { EdgeCounters } from "../../edge/connection.ts";
import { CLOSE_CODES, ERROR_CODES, type ErrorCode, type EventType } from "../../protocol/mod.ts";
import { REQUESTS } from "../../protocol/requests.ts";

/** Every event type, checked complete by the compiler: a new event must be listed here. */
const EVENTS: Record<EventType, true> = {
  welcome: true,
  heartbeat: true,
  presence: true,
  renamed: true,
  chat: true,
  dm_request: true,
  dm_accepted: true,
  dm_declined: true,
  dm: true,
  dm_closed: true,
  dm_away: true,
  dm_back: true,
  token_expiring: true,
  rooms: true,
};

/** Frames in that never became a request: their `type` label. */
export const UNPARSED = ["invalid", "binary", "oversized"] as const;

/** A count per label value; values not known up front count as `other`. */
export class Tally {
  readonly #counts = new Map<string, number>();

  constructor(known: Iterable<string>) {
    for (const key of known) this.#counts.set(key, 0);
  }

  add(key: string): void {
    const count = this.#counts.get(key);
    if (count !== undefined) this.#counts.set(key, count + 1);
    else this.#counts.set("other", (this.#counts.get("other") ?? 0) + 1);
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#counts.entries();
  }
}

/** Close codes worth a label of their own: the standard ones and the server's. */
const CLOSE_LABELS = new Set<string>([
  ...Array.from({ length: 16 }, (_, i) => String(1000 + i)),
  ...Object.values(CLOSE_CODES).map(String),
]);

/** Frames by type, error replies by code, closes by code, limits and drops. */
export class EdgeCounts implements EdgeCounters {
  /** Frames in by request type, or why they are not one (`UNPARSED`). */
  readonly framesIn = new Tally([...Object.keys(REQUESTS), ...UNPARSED]);
  /** Frames out by event type, and `reply`. */
  readonly framesOut = new Tally([...Object.keys(EVENTS), "reply"]);
  readonly errors = new Tally(ERROR_CODES);
  /** Closes by code: 1000 to 1015 and the server's own codes; the rest as `other`. */
  readonly closes = new Tally(CLOSE_LABELS);
  rateLimitedFrames = 0;
  slowConsumerDrops = 0;
  /**
   * Fan-out hands one string to every recipient, so the last frame's type is kept: most calls
   * compare one reference and slice nothing.
   */
  #lastFrame = "";
  #lastType = "";

  frameIn(type: string): void {
    this.framesIn.add(type);
  }

  frameOut(frame: string): void {
    if (frame !== this.#lastFrame) {
      this.#lastFrame = frame;
      // Every server frame starts with `{"type":"`, the type running to the next quote. Replies,
      // the frames that are most often each different, are recognized without a slice.
      this.#lastType = frame.startsWith('reply"', 9)
        ? "reply"
        : frame.slice(9, frame.indexOf('"', 9));
    }
    this.framesOut.add(this.#lastType);
  }

  error(code: ErrorCode): void {
    this.errors.add(code);
  }

  rateLimited(): void {
    this.rateLimitedFrames++;
  }

  closed(code: number, dropped: boolean): void {
    this.closes.add(String(code));
    if (dropped && code === CLOSE_CODES.slowConsumer) this.slowConsumerDrops++;
  }
}
