/**
 * The room directory as a subscription: sessions that `watch_rooms` get the `rooms` event when
 * the deployment's room list changed, at most once per {@link DIRECTORY_INTERVAL_MS}.
 *
 * The list is computed once per tick, for every watcher together (one read of the other nodes'
 * share, one serialization), and sent only when it differs from the last one sent. So the cost is
 * per node and per second, not per client and per change: a connect storm that changes the lobby's
 * size ten thousand times a second still costs one list a second. The timer runs only while
 * someone watches. A private room is listed only to the watchers that may enter it
 * (`access.ts`): each distinct view of the list is serialized once, and when no private room
 * exists, that is one for everyone.
 *
 * @module
 */

import type { RoomInfo } from "../protocol/mod.ts";
import { PRIVATE_PREFIX, visibleRooms } from "./access.ts";
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
  /** The last list each watcher was sent, as its frame. */
  readonly #last = new Map<Session, string>();
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
    const rooms = visibleRooms(session.identity, await this.#options.list());
    this.#last.set(session, encodeEvent("rooms", { rooms }));
    return rooms;
  }

  unwatch(session: Session): void {
    this.#watchers.delete(session);
    this.#last.delete(session);
    if (this.#watchers.size === 0) this.stop();
  }

  stop(): void {
    this.#options.timers.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#last.clear();
  }

  async #tick(): Promise<void> {
    // A slow read of the other nodes must not pile ticks up.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const session of this.#watchers) {
        if (!this.#options.live(session)) this.unwatch(session);
      }
      if (this.#watchers.size === 0) return this.stop();
      const list = await this.#options.list();
      // Without a private room every watcher sees the same list: one frame, no check per watcher.
      const everyone = list.some((r) => r.room.startsWith(PRIVATE_PREFIX))
        ? undefined
        : encodeEvent("rooms", { rooms: list });
      // Otherwise one frame per distinct view, keyed by the rooms it shows.
      const frames = new Map<string, string>();
      for (const session of this.#watchers) {
        let frame = everyone;
        if (frame === undefined) {
          const rooms = visibleRooms(session.identity, list);
          const key = rooms.map((r) => r.room).join("\n");
          frame = frames.get(key);
          if (frame === undefined) frames.set(key, frame = encodeEvent("rooms", { rooms }));
        }
        if (this.#last.get(session) === frame) continue;
        this.#last.set(session, frame);
        session.send(frame);
      }
    } catch (err) {
      this.#options.log?.(err as Error);
    } finally {
      this.#ticking = false;
    }
  }
}
