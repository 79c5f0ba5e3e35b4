/**
 * The "Connected" heartbeat, staggered: every session still gets one every `heartbeatMs`, but
 * each at its own phase, so no tick of the timer touches more than a small slice of the sessions.
 * One burst over every session at once froze a node of 19,800 connections for about 200 ms.
 *
 * A timer wheel: the interval is cut into {@link slotsFor} slots of about {@link SLOT_MS}, each
 * session sits in one slot for its whole life, and a tick serves the next slots in turn. A session
 * goes to the next slot, round-robin, that holds no more than its share (sessions / slots, rounded
 * down): such a slot always exists, so a slot never holds more than `ceil(sessions / slots)` of
 * the most sessions there ever were at once.
 *
 * A tick takes as many consecutive slots as fit in {@link BATCH} sessions (at least one), rather
 * than one slot: each wake-up has a fixed cost, and a tick's sends cost more per send when they
 * are few (measured at 4,000 connections and one beat a second: 6 % of a core in one burst, 8 %
 * in ticks of 400, 13 % in ticks of 40). So a small node beats in one tick per interval, and a
 * node of 19,800 in ticks of at most 250, a few milliseconds each (a send costs 10 to 25 µs on
 * the 2-core machine of docs/benchmarks.md), like the slices of a room's fan-out.
 *
 * Ticks are aimed at fixed times from the start (the nominal time of the first slot they serve),
 * so the interval does not drift when a tick runs late. Each session gets one beat per turn of
 * the wheel; while the wheel holds the same sessions, its beats are `heartbeatMs` apart.
 *
 * @module
 */

import { encodeEvent, type Session, type TimerId } from "./session.ts";
import type { Timers } from "./timers.ts";

/** About how much of the interval one slot covers. */
export const SLOT_MS = 10;
/** The most slots a wheel has, so a long interval does not cost thousands of empty sets. */
export const MAX_SLOTS = 1000;
/** Sessions one tick serves at most, unless a single slot holds more. */
export const BATCH = 250;

/** Slots for an interval: one per {@link SLOT_MS}, at least 1, at most {@link MAX_SLOTS}. */
export function slotsFor(heartbeatMs: number): number {
  return Math.max(1, Math.min(MAX_SLOTS, Math.round(heartbeatMs / SLOT_MS)));
}

export interface HeartbeatOptions {
  heartbeatMs: number;
  timers: Timers;
  /** Epoch milliseconds, for the frame's `serverTime`. */
  now: () => number;
  /** Slots of the wheel; {@link slotsFor} the interval by default. For tests. */
  heartbeatSlots?: number;
  /** Sessions per tick; {@link BATCH} by default. For tests. */
  heartbeatBatch?: number;
}

/** The sessions of one node, each in the slot of its phase. */
export class HeartbeatWheel {
  readonly slots: number;
  readonly batch: number;
  readonly #options: HeartbeatOptions;
  readonly #wheel: Set<Session>[];
  readonly #slotOf = new Map<Session, number>();
  /** The slot the next tick starts from. */
  #cursor = 0;
  /** Slots served since the wheel started: where the next tick stands in time. */
  #served = 0;
  /** Slots the last tick served. */
  #lastGroup = 0;
  /** Where the round-robin for the next session starts looking. */
  #next = 0;
  #timer: TimerId | undefined;
  #startedAt = 0;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.slots = options.heartbeatSlots ?? slotsFor(options.heartbeatMs);
    this.batch = Math.max(1, options.heartbeatBatch ?? BATCH);
    this.#wheel = Array.from({ length: this.slots }, () => new Set<Session>());
  }

  /** Sessions on the wheel. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** The most sessions any slot holds now: the most one tick sends to. */
  get largestSlot(): number {
    let largest = 0;
    for (const slot of this.#wheel) largest = Math.max(largest, slot.size);
    return largest;
  }

  /** Puts a session on the wheel, in a slot that holds no more than its share. */
  add(session: Session): void {
    if (this.#slotOf.has(session)) return;
    const share = Math.floor(this.#slotOf.size / this.slots);
    let slot = this.#next;
    while (this.#wheel[slot].size > share) slot = (slot + 1) % this.slots;
    this.#next = (slot + 1) % this.slots;
    this.#wheel[slot].add(session);
    this.#slotOf.set(session, slot);
  }

  /** Takes a session off the wheel; safe for one that is not on it. */
  remove(session: Session): void {
    const slot = this.#slotOf.get(session);
    if (slot === undefined) return;
    this.#wheel[slot].delete(session);
    this.#slotOf.delete(session);
  }

  /** Takes every session off. */
  clear(): void {
    for (const slot of this.#wheel) slot.clear();
    this.#slotOf.clear();
  }

  /** Ticks until {@link stop}; a second call is harmless. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#startedAt = this.#options.timers.now();
    this.#served = 0;
    this.#arm();
  }

  stop(): void {
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Sends the heartbeat to the sessions of the next slots, as many slots as fit in the batch (at
   * least one, at most a whole turn); answers how many sessions it sent to.
   */
  tick(): number {
    const group: Set<Session>[] = [];
    let sessions = 0;
    while (group.length < this.slots) {
      const slot = this.#wheel[(this.#cursor + group.length) % this.slots];
      if (group.length > 0 && sessions + slot.size > this.batch) break;
      group.push(slot);
      sessions += slot.size;
    }
    this.#cursor = (this.#cursor + group.length) % this.slots;
    this.#served += group.length;
    this.#lastGroup = group.length;
    if (sessions === 0) return 0;
    const frame = heartbeatFrame(this.#options.now());
    // A send may end its session (the edge drops a slow consumer), which takes it out of its
    // slot; a Set's iteration allows that.
    for (const slot of group) for (const session of slot) session.send(frame);
    return sessions;
  }

  #arm(): void {
    const { timers, heartbeatMs } = this.#options;
    const period = heartbeatMs / this.slots;
    // A slot's nominal time is the end of its stretch of the interval.
    let due = this.#startedAt + (this.#served + 1) * period;
    const now = timers.now();
    // Far behind (a suspended process, a clock that jumped): start over from now rather than
    // catch up with a burst of ticks, which is what the wheel is there to avoid.
    if (now - due > heartbeatMs) {
      // The tick that just ran counts as on time: the next one comes after the slots it served.
      this.#startedAt = now - (this.#served - this.#lastGroup + 1) * period;
      due = now + this.#lastGroup * period;
    }
    this.#timer = timers.setTimeout(() => {
      this.tick();
      if (this.#timer !== undefined) this.#arm();
    }, Math.max(0, due - now));
  }
}

/** The heartbeat frame at `serverTime`, serialized once for every session it goes to. */
export function heartbeatFrame(serverTime: number): string {
  return encodeEvent("heartbeat", { text: "Connected", serverTime });
}

/**
 * The registry of a node's sessions (id → session) that keeps the wheel in step: a session set
 * here is on the wheel, one deleted is off it. The modules that add and end sessions only see a
 * `Map`.
 */
export class SessionTable extends Map<string, Session> {
  readonly #wheel: HeartbeatWheel;

  constructor(wheel: HeartbeatWheel) {
    super();
    this.#wheel = wheel;
  }

  override set(id: string, session: Session): this {
    const previous = super.get(id);
    if (previous !== undefined && previous !== session) this.#wheel.remove(previous);
    super.set(id, session);
    this.#wheel.add(session);
    return this;
  }

  override delete(id: string): boolean {
    const session = super.get(id);
    if (session === undefined) return false;
    this.#wheel.remove(session);
    return super.delete(id);
  }

  override clear(): void {
    this.#wheel.clear();
    super.clear();
  }
}
