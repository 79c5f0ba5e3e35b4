/**
 * Idempotency keys in Redis, so that a retry of a server API call finds the first answer on
 * whichever node it reaches: one string per key, `""` while the first call runs and its answer
 * after, expiring with the key's TTL. `SET NX` makes exactly one caller the first.
 *
 * While Redis is down, keys live in this process instead (`MemoryIdempotency`), as room streams
 * do: a retry on the same node is still answered once.
 *
 * @module
 */

import { MemoryIdempotency } from "../memory_idempotency.ts";
import type { Idempotency, KeyState } from "../seam.ts";
import type { RedisConnection } from "./connection.ts";
import { idempotencyKey } from "./keys.ts";

export class RedisIdempotency implements Idempotency {
  readonly #redis: RedisConnection;
  readonly #fallback = new MemoryIdempotency();

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async claim(key: string, ttlMs: number): Promise<KeyState> {
    const redis = this.#redis;
    if (redis.down) return this.#fallback.claim(key, ttlMs);
    const name = idempotencyKey(key);
    try {
      // Twice at most: the key may expire between the SET that found it and the GET.
      for (let attempt = 0; attempt < 2; attempt++) {
        const set = await redis.client.set(name, "", {
          condition: "NX",
          expiration: { type: "PX", value: ttlMs },
        });
        if (set !== null) return { kind: "claimed" };
        const answer = await redis.client.get(name);
        if (answer === "") return { kind: "pending" };
        if (answer !== null) return { kind: "done", answer };
      }
      return { kind: "pending" };
    } catch (err) {
      redis.failed(err as Error);
      return this.#fallback.claim(key, ttlMs);
    }
  }

  async settle(key: string, answer: string, ttlMs: number): Promise<void> {
    if (this.#redis.down) return this.#fallback.settle(key, answer, ttlMs);
    await this.#redis.write(() =>
      this.#redis.client.set(idempotencyKey(key), answer, {
        expiration: { type: "PX", value: ttlMs },
      })
    );
  }

  async release(key: string): Promise<void> {
    await this.#fallback.release(key);
    await this.#redis.write(() => this.#redis.client.del(idempotencyKey(key)));
  }
}
