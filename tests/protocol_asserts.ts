/**
 * Assertions shared by the protocol tests: what a probe was welcomed with, and what a successful
 * or refused reply must look like.
 */

import assert from "node:assert/strict";
import type { Events } from "../lib/protocol/mod.ts";
import { type Frame, Probe, type TestServer } from "./helpers.ts";

/** A probe on `server`, welcomed. */
export function open(server: TestServer): Promise<Probe> {
  return Probe.open(server.wsUrl);
}

/** The `welcome` a probe got. */
export function welcomeOf(probe: Probe): Events["welcome"] {
  const frame = probe.frames.find((f) => f.type === "welcome");
  assert.ok(frame, "the probe has no welcome");
  return frame.data as unknown as Events["welcome"];
}

/** The probe's session id. */
export function idOf(probe: Probe): string {
  return welcomeOf(probe).sessionId;
}

/** The data of a successful reply. */
export function ok(frame: Frame): Record<string, unknown> {
  assert.equal(frame.type, "reply");
  assert.equal(frame.ok, true, `expected a successful reply, got ${JSON.stringify(frame)}`);
  assert.ok(frame.data, `a successful reply without data: ${JSON.stringify(frame)}`);
  return frame.data;
}

/** Asserts a refusal with `code` and a message, which names `field` when given. */
export function refused(frame: Frame, code: string, field?: string): void {
  assert.equal(frame.type, "reply");
  assert.equal(frame.ok, false, `expected ${code}, got ${JSON.stringify(frame)}`);
  assert.equal(frame.error?.code, code, `expected ${code}, got ${JSON.stringify(frame)}`);
  assert.equal(typeof frame.error?.message, "string");
  assert.ok(frame.error.message.length > 0, "an error without a message");
  if (field !== undefined) {
    assert.ok(
      frame.error.message.includes(field),
      `the ${code} message should name ${field}: ${frame.error.message}`,
    );
  }
}

/**
 * Waits until every frame the server queued for `probe` before now has arrived: the server writes
 * each socket's frames in order, so the reply to a `ping` sent now comes after all of them.
 */
export async function barrier(probe: Probe): Promise<void> {
  ok(await probe.request("ping"));
}

/** Matches an event frame of `type` whose data passes `pred`. */
export const isEvent =
  (type: string, pred: (d: Record<string, unknown>) => boolean = () => true) => (f: Frame) =>
    f.type === type && f.data !== undefined && pred(f.data);
