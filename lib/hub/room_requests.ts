/**
 * The requests about rooms a session is in or would enter: `join` (with the private-room rule of
 * `access.ts`), `leave`, `history` and `chat`, on this node's {@link Rooms} and the cluster's room
 * streams. The hub's request table hands each of them here.
 *
 * @module
 */

import type { Cluster } from "../cluster/seam.ts";
import { LIMITS, type ReplyData, type RequestData } from "../protocol/mod.ts";
import { mustEnter } from "./access.ts";
import type { Rooms } from "./rooms.ts";
import { HubError, type Session } from "./session.ts";

export interface RoomRequestsOptions {
  rooms: Rooms;
  cluster: Cluster;
  now: () => number;
  newId: () => string;
}

export class RoomRequests {
  readonly #options: RoomRequestsOptions;

  constructor(options: RoomRequestsOptions) {
    this.#options = options;
  }

  async join(s: Session, { room }: RequestData<"join">): Promise<ReplyData<"join">> {
    const { rooms, cluster } = this.#options;
    if (!s.rooms.has(room)) {
      mustEnter(s, room);
      if (s.rooms.size >= LIMITS.maxRoomsPerSession) {
        throw new HubError(
          "too_many",
          `A session can be in at most ${LIMITS.maxRoomsPerSession} rooms`,
        );
      }
      await rooms.join(s, room);
    }
    const [members, position] = await Promise.all([
      rooms.members(room),
      cluster.streams.position(room),
    ]);
    return { room, members, ...position };
  }

  async leave(s: Session, { room }: RequestData<"leave">): Promise<ReplyData<"leave">> {
    member(s, room);
    await this.#options.rooms.leave(s, room);
    return { room, members: await this.#options.rooms.members(room) };
  }

  async history(
    s: Session,
    { room, limit, before }: RequestData<"history">,
  ): Promise<ReplyData<"history">> {
    // Members only, and only while the token still grants a private room.
    mustEnter(s, room);
    member(s, room);
    const page = await this.#options.cluster.streams.history(room, {
      limit: limit ?? LIMITS.defaultHistoryLimit,
      before,
    });
    return { room, ...page };
  }

  chat(
    s: Session,
    { room, text }: RequestData<"chat">,
  ): ReplyData<"chat"> | Promise<ReplyData<"chat">> {
    member(s, room);
    this.#options.rooms.mustFlow(room);
    const msgId = this.#options.newId();
    const ts = this.#options.now();
    const published = this.#options.cluster.streams.publish({
      room,
      msgId,
      from: s.id,
      userId: s.userId,
      name: s.name,
      text,
      ts,
    });
    return published instanceof Promise ? published.then(() => ({ msgId, ts })) : { msgId, ts };
  }
}

function member(s: Session, room: string): void {
  if (!s.rooms.has(room)) throw new HubError("not_member", `Not a member of room "${room}"`);
}
