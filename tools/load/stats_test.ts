import assert from "node:assert/strict";
import { linearFit, mean, percentile } from "./stats.ts";

Deno.test("percentile: nearest rank on known inputs, input left unsorted", () => {
  const samples = [40, 15, 50, 35, 20];
  assert.equal(percentile(samples, 5), 15);
  assert.equal(percentile(samples, 30), 20);
  assert.equal(percentile(samples, 40), 20);
  assert.equal(percentile(samples, 50), 35);
  assert.equal(percentile(samples, 100), 50);
  assert.equal(percentile(samples, 0), 15);
  assert.deepEqual(samples, [40, 15, 50, 35, 20]);
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 50), 50);
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile([1], 120), RangeError);
});

Deno.test("linearFit: slope of RSS against connections", () => {
  const xs = [1000, 4000, 7000, 10_000];
  const ys = xs.map((x) => 40e6 + 2500 * x);
  const fit = linearFit(xs, ys);
  assert.ok(Math.abs(fit.slope - 2500) < 1e-9);
  assert.ok(Math.abs(fit.intercept - 40e6) < 1e-3);
  assert.equal(fit.r2, 1);
  // Noise around y = 2x + 1: slope 2 within the noise, r² below 1.
  const noisy = linearFit([0, 1, 2, 3, 4], [1.1, 2.9, 5.2, 6.8, 9.0]);
  assert.ok(Math.abs(noisy.slope - 1.97) < 1e-9);
  assert.ok(noisy.r2 > 0.99 && noisy.r2 < 1);
  assert.equal(linearFit([1, 2], [5, 5]).slope, 0);
  assert.throws(() => linearFit([1], [1]), RangeError);
  assert.throws(() => linearFit([1, 1], [1, 2]), RangeError);
  assert.throws(() => linearFit([1, 2], [1]), RangeError);
});

Deno.test("mean", () => {
  assert.equal(mean([]), 0);
  assert.equal(mean([1, 2, 3, 6]), 3);
});
