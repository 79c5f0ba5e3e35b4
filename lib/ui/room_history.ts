/**
 * A room's history, a page at a time, for the rooms slice (`rooms.ts`): the newest page when the
 * page opens a room, and the page before the oldest message shown when the reader scrolls up. How
 * a page folds into the stream is `room_stream.ts`; this module asks for the pages and marks the
 * room while an older one is on its way, so the page can say so and a burst of scroll events
 * asks only once.
 *
 * @module
 */

import type { Request } from "./requests.ts";
import { hasOlder, historyPage, oldestShown, type RoomStream } from "./room_stream.ts";

/** A room whose history pages in: its stream, and whether older messages are on their way. */
export interface PagedRoom extends RoomStream {
  /** A page of older messages is on its way. */
  loadingOlder: boolean;
}

/** What paging needs from the rooms slice. */
export interface HistoryDeps<R extends PagedRoom> {
  request: Request;
  /** Our session id, so our own messages read as ours. */
  me(): string;
  /** Messages per page. */
  pageSize: number;
  /** The room, if we are in it. */
  find(room: string): R | undefined;
  /** Changes the room, if we are still in it. */
  update(room: string, fn: (r: R) => R): void;
}

export interface RoomHistory {
  /** Fetches the newest page of a room's history and merges it in. */
  latest(room: string): Promise<void>;
  /** Loads the page before the oldest shown, if the hub may have one. */
  older(room: string): Promise<void>;
}

export function roomHistory<R extends PagedRoom>(deps: HistoryDeps<R>): RoomHistory {
  const { request, me, pageSize, find, update } = deps;
  return {
    async latest(room) {
      const reply = await request("history", { room, limit: pageSize });
      update(room, (r) => historyPage(r, reply, { limit: pageSize }, me()));
    },

    async older(room) {
      const r = find(room);
      if (r === undefined || r.loadingOlder || !hasOlder(r)) return;
      const before = oldestShown(r) ?? undefined;
      update(room, (x) => ({ ...x, loadingOlder: true }));
      try {
        // Nothing shown yet (the first page failed): the newest page.
        const asked = before === undefined ? { limit: pageSize } : { limit: pageSize, before };
        const reply = await request("history", { room, ...asked });
        update(room, (x) => historyPage(x, reply, asked, me()));
      } finally {
        update(room, (x) => ({ ...x, loadingOlder: false }));
      }
    },
  };
}
