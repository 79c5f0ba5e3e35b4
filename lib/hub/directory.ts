/**
 * The room directory as a subscription: sessions that `watch_rooms` get the `rooms` event when
 * the deployment's room list changed, at most once per {@link DIRECTORY_INTERVAL_MS}.
 *
 * The list is computed once per tick, for every watcher together (one read of the other nodes'
 * share, one serialization), and sent only when it differs from the last one sent. So the cost is
 * per node and per second, not per client and per change: a connect storm that changes the lobby's
 * size ten thousand times a second still costs one list a second. The timer runs only while
 * someone watches.
 *
 * @module
 */

import type { RoomInfo } from "../protocol/mod.ts";
import { encodeEvent, type Session, type TimerId } from "./session.ts";
import type { Timers } from "./timers.ts";

/** How often watchers may hear of a change. */
export const DIRECTORY_INTERVAL_MS = 1000;

export interface DirectoryOptions {
  /** The deployment's room list, as the `rooms` request answers it. */
  list: () => Promise<RoomInfo[]>;
  /** Whether a session is still this node's (sessions that ended or moved stop watching). */
  live: (session: Session) => boolean;
  timers: Timers;
  log?: (err: Error) => void;
}

export class Directory {
  readonly #options: DirectoryOptions;
  readonly #watchers = new Set<Session>();
  #timer: TimerId | undefined;
  #last = "";
  #ticking = false;

  constructor(options: DirectoryOptions) {
    this.#options = options;
  }

  /** Sessions watching now. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Subscribes `session`; answers the current list, which it also remembers as sent. */
  async watch(session: Session): Promise<RoomInfo[]> {
    this.#watchers.add(session);
    this.#timer ??= this.#options.timers.setInterval(
      () => void this.#tick(),
      DIRECTORY_INTERVAL_MS,
    );
    return await this.#options.list();
  }

  unwatch(session: Session): void {
    this.#watchers.delete(session);
    if (this.#watchers.size === 0) this.stop();
  }

  stop(): void {
    this.#options.timers.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#last = "";
  }

  async #tick(): Promise<void> {
    // A slow read of the other nodes must not pile ticks up.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const session of this.#watchers) {
        if (!this.#options.live(session)) this.#watchers.delete(session);
      }
      if (this.#watchers.size === 0) return this.stop();
      const frame = encodeEvent("rooms", { rooms: await this.#options.list() });
      if (frame === this.#last) return;
      this.#last = frame;
      for (const session of this.#watchers) session.send(frame);
    } catch (err) {
      this.#options.log?.(err as Error);
    } finally {
      this.#ticking = false;
    }
  }
}
