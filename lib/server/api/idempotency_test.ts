/**
 * `once` over the in-memory key store, with time and waits injected: the first call runs and its
 * answer is replayed; a key reused for another request is refused; a retry during the first call
 * waits for it, then gives up as `busy`; a call that fails lets its key go; an answer stored
 * malformed (Redis is input too) is refused rather than replayed.
 */

import assert from "node:assert/strict";
import { MemoryIdempotency } from "../../cluster/memory_idempotency.ts";
import { once, type OnceOptions } from "./idempotency.ts";

const TTL = 300_000;

function options(store: MemoryIdempotency, request: unknown = { text: "hi" }): OnceOptions {
  return {
    store,
    key: "publish:k1",
    request,
    ttlMs: TTL,
    waitMs: 0,
    sleep: () => Promise.resolve(),
  };
}

Deno.test("the first call runs; a retry gets its answer without running", async () => {
  const store = new MemoryIdempotency();
  let runs = 0;
  const run = () => Promise.resolve({ n: ++runs });
  assert.deepEqual(await once(options(store), run), {
    kind: "answer",
    body: { n: 1 },
    replayed: false,
  });
  assert.deepEqual(await once(options(store), run), {
    kind: "answer",
    body: { n: 1 },
    replayed: true,
  });
  assert.equal(runs, 1);
  assert.deepEqual(await once(options(store, { text: "other" }), run), { kind: "reused" });
  assert.equal(runs, 1);
});

Deno.test("keys expire after the TTL: the same key runs again", async () => {
  let now = 1_000_000;
  const store = new MemoryIdempotency(() => now);
  let runs = 0;
  const run = () => Promise.resolve({ n: ++runs });
  await once(options(store), run);
  now += TTL - 1;
  assert.equal((await once(options(store), run)).kind, "answer");
  assert.equal(runs, 1);
  now += 2;
  const again = await once(options(store), run);
  assert.deepEqual(again, { kind: "answer", body: { n: 2 }, replayed: false });
  assert.equal(store.size, 1, "the expired key was swept");
});

Deno.test("a retry during the first call waits for its answer, or gives up as busy", async () => {
  const store = new MemoryIdempotency();
  const { promise: first, resolve: finish } = Promise.withResolvers<unknown>();
  const running = once(options(store), () => first);
  // It claims the key after hashing the request, which takes a turn or more.
  while (store.size === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  // No wait at all: busy at once.
  assert.deepEqual(await once(options(store), () => Promise.resolve({})), { kind: "busy" });
  // A retry that waits: it looks again after each pause, and the first call ends meanwhile.
  let looks = 0;
  const waiting = once(
    {
      ...options(store),
      waitMs: 60_000,
      sleep: () => {
        if (++looks === 3) finish({ first: true });
        return new Promise((resolve) => setTimeout(resolve, 0));
      },
    },
    () => Promise.reject(new Error("must not run")),
  );
  assert.deepEqual(await running, { kind: "answer", body: { first: true }, replayed: false });
  assert.deepEqual(await waiting, { kind: "answer", body: { first: true }, replayed: true });
});

Deno.test("a call that throws lets its key go, so the retry runs", async () => {
  const store = new MemoryIdempotency();
  await assert.rejects(once(options(store), () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(store.size, 0);
  const retry = await once(options(store), () => Promise.resolve({ ok: 1 }));
  assert.deepEqual(retry, { kind: "answer", body: { ok: 1 }, replayed: false });
});

Deno.test("a stored answer that is not one (bad JSON, no fingerprint, a list) is refused", async () => {
  for (const bad of ["{", '{"b":{}}', `{"f":"${"0".repeat(64)}","b":[1]}`]) {
    const store = new MemoryIdempotency();
    await store.claim("publish:k1", TTL);
    await store.settle("publish:k1", bad, TTL);
    await assert.rejects(once(options(store), () => Promise.resolve({})));
  }
});
