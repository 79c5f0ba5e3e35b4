/**
 * Idempotency keys kept in this process: the in-memory default's, and the Redis cluster's
 * stand-in while Redis is down. Keys expire by time; expired ones are swept as new keys come,
 * oldest first, so no timer runs and memory is bounded by the keys claimed within the TTL.
 *
 * @module
 */

import type { Idempotency, KeyState } from "./seam.ts";

interface Entry {
  /** The stored answer; undefined while the call that claimed the key runs. */
  answer: string | undefined;
  expiresAt: number;
}

export class MemoryIdempotency implements Idempotency {
  /** In order of their claim or answer, so the sweep stops at the first live one. */
  readonly #keys = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keys held, for tests and `/metrics`. */
  get size(): number {
    return this.#keys.size;
  }

  claim(key: string, ttlMs: number): Promise<KeyState> {
    const now = this.#now();
    this.#sweep(now);
    const entry = this.#keys.get(key);
    if (entry && entry.expiresAt > now) {
      const state: KeyState = entry.answer === undefined
        ? { kind: "pending" }
        : { kind: "done", answer: entry.answer };
      return Promise.resolve(state);
    }
    this.#set(key, { answer: undefined, expiresAt: now + ttlMs });
    return Promise.resolve({ kind: "claimed" });
  }

  settle(key: string, answer: string, ttlMs: number): Promise<void> {
    this.#set(key, { answer, expiresAt: this.#now() + ttlMs });
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.#keys.delete(key);
    return Promise.resolve();
  }

  /** Sets an entry at the end of the order. */
  #set(key: string, entry: Entry): void {
    this.#keys.delete(key);
    this.#keys.set(key, entry);
  }

  /** Forgets expired keys. Entries are in order of expiry, since every TTL given is the same. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#keys) {
      if (entry.expiresAt > now) return;
      this.#keys.delete(key);
    }
  }
}
