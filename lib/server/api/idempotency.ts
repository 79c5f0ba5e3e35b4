/**
 * Idempotency keys for the server API's publishing calls: a call that carries `idempotencyKey`
 * runs once per key within `API_LIMITS.idempotencyTtlMs`, deployment-wide, and every retry gets
 * the first call's answer, as Stripe's and Centrifugo's APIs do. The keys live behind the cluster
 * seam (`Idempotency`): in Redis when clustered, so a retry that reaches another node finds them.
 *
 * A retry that comes while the first call still runs waits for its answer, a few seconds at most.
 * A key reused for a different request is refused rather than answered with another message's
 * answer: the first request's fingerprint (a SHA-256 of the call and its checked fields) is kept
 * with its answer.
 *
 * @module
 */

import type { Idempotency } from "../../cluster/seam.ts";

/** What a call with a key comes to. */
export type Outcome =
  /** The call's answer: run now, or `replayed` from the first call with the key. */
  | { kind: "answer"; body: unknown; replayed: boolean }
  /** The key was first used for another request. */
  | { kind: "reused" }
  /** The first call with the key was still running when the wait ran out. */
  | { kind: "busy" };

export interface OnceOptions {
  store: Idempotency;
  /** The key, namespaced by the caller (`publish:<key>`). */
  key: string;
  /** What the request asked, so a key reused for another request is told apart. */
  request: unknown;
  ttlMs: number;
  /** How long a retry waits for the first call to finish. */
  waitMs?: number;
  /** Pause between looks while it waits; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const POLL_MS = 25;
const WAIT_MS = 5000;

/** The fingerprint of a request: SHA-256 of its JSON, in hex. */
async function fingerprint(request: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A stored answer, read back. It may have come from Redis, so it is checked: `f` the fingerprint
 * in hex, `b` the answer, an object.
 */
function stored(text: string): { f: string; b: Record<string, unknown> } {
  const value = JSON.parse(text);
  const ok = typeof value === "object" && value !== null && typeof value.f === "string" &&
    /^[0-9a-f]{64}$/.test(value.f) && typeof value.b === "object" && value.b !== null &&
    !Array.isArray(value.b);
  if (!ok) throw new Error("Stored idempotent answer is malformed");
  return value;
}

/**
 * Runs `run` unless a call with the same key ran within the TTL; answers what the first call
 * answered. A `run` that throws lets the key go, so a retry runs it again, and rethrows.
 *
 * @throws whatever `run` throws, and an Error for a stored answer that cannot be read.
 */
export async function once(options: OnceOptions, run: () => Promise<unknown>): Promise<Outcome> {
  const { store, key, ttlMs } = options;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const print = await fingerprint(options.request);
  const deadline = Date.now() + (options.waitMs ?? WAIT_MS);
  while (true) {
    const state = await store.claim(key, ttlMs);
    if (state.kind === "done") {
      const first = stored(state.answer);
      if (first.f !== print) return { kind: "reused" };
      return { kind: "answer", body: first.b, replayed: true };
    }
    if (state.kind === "claimed") break;
    if (Date.now() >= deadline) return { kind: "busy" };
    await sleep(POLL_MS);
  }
  let body: unknown;
  try {
    body = await run();
  } catch (err) {
    await store.release(key);
    throw err;
  }
  await store.settle(key, JSON.stringify({ f: print, b: body }), ttlMs);
  return { kind: "answer", body, replayed: false };
}
