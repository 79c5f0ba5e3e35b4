/**
 * Event-loop delay, measured as the lateness of a repeating timer: a tick due every `intervalMs`
 * that comes `d` ms late means the loop was busy for about `d` ms. Node's
 * `perf_hooks.monitorEventLoopDelay`, which prom-client reads, does not see this under Deno 2.9.6
 * (a 300 ms busy loop reads as a few microseconds), hence this monitor; see `docs/operations.md`.
 *
 * @module
 */

/** How often the monitor's timer is due; a blocked loop shows as one late tick. */
export const EVENT_LOOP_INTERVAL_MS = 100;

export class EventLoopMonitor {
  readonly #observe: (delaySeconds: number) => void;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = 0;

  /** `observe` gets each tick's delay, in seconds. */
  constructor(observe: (delaySeconds: number) => void, intervalMs = EVENT_LOOP_INTERVAL_MS) {
    this.#observe = observe;
    this.#intervalMs = intervalMs;
  }

  /** Starts ticking; the timer never keeps the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = performance.now();
    const timer = setInterval(() => this.tick(performance.now()), this.#intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** A tick at `now` (ms, monotonic): how late it is past the previous one plus the interval. */
  tick(now: number): void {
    const delay = Math.max(0, now - this.#last - this.#intervalMs);
    this.#last = now;
    this.#observe(delay / 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
