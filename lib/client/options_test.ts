/**
 * The client's option defaults and their checks.
 *
 * @module
 */

import assert, { deepEqual, equal } from "node:assert/strict";
import { resolveOptions } from "./options.ts";
import { FakeTimers } from "./testing/fake_timers.ts";
import { systemTimers } from "./timers.ts";

Deno.test("resolveOptions fills in the documented defaults", () => {
  deepEqual(resolveOptions({}), {
    requestTimeoutMs: 10_000,
    reconnect: true,
    backoff: { minDelayMs: 250, maxDelayMs: 10_000 },
    maxRetries: Infinity,
    watchdog: true,
    headers: undefined,
    resumeToken: undefined,
    getToken: undefined,
    WebSocket: globalThis.WebSocket,
    timers: systemTimers,
  });
});

Deno.test("resolveOptions keeps what was given, including falsy values", () => {
  const timers = new FakeTimers();
  const settings = resolveOptions({
    requestTimeoutMs: 0,
    reconnect: false,
    minDelayMs: 0,
    maxDelayMs: 0,
    maxRetries: 0,
    watchdog: false,
    headers: { Origin: "https://o" },
    resumeToken: "tok",
    timers,
  });
  equal(settings.requestTimeoutMs, 0);
  equal(settings.reconnect, false);
  deepEqual(settings.backoff, { minDelayMs: 0, maxDelayMs: 0 });
  equal(settings.maxRetries, 0);
  equal(settings.watchdog, false);
  deepEqual(settings.headers, { Origin: "https://o" });
  equal(settings.resumeToken, "tok");
  equal(settings.timers, timers);
});

Deno.test("resolveOptions: an empty resume token means none", () => {
  equal(resolveOptions({ resumeToken: "" }).resumeToken, undefined);
});

Deno.test("resolveOptions refuses a minimum above the maximum", () => {
  assert.throws(() => resolveOptions({ minDelayMs: 50, maxDelayMs: 10 }), RangeError);
  assert.throws(() => resolveOptions({ minDelayMs: 20_000 }), RangeError);
});
