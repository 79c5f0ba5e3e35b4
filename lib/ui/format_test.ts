import assert from "node:assert/strict";
import { ago, clockTime, duration, shortTime } from "./format.ts";
import { defaultName } from "../protocol/mod.ts";

Deno.test("format: clock times are zero-padded local times", () => {
  const t = new Date(2025, 0, 2, 9, 5, 7).getTime();
  assert.equal(clockTime(t), "09:05:07");
  assert.equal(shortTime(t), "09:05");
});

Deno.test("format: durations and ages read naturally", () => {
  assert.equal(duration(-5), "0s");
  assert.equal(duration(42_900), "42s");
  assert.equal(duration(125_000), "2m 05s");
  assert.equal(duration(7_385_000), "2h 03m 05s");
  assert.equal(ago(0, 1500), "just now");
  assert.equal(ago(0, 12_000), "12s ago");
  assert.equal(ago(0, 180_000), "3m ago");
  assert.equal(ago(0, 7_200_000), "2h ago");
});

Deno.test("format: guest names match the server's default", () => {
  assert.equal(defaultName("01J00000000000000000ABCDEF"), "guest-abcdef");
});
