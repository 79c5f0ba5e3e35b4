import assert from "node:assert/strict";
import { Offence, TokenBucket } from "./rate_limit.ts";

Deno.test("a bucket allows its burst, then refills at its rate", () => {
  const bucket = new TokenBucket(10, 20);
  let passed = 0;
  for (let i = 0; i < 50; i++) if (bucket.take(0)) passed++;
  assert.equal(passed, 20);
  assert.equal(bucket.take(50), false, "half a token after 50 ms");
  assert.equal(bucket.take(100), true, "one token after 100 ms");
  assert.equal(bucket.take(100), false);
  // A long pause refills to the burst, never beyond it.
  passed = 0;
  for (let i = 0; i < 50; i++) if (bucket.take(60_000)) passed++;
  assert.equal(passed, 20);
});

Deno.test("a rate of 0 turns the limit off", () => {
  const bucket = new TokenBucket(0, 0);
  for (let i = 0; i < 100_000; i++) assert.ok(bucket.take(0));
});

Deno.test("offence: sustained rejections trip after the grace, a quiet gap resets", () => {
  const offence = new Offence(5000, 1000);
  assert.equal(offence.rejected(0), false);
  assert.equal(offence.rejected(900), false);
  assert.equal(offence.rejected(4999), false, "gaps under 1 s keep the offence going");
  // The 4999 rejection came 4099 ms after 900: that gap resets.
  assert.equal(offence.rejected(5000), false);
  for (let t = 5000; t < 10_000; t += 500) assert.equal(offence.rejected(t), false);
  assert.equal(offence.rejected(10_000), true);
});
