import assert from "node:assert/strict";
import {
  companionFirst,
  median,
  medianOf,
  placeBeside,
  rotate,
  roundRatios,
  spread,
} from "./rounds.ts";

Deno.test("rotate: each round starts one server later", () => {
  const order = ["hub", "echo", "socket.io", "flask"];
  assert.deepEqual(rotate(order, 0), order);
  assert.deepEqual(rotate(order, 1), ["echo", "socket.io", "flask", "hub"]);
  assert.deepEqual(rotate(order, 5), ["echo", "socket.io", "flask", "hub"]);
  assert.deepEqual(rotate([], 3), []);
});

Deno.test("median and spread: odd and even counts, missing values left out", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
  assert.deepEqual(spread([3, undefined, 1, 2]), {
    median: 2,
    min: 1,
    max: 3,
    n: 3,
    values: [3, 1, 2],
  });
  assert.equal(spread([undefined, NaN]), undefined);
});

Deno.test("roundRatios: ratios within each round, then their median", () => {
  // The median of the per-round ratios is 1; the ratio of the medians (10 ÷ 8) would be 1.25.
  const hub = [10, 4, 12];
  const echo = [10, 4, 8];
  const r = roundRatios(hub, echo)!;
  assert.deepEqual(r.values, [1, 1, 1.5]);
  assert.equal(r.median, 1);
  assert.equal(r.min, 1);
  assert.equal(r.max, 1.5);
  // A round one side lacks is skipped, and so is a zero divisor.
  assert.deepEqual(roundRatios([1, 2, 3], [undefined, 0, 6])!.values, [0.5]);
});

Deno.test("medianOf: field by field, nested objects and arrays", () => {
  const a = { n: 1, name: "a", inner: { x: 10 }, list: [{ y: 1 }] };
  const b = { n: 5, name: "b", inner: { x: 30 }, list: [{ y: 3 }] };
  const c = { n: 3, name: "c", inner: { x: 20 }, list: [{ y: 2 }] };
  assert.deepEqual(medianOf([a, b, c]), { n: 3, name: "a", inner: { x: 20 }, list: [{ y: 2 }] });
  assert.deepEqual(medianOf([a, undefined]), a);
  assert.equal(medianOf([undefined, undefined]), undefined);
});

Deno.test("placeBeside: a companion runs right next to its base, wherever the rotation puts it", () => {
  const pair = [["hub-nohistory", "hub"]] as const;
  assert.deepEqual(placeBeside(["echo", "hub", "socket.io"], pair, false), [
    "echo",
    "hub",
    "hub-nohistory",
    "socket.io",
  ]);
  assert.deepEqual(placeBeside(["socket.io", "echo", "hub"], pair, true), [
    "socket.io",
    "echo",
    "hub-nohistory",
    "hub",
  ]);
  // Without its base, it still runs, last.
  assert.deepEqual(placeBeside(["echo"], pair, true), ["echo", "hub-nohistory"]);
  assert.deepEqual(placeBeside(["echo", "hub"], [], true), ["echo", "hub"]);
});

Deno.test("companionFirst: alternates, and is before the base in the last round", () => {
  assert.deepEqual([0, 1, 2].map((r) => companionFirst(r, 3)), [true, false, true]);
  assert.deepEqual([0, 1].map((r) => companionFirst(r, 2)), [false, true]);
  assert.equal(companionFirst(0, 1), true);
});
