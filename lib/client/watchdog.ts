/**
 * Notices a silent connection: the server sends a heartbeat every `heartbeatMs`, so two whole
 * intervals without any frame at all mean the connection is presumed dead, even though the
 * socket never reported a close (a laptop lid, a NAT that forgot the flow).
 *
 * @module
 */

import { systemTimers, type TimerId, type Timers } from "./timers.ts";

/** Options for {@linkcode Watchdog}. */
export interface WatchdogOptions {
  /** Called once when the connection is presumed dead; the watchdog has stopped by then. */
  onSilence: () => void;
  timers?: Timers;
}

/** Checks once per heartbeat interval that some frame arrived since the last check. */
export class Watchdog {
  #onSilence: () => void;
  #timers: Timers;
  #interval: TimerId | undefined;
  #seenFrame = false;
  #missedBeats = 0;

  constructor(options: WatchdogOptions) {
    this.#onSilence = options.onSilence;
    this.#timers = options.timers ?? systemTimers;
  }

  /** Whether it is watching. */
  get running(): boolean {
    return this.#interval !== undefined;
  }

  /** (Re)starts watching with the server's `heartbeatMs`; not at all unless it is positive. */
  start(heartbeatMs: number): void {
    this.stop();
    if (!(heartbeatMs > 0)) return;
    // The welcome that brought heartbeatMs counts as the first frame.
    this.#seenFrame = true;
    this.#missedBeats = 0;
    this.#interval = this.#timers.setInterval(this.#tick, heartbeatMs);
  }

  /** Stops watching; a no-op when not watching. */
  stop(): void {
    this.#timers.clearInterval(this.#interval);
    this.#interval = undefined;
  }

  /** A frame (any frame) arrived. */
  sawFrame(): void {
    this.#seenFrame = true;
  }

  #tick = (): void => {
    if (this.#seenFrame) {
      this.#seenFrame = false;
      this.#missedBeats = 0;
      return;
    }
    if (++this.#missedBeats < 2) return;
    this.stop();
    this.#onSilence();
  };
}
