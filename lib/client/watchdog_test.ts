/**
 * The heartbeat watchdog on a fake clock.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { FakeTimers } from "./testing/fake_timers.ts";
import { Watchdog } from "./watchdog.ts";

function setup(): { timers: FakeTimers; watchdog: Watchdog; silences: () => number } {
  const timers = new FakeTimers();
  let silences = 0;
  const watchdog = new Watchdog({ onSilence: () => silences++, timers });
  return { timers, watchdog, silences: () => silences };
}

Deno.test("silence after the welcome: fires once, after two whole empty intervals", () => {
  const { timers, watchdog, silences } = setup();
  watchdog.start(100);
  // The welcome counts for the first interval; the next two are empty.
  timers.advance(299);
  equal(silences(), 0);
  timers.advance(1);
  equal(silences(), 1);
  equal(watchdog.running, false, "it stops before reporting");
  timers.advance(10_000);
  equal(silences(), 1);
  equal(timers.scheduled, 0);
});

Deno.test("any frame within each interval keeps the connection", () => {
  const { timers, watchdog, silences } = setup();
  watchdog.start(100);
  for (let i = 0; i < 50; i++) {
    timers.advance(100);
    watchdog.sawFrame();
  }
  equal(silences(), 0);
  equal(watchdog.running, true);
});

Deno.test("one empty interval is forgiven when a frame follows", () => {
  const { timers, watchdog, silences } = setup();
  watchdog.start(100);
  timers.advance(200); // first interval had the welcome, the second was empty
  watchdog.sawFrame();
  timers.advance(100); // resets the count
  timers.advance(100); // one empty interval again
  equal(silences(), 0);
  timers.advance(100);
  equal(silences(), 1);
});

Deno.test("no heartbeat (0, negative, NaN) means no watching; start replaces the interval", () => {
  const { timers, watchdog, silences } = setup();
  for (const heartbeatMs of [0, -5, NaN]) {
    watchdog.start(heartbeatMs);
    equal(watchdog.running, false);
  }
  watchdog.start(100);
  watchdog.start(1000);
  equal(timers.scheduled, 1);
  timers.advance(2999);
  equal(silences(), 0, "the 100 ms interval is gone");
  timers.advance(1);
  equal(silences(), 1);
  watchdog.stop();
  watchdog.stop();
  equal(watchdog.running, false);
});
