/**
 * Fan-out of room frames to this node's members, in slices for large rooms: a room of more than
 * `slice` local members gets a frame `slice` members at a time, with a turn of the event loop
 * between slices, so other clients are served during a large broadcast. One loop of 19,800
 * socket writes held the loop for about 240 ms.
 *
 * Order within a room holds for every member: while a room is part-way through a frame, later
 * frames for it queue behind, whatever their size. A frame goes to the members the room had when
 * its turn came, less those that left since (a session that ended or moved away leaves its
 * rooms): one that joined meanwhile waits for the next frame, and one that left gets nothing more.
 * Each frame is handed to every member as the one string it came as, so an event is still
 * serialized once per wire format. A send goes through the session's own `send` (socket, hold or
 * replay buffer), and the edge behind it still cuts a slow consumer off as before.
 *
 * @module
 */

import type { Session } from "./session.ts";

/**
 * Members per slice, and the room size from which frames go out in slices. A send costs 10 to 25
 * µs on the 2-core machine of docs/benchmarks.md, so a slice holds the loop a few milliseconds:
 * with slices of 1,000 another client's ping waited 234 ms at p99 during a room of 19,800 at 2
 * messages a second, with 250 it waited 17 ms.
 */
export const FANOUT_SLICE = 250;

/**
 * Runs `next` on a later turn of the event loop, after the I/O that is ready: a timer, not a
 * microtask, which would run before any other client is served.
 */
export const nextTurn = (next: () => void): void => void setTimeout(next, 0);

export interface FanoutOptions {
  /** The room's local members now, or undefined once it has none. */
  members: (room: string) => Set<Session> | undefined;
  /** Members per slice; rooms with more local members than this are sliced. */
  slice?: number;
  /** Schedules the next slice; {@link nextTurn} by default, injectable for tests. */
  yieldTo?: (next: () => void) => void;
}

interface Queued {
  frame: string;
  /** A member that does not get this frame (its own presence event). */
  skip?: Session;
}

/** A room part-way through its frames. */
interface Job {
  room: string;
  queue: Queued[];
  /** The members the head of the queue goes to, taken when its turn came. */
  targets: Session[];
  /** The next of `targets` to send to. */
  at: number;
  running: boolean;
}

export class Fanout {
  readonly #options: FanoutOptions;
  readonly #slice: number;
  readonly #yieldTo: (next: () => void) => void;
  /** Rooms with frames still to go, in the order they started. */
  readonly #busy = new Map<string, Job>();

  constructor(options: FanoutOptions) {
    this.#options = options;
    this.#slice = Math.max(1, options.slice ?? FANOUT_SLICE);
    this.#yieldTo = options.yieldTo ?? nextTurn;
  }

  /** Rooms part-way through a frame. */
  get busy(): number {
    return this.#busy.size;
  }

  /**
   * Deliveries still to go in `room` on this node: its queued frames times the members the one
   * going out has, less those it reached.
   */
  backlog(room: string): number {
    const job = this.#busy.get(room);
    return job ? job.queue.length * job.targets.length - job.at : 0;
  }

  /** Whether `room` has frames still to go. */
  pending(room: string): boolean {
    return this.#busy.has(room);
  }

  /** Hands `frame` to every local member of `room` but `skip`, now or in slices. */
  deliver(room: string, frame: string, skip?: Session): void {
    const job = this.#busy.get(room);
    if (job) {
      job.queue.push({ frame, skip });
      return;
    }
    const members = this.#options.members(room);
    if (!members) return;
    if (members.size <= this.#slice) {
      for (const member of members) if (member !== skip) member.send(frame);
      return;
    }
    const started: Job = { room, queue: [{ frame, skip }], targets: [], at: 0, running: false };
    this.#busy.set(room, started);
    this.#begin(started);
    this.#run(started, this.#slice);
  }

  /**
   * Sends everything still queued for `room` now, in one go: for a reader that needs every
   * member to have had every frame counted as delivered (a session moving to another node).
   */
  flush(room: string): void {
    const job = this.#busy.get(room);
    if (job && !job.running) this.#run(job, Infinity);
  }

  /** Drops every queued frame, as a stopping hub forgets its rooms. */
  clear(): void {
    this.#busy.clear();
  }

  /** The head of the queue takes the room's members as they are now. */
  #begin(job: Job): void {
    const members = this.#options.members(job.room);
    job.targets = members ? [...members] : [];
    job.at = 0;
  }

  /** Sends up to `budget` frames, then yields, or ends the job once its queue is empty. */
  #run(job: Job, budget: number): void {
    if (this.#busy.get(job.room) !== job) return;
    job.running = true;
    try {
      let left = budget;
      while (left > 0 && job.queue.length > 0) {
        const { frame, skip } = job.queue[0];
        // Read once per slice: a member that left since the frame's turn came gets nothing more.
        const members = this.#options.members(job.room);
        const end = Math.min(job.targets.length, job.at + left);
        if (members) {
          for (let i = job.at; i < end; i++) {
            const member = job.targets[i];
            if (member !== skip && members.has(member)) member.send(frame);
          }
        }
        left -= end - job.at;
        job.at = end;
        if (job.at < job.targets.length) break;
        job.queue.shift();
        if (job.queue.length > 0) this.#begin(job);
      }
    } finally {
      job.running = false;
    }
    if (this.#busy.get(job.room) !== job) return;
    if (job.queue.length === 0) {
      this.#busy.delete(job.room);
      return;
    }
    this.#yieldTo(() => this.#run(job, this.#slice));
  }
}
