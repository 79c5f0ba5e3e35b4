/** The event-loop monitor: a late tick is a busy loop; it measures a real one. */

import assert from "node:assert/strict";
import { EventLoopMonitor } from "./event_loop.ts";

Deno.test("a tick's delay is its lateness past the interval, never below zero", () => {
  const seen: number[] = [];
  const monitor = new EventLoopMonitor((s) => seen.push(s), 100);
  monitor.tick(1000); // late against the start mark; not what this test is about
  seen.length = 0;
  monitor.tick(1100);
  monitor.tick(1450);
  monitor.tick(1540);
  assert.deepEqual(seen, [0, 0.25, 0]);
});

Deno.test("a loop kept busy shows as one late tick", async () => {
  const seen: number[] = [];
  const { promise: ticked, resolve } = Promise.withResolvers<void>();
  const monitor = new EventLoopMonitor((s) => {
    seen.push(s);
    if (s > 0) resolve();
  }, 20);
  monitor.start();
  try {
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // Busy, as a long synchronous task keeps the loop.
    }
    await ticked;
  } finally {
    monitor.stop();
  }
  assert.ok(Math.max(...seen) >= 0.08, `a 120 ms block seen as ${Math.max(...seen)} s`);
});
