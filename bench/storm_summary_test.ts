import assert from "node:assert/strict";
import { percentile, type StormRecord, summarizeStorm } from "./storm_summary.ts";

Deno.test("percentile: nearest rank, unsorted input, empty and out of range", () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 99), 10);
  assert.equal(percentile(values, 90), 9);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile(values, 100), 10);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 50), undefined);
  assert.throws(() => percentile(values, 101), RangeError);
  // The input is left as it was.
  assert.deepEqual(values, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
});

Deno.test("summarizeStorm: outcomes, close codes, times from SIGTERM and per session", () => {
  const t = 1_000_000; // SIGTERM
  const records: StormRecord[] = [
    { code: 1012, closeAt: t + 5, welcomeAt: t + 25, outcome: "resumed" },
    { code: 1012, closeAt: t + 6, welcomeAt: t + 16, outcome: "resumed" },
    { code: 1012, closeAt: t + 8, welcomeAt: t + 38, outcome: "resumed" },
    { code: 1012, closeAt: t + 9, welcomeAt: t + 50, outcome: "new", detail: "resumed false" },
    { code: 1006, closeAt: t + 3100, welcomeAt: 0, outcome: "failed", detail: "closed 1006" },
    { code: 1012, closeAt: t + 10, welcomeAt: 0, outcome: "failed", detail: "closed 1006" },
    { code: 0, closeAt: 0, welcomeAt: 0, outcome: "open", detail: "never closed" },
  ];
  const s = summarizeStorm(records, t);
  assert.equal(s.sessions, 7);
  assert.equal(s.resumed, 3);
  assert.equal(s.newSessions, 1);
  assert.equal(s.failed, 2);
  assert.equal(s.notClosed, 1);
  assert.deepEqual(s.closeCodes, { 1012: 5, 1006: 1 });
  assert.equal(s.firstCloseMs, 5);
  assert.equal(s.lastCloseMs, 3100);
  // The last resumed welcome, not the new session's later one.
  assert.equal(s.lastResumedMs, 38);
  assert.equal(s.firstNewMs, 50);
  assert.equal(s.lastNewMs, 50);
  // Per session: 20, 10, 30 ms.
  assert.equal(s.resumeP50Ms, 20);
  assert.equal(s.resumeP99Ms, 30);
  assert.equal(s.resumeMaxMs, 30);
  assert.deepEqual(s.problems, [
    "1 × new: resumed false",
    "2 × failed: closed 1006",
    "1 × open: never closed",
  ]);
});

Deno.test("summarizeStorm: nothing resumed leaves the times out", () => {
  const s = summarizeStorm([], 0);
  assert.equal(s.sessions, 0);
  assert.equal(s.lastResumedMs, undefined);
  assert.equal(s.resumeP50Ms, undefined);
  assert.equal(s.firstNewMs, undefined);
  assert.deepEqual(s.closeCodes, {});
  assert.deepEqual(s.problems, []);
});
