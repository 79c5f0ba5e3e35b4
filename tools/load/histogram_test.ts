import assert from "node:assert/strict";
import { Histogram } from "./histogram.ts";

Deno.test("histogram: small values are exact and percentiles use nearest rank", () => {
  const h = new Histogram();
  for (let v = 1; v <= 100; v++) h.record(v);
  assert.equal(h.count, 100);
  assert.equal(h.min, 1);
  assert.equal(h.max, 100);
  assert.equal(h.mean, 50.5);
  assert.equal(h.percentile(50), 50);
  assert.equal(h.percentile(90), 90);
  assert.equal(h.percentile(99), 99);
  assert.equal(h.percentile(100), 100);
  assert.equal(h.percentile(0), 1);
});

Deno.test("histogram: large values stay within 1/128 of the truth", () => {
  const h = new Histogram();
  const values: number[] = [];
  for (let i = 0; i < 10_000; i++) values.push(Math.round(300 + i * 731.7));
  for (const v of values) h.record(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of [1, 10, 50, 90, 99, 99.9]) {
    const truth = sorted[Math.ceil((p / 100) * sorted.length) - 1];
    const got = h.percentile(p);
    assert.ok(got >= truth && got <= truth * (1 + 1 / 128), `p${p}: ${got} vs ${truth}`);
  }
  assert.equal(h.percentile(100), sorted.at(-1));
  assert.equal(h.max, sorted.at(-1));
});

Deno.test("histogram: milliseconds, clamping and the empty case", () => {
  const h = new Histogram();
  assert.equal(h.percentile(99), 0);
  assert.equal(h.mean, 0);
  assert.equal(h.min, 0);
  h.recordMs(1.5);
  h.record(-5);
  h.record(1e12);
  assert.equal(h.count, 3);
  assert.equal(h.min, 0);
  assert.equal(h.percentile(50), 1503); // 1500 µs, reported as its bucket's top
  assert.equal(h.max, 2 ** 31 - 1);
  assert.throws(() => h.percentile(101), RangeError);
  assert.throws(() => h.percentile(NaN), RangeError);
});

Deno.test("histogram: merging through JSON equals recording in one place", () => {
  const a = new Histogram(), b = new Histogram(), all = new Histogram();
  for (let i = 0; i < 5000; i++) {
    const v = (i * 7919) % 100_000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  const merged = Histogram.from(JSON.parse(JSON.stringify(a)));
  merged.merge(b);
  assert.deepEqual(merged.toJSON(), all.toJSON());
  for (const p of [50, 90, 99]) assert.equal(merged.percentile(p), all.percentile(p));
  assert.deepEqual(new Histogram().merge(new Histogram()).toJSON(), new Histogram().toJSON());
});
