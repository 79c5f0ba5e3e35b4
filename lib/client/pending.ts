/**
 * Callers waiting on the hub: requests for the reply with their id (each bounded by a timeout),
 * and `ready()` callers for the next welcome.
 *
 * @module
 */

import type { ErrorBody } from "../protocol/mod.ts";
import { RequestError } from "./errors.ts";
import { MAX_TIMER_MS, systemTimers, type TimerId, type Timers } from "./timers.ts";

/** What a reply says: `data` on success, the server's error otherwise. */
export type Outcome = { ok: true; data: unknown } | { ok: false; error: ErrorBody };

/** A request for {@linkcode PendingRequests.add}. */
export interface NewRequest {
  type: string;
  data?: object;
  /** Time to wait for the reply, queued time included; above ~24.8 days it never times out. */
  timeoutMs: number;
}

interface Entry {
  type: string;
  resolve: (data: unknown) => void;
  reject: (err: RequestError) => void;
  timer: TimerId | undefined;
}

/**
 * Requests that have not been answered, timed out or rejected yet, by id.
 *
 * A new request is queued until {@linkcode takeQueued} hands its frame out for sending; from then
 * on it is in flight, which matters when the socket drops (see {@linkcode rejectInFlight}).
 */
export class PendingRequests {
  #entries = new Map<number, Entry>();
  /** Frames not sent yet, by id, in the order the requests were made. */
  #queued = new Map<number, string>();
  #nextId = 0;
  #timers: Timers;

  constructor(timers: Timers = systemTimers) {
    this.#timers = timers;
  }

  /** Requests queued or in flight. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Gives the request the next id, queues its frame and returns the promise of its reply's data.
   *
   * @throws what `JSON.stringify` throws for `data` (the id is used up all the same).
   */
  add(request: NewRequest): Promise<unknown> {
    const { type, data, timeoutMs } = request;
    const id = ++this.#nextId;
    const text = JSON.stringify({ type, id, data });
    return new Promise((resolve, reject) => {
      const timer = timeoutMs <= MAX_TIMER_MS
        ? this.#timers.setTimeout(() => this.#onTimeout(id, timeoutMs), timeoutMs)
        : undefined;
      this.#entries.set(id, { type, resolve, reject, timer });
      this.#queued.set(id, text);
    });
  }

  /** The queued frames, oldest first; the requests count as in flight from now on. */
  takeQueued(): string[] {
    const texts = [...this.#queued.values()];
    this.#queued.clear();
    return texts;
  }

  /**
   * Settles request `id` with its reply's `outcome` (`undefined` for a reply that has neither
   * `data` nor a valid error: it rejects with `internal`). Returns `false`, doing nothing, when
   * `id` is not pending: a late reply after a timeout, or an id that is not ours.
   */
  settle(id: unknown, outcome: Outcome | undefined): boolean {
    const entry = this.#take(id as number);
    if (entry === undefined) return false;
    if (outcome === undefined) {
      const message = `Request "${entry.type}" got a malformed reply`;
      entry.reject(new RequestError("internal", message, entry.type));
    } else if (outcome.ok) {
      entry.resolve(outcome.data);
    } else {
      entry.reject(new RequestError(outcome.error.code, outcome.error.message, entry.type));
    }
    return true;
  }

  /**
   * The socket dropped: rejects the requests in flight with `disconnected`, as nobody can tell
   * whether the server processed them. Queued ones keep waiting for the next connection.
   */
  rejectInFlight(closeCode: number): void {
    for (const id of [...this.#entries.keys()]) {
      if (this.#queued.has(id)) continue;
      const entry = this.#take(id)!;
      const why = `was in flight when the connection dropped (${closeCode})`;
      entry.reject(new RequestError("disconnected", `Request "${entry.type}" ${why}`, entry.type));
    }
  }

  /** Rejects every request with `code`; the message is `Request "<type>": <why>`. */
  rejectAll(code: "closed" | "disconnected", why: string): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#queued.clear();
    for (const entry of entries) {
      this.#timers.clearTimeout(entry.timer);
      entry.reject(new RequestError(code, `Request "${entry.type}": ${why}`, entry.type));
    }
  }

  /** Removes request `id` and stops its timer; `undefined` if it is not pending. */
  #take(id: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    this.#queued.delete(id);
    this.#timers.clearTimeout(entry.timer);
    return entry;
  }

  #onTimeout(id: number, timeoutMs: number): void {
    const entry = this.#take(id);
    if (entry === undefined) return;
    const message = `Request "${entry.type}" got no reply within ${timeoutMs} ms`;
    entry.reject(new RequestError("timeout", message, entry.type));
  }
}

/** Callers waiting for the next value of something, e.g. `ready()` for the next welcome. */
export class Waiters<T> {
  #waiting: { resolve: (value: T) => void; reject: (err: Error) => void }[] = [];

  /** Resolves with the value of the next {@linkcode resolveAll}. */
  wait(): Promise<T> {
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Resolves everyone waiting so far with `value`. */
  resolveAll(value: T): void {
    for (const w of this.#take()) w.resolve(value);
  }

  /** Rejects everyone waiting so far, each with a fresh error from `error()`. */
  rejectAll(error: () => Error): void {
    for (const w of this.#take()) w.reject(error());
  }

  #take(): { resolve: (value: T) => void; reject: (err: Error) => void }[] {
    const waiting = this.#waiting;
    this.#waiting = [];
    return waiting;
  }
}
