/**
 * Room membership on this node, and the deployment-wide view of it: who is in which room here,
 * fan-out of room frames to local members and, through the broker, to the other nodes, presence
 * events, and member lists and sizes that add the registry's share of the other nodes.
 *
 * Fan-out takes one serialized frame and hands the same string to every recipient; a large room
 * gets it in slices, with other clients served in between (`fanout.ts`). Presence and `vanished`
 * events take the same per-room queue as chat, so they keep their place among the room's frames.
 *
 * @module
 */

import type { Broker, GoneSession, Registry } from "../cluster/seam.ts";
import type { Member, PresenceAction, RoomInfo, StreamPosition } from "../protocol/mod.ts";
import { Fanout } from "./fanout.ts";
import { encodeEvent, HubError, member, type Session } from "./session.ts";

/** `rooms` lists at most this many rooms, largest first, so one reply cannot grow without bound. */
export const MAX_ROOMS_LISTED = 1000;

export interface RoomsOptions {
  broker: Broker;
  registry: Registry;
  /** Rooms larger than this get no `presence`/`renamed` events, which would cost O(n²) to fill. */
  presenceLimit: number;
  /** Members per fan-out slice; rooms with more local members are sliced (`FANOUT_SLICE`). */
  fanoutSlice?: number;
  /** Schedules the next slice; a later turn of the event loop by default. For tests. */
  yieldTo?: (next: () => void) => void;
  /** Deliveries a room may have waiting here before new messages into it are refused. */
  maxRoomBacklog?: number;
}

/**
 * Deliveries a room may have waiting on this node before a new message into it is refused with
 * `rate_limited`: at 10 to 25 µs a send on the machine of docs/benchmarks.md, 5 to 12 s of
 * sending. Without a bound, a room fed faster than its members can be written to (a backend
 * posting into a large room, many members chatting at their CHAT_RATE) queues without end: the
 * memory grows and every later message waits longer.
 */
export const MAX_ROOM_BACKLOG = 500_000;

/** Where a chat frame's data starts: `{"type":"chat","data":`. */
const CHAT_PREFIX = '{"type":"chat","data":';

/**
 * The position of a chat frame, read from its text: a stream message ends with
 * `"offset":N,"epoch":"E"}}` (`memory_streams.ts`, `redis/scripts/chat.lua`).
 */
export function chatPosition(frame: string): StreamPosition | undefined {
  if (!frame.startsWith(CHAT_PREFIX)) return undefined;
  const at = frame.lastIndexOf('"offset":');
  if (at < 0) return undefined;
  const comma = frame.indexOf(",", at);
  const offset = Number(frame.slice(at + 9, comma));
  const epoch = frame.slice(comma + 10, frame.length - 3);
  return Number.isInteger(offset) ? { offset, epoch } : undefined;
}

export class Rooms {
  readonly #rooms = new Map<string, Set<Session>>();
  /** Per room, the last message delivered here: where a session that moves resumes its replay. */
  readonly #last = new Map<string, StreamPosition>();
  readonly #options: RoomsOptions;
  readonly #fanout: Fanout;

  constructor(options: RoomsOptions) {
    this.#options = options;
    this.#fanout = new Fanout({
      members: (room) => this.#rooms.get(room),
      slice: options.fanoutSlice,
      yieldTo: options.yieldTo,
    });
  }

  /**
   * Refuses a new message into `room` while this node is far behind in delivering it: the sender
   * (a member, or the server API, which answers 429) tries again once the room caught up.
   */
  mustFlow(room: string): void {
    const backlog = this.#fanout.backlog(room);
    if (backlog > (this.#options.maxRoomBacklog ?? MAX_ROOM_BACKLOG)) {
      throw new HubError(
        "rate_limited",
        `Room "${room}" is busy: ${backlog} deliveries still wait here; try again shortly`,
      );
    }
  }

  /** Rooms part-way through a sliced fan-out. */
  get fanningOut(): number {
    return this.#fanout.busy;
  }

  /** Names of rooms with at least one member on this node. */
  names(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Adds a member and tells the room; resolves when the other nodes list the member. */
  join(session: Session, room: string): Promise<void> {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, members = new Set());
    members.add(session);
    session.rooms.add(room);
    this.#presence(members, session, room, "join");
    return this.#options.registry.joined(room, member(session));
  }

  /** Removes a member and tells the room; resolves when the other nodes no longer list it. */
  leave(session: Session, room: string): Promise<void> {
    const members = this.#drop(session, room);
    session.rooms.delete(room);
    const left = this.#options.registry.left(room, session.id);
    if (members) this.#presence(members, session, room, "leave");
    return left;
  }

  /** Takes `session` out of the local members of `room`; answers the members left, if any. */
  #drop(session: Session, room: string): Set<Session> | undefined {
    const members = this.#rooms.get(room);
    if (!members) return undefined;
    members.delete(session);
    if (members.size === 0) {
      this.#rooms.delete(room);
      this.#last.delete(room);
    }
    return members;
  }

  /** A frame for the local members of `room` only: at once, or in slices in a large room. */
  deliver(room: string, frame: string): void {
    if (!this.#rooms.has(room)) return;
    const position = chatPosition(frame);
    if (position) this.#last.set(room, position);
    this.#fanout.deliver(room, frame);
  }

  /**
   * The last message delivered here in `room`, if any since the room had a local member. A
   * room part-way through a sliced fan-out finishes it first, so every member has had every
   * message up to the one answered (a moving session's replay starts right after it).
   */
  lastDelivered(room: string): StreamPosition | undefined {
    this.#fanout.flush(room);
    return this.#last.get(room);
  }

  /**
   * Adds a member that moved here from another node, telling nobody: to the others it never
   * left. Resolves when the registry lists it here and the room's frames reach this node.
   */
  adopt(session: Session, room: string): Promise<void> {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, members = new Set());
    members.add(session);
    session.rooms.add(room);
    return this.#options.registry.joined(room, member(session));
  }

  /** Removes a member that moved to another node, telling nobody. */
  release(session: Session): void {
    for (const room of session.rooms) this.#drop(session, room);
  }

  /** Every local member of presence-sized `rooms`, each once, except `skip`. */
  toRoommates(rooms: Iterable<string>, frame: string, skip?: Session): void {
    const seen = new Set<Session>();
    if (skip) seen.add(skip);
    for (const room of rooms) {
      const members = this.#rooms.get(room);
      if (!members || members.size > this.#options.presenceLimit) continue;
      for (const member of members) {
        if (seen.has(member)) continue;
        seen.add(member);
        member.send(frame);
      }
    }
  }

  /** Local members hear that a session of another node left its rooms with no goodbye. */
  vanished(gone: GoneSession): void {
    const { sessionId, userId, name } = gone;
    for (const room of gone.rooms) {
      const members = this.#rooms.get(room);
      if (!members || members.size > this.#options.presenceLimit) continue;
      const frame = encodeEvent("presence", { room, sessionId, userId, name, action: "leave" });
      this.#fanout.deliver(room, frame);
    }
  }

  /** Other nodes hear of `session`'s memberships again, after they were told it was gone. */
  announce(session: Session): void {
    for (const room of session.rooms) {
      if ((this.#rooms.get(room)?.size ?? 0) > this.#options.presenceLimit) continue;
      this.#options.broker.publish(
        room,
        encodeEvent("presence", { room, ...member(session), action: "join" }),
      );
    }
  }

  /** Every room of `session` hears that its connection dropped (`away`) or resumed (`back`). */
  presence(session: Session, action: "away" | "back"): void {
    for (const room of session.rooms) {
      const members = this.#rooms.get(room);
      if (members) this.#presence(members, session, room, action);
    }
  }

  /** Every member of `room` in the deployment. */
  async members(room: string): Promise<Member[]> {
    const local = [...this.#rooms.get(room) ?? []].map(member);
    const remote = await this.#options.registry.remoteMembers(room);
    return remote.length === 0 ? local : local.concat(remote);
  }

  /** Member counts of every room in the deployment. */
  async sizes(): Promise<Map<string, number>> {
    const sizes = await this.#options.registry.remoteRooms();
    for (const [room, members] of this.#rooms) {
      sizes.set(room, (sizes.get(room) ?? 0) + members.size);
    }
    return sizes;
  }

  /** The `rooms` reply: largest first, capped at {@link MAX_ROOMS_LISTED}. */
  async list(): Promise<RoomInfo[]> {
    return [...await this.sizes()].map(([room, size]) => ({ room, size }))
      .sort((a, b) => b.size - a.size || (a.room < b.room ? -1 : 1))
      .slice(0, MAX_ROOMS_LISTED);
  }

  /** Forgets every room without telling anyone, as a stopping hub does. */
  clear(): void {
    this.#fanout.clear();
    this.#rooms.clear();
  }

  #presence(members: Set<Session>, who: Session, room: string, action: PresenceAction): void {
    if (members.size > this.#options.presenceLimit) return;
    const frame = encodeEvent("presence", { room, ...member(who), action });
    this.#fanout.deliver(room, frame, who);
    this.#options.broker.publish(room, frame);
  }
}
