/**
 * The reconnect schedule: delay bounds, jitter from an injected random, the retry budget.
 *
 * @module
 */

import assert, { deepEqual, equal, ok } from "node:assert/strict";
import { backoffDelay, checkBackoff, RetrySchedule } from "./backoff.ts";

const bounds = { minDelayMs: 250, maxDelayMs: 10_000 };

Deno.test("backoffDelay grows with attempts and stays between min and max", () => {
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 50, 5000].map((a) => backoffDelay(a, bounds, () => 1));
  deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  for (let a = 0; a < 20; a++) equal(backoffDelay(a, bounds, () => 0), 250);
  equal(backoffDelay(2, bounds, () => 0.5), 250 + 0.5 * (2000 - 250));
  for (let a = 0; a < 40; a++) {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(a, bounds);
      ok(d >= 250 && d <= 10_000, `attempt ${a}: ${d} out of bounds`);
    }
  }
  // Equal bounds: no jitter at all; a zero minimum still grows.
  equal(backoffDelay(3, { minDelayMs: 100, maxDelayMs: 100 }, () => 0.7), 100);
  equal(backoffDelay(3, { minDelayMs: 0, maxDelayMs: 1000 }, () => 1), 16);
});

Deno.test("backoffDelay: the jitter is linear in random() between min and the ceiling", () => {
  // Attempt 1: ceiling 1000, so the delay spans [250, 1000).
  for (const r of [0, 0.25, 0.5, 0.999]) equal(backoffDelay(1, bounds, () => r), 250 + r * 750);
  // A negative attempt counts as the first.
  equal(backoffDelay(-3, bounds, () => 1), 500);
});

Deno.test("checkBackoff accepts 0 <= min <= max and names both bounds otherwise", () => {
  checkBackoff({ minDelayMs: 0, maxDelayMs: 0 });
  checkBackoff({ minDelayMs: 5, maxDelayMs: 5 });
  for (const [min, max] of [[50, 10], [-1, 10], [NaN, 10], [5, NaN]]) {
    assert.throws(
      () => checkBackoff({ minDelayMs: min, maxDelayMs: max }),
      (err) => err instanceof RangeError && err.message.includes(`got ${min} and ${max}`),
    );
  }
});

Deno.test("RetrySchedule: delays follow the attempts, the budget runs out, reset refills it", () => {
  const retry = new RetrySchedule({ ...bounds, reconnect: true, maxRetries: 3, random: () => 1 });
  deepEqual([retry.next(), retry.next(), retry.next()], [500, 1000, 2000]);
  equal(retry.attempt, 3);
  equal(retry.next(), undefined);
  equal(retry.next(), undefined, "a spent budget stays spent");
  retry.reset();
  equal(retry.attempt, 0);
  equal(retry.next(), 500, "after a reset the schedule starts from the first delay");
});

Deno.test("RetrySchedule: reconnect false or no retries gives up at once", () => {
  const off = new RetrySchedule({ ...bounds, reconnect: false, maxRetries: Infinity });
  equal(off.next(), undefined);
  const none = new RetrySchedule({ ...bounds, reconnect: true, maxRetries: 0 });
  equal(none.next(), undefined);
});

Deno.test("RetrySchedule uses the injected random for its jitter", () => {
  const draws = [0, 0.5, 1];
  const retry = new RetrySchedule({
    ...bounds,
    reconnect: true,
    maxRetries: Infinity,
    random: () => draws.shift()!,
  });
  deepEqual([retry.next(), retry.next(), retry.next()], [250, 250 + 0.5 * 750, 2000]);
  equal(draws.length, 0);
});

Deno.test("RetrySchedule: immediate skips the delay of the first attempt only", () => {
  const retry = new RetrySchedule({ ...bounds, reconnect: true, maxRetries: 3, random: () => 1 });
  equal(retry.next(true), 0);
  equal(retry.next(true), 1000, "a second attempt backs off even when asked for haste");
  equal(retry.next(), 2000);
  equal(retry.next(true), undefined, "haste does not extend the budget");
  retry.reset();
  equal(retry.next(true), 0);
  const none = new RetrySchedule({ ...bounds, reconnect: false, maxRetries: Infinity });
  equal(none.next(true), undefined, "reconnect false wins over haste");
});
