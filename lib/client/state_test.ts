/**
 * Connection state changes and the listener sets that report them.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { EventListeners, Listeners } from "./listeners.ts";
import { type CloseInfo, type ConnectionState, ConnectionStatus } from "./state.ts";

/** Replaces `console.error` while `fn` runs and returns what it was called with. */
function captureErrors(fn: () => void): unknown[][] {
  const calls: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => calls.push(args);
  try {
    fn();
  } finally {
    console.error = original;
  }
  return calls;
}

Deno.test("ConnectionStatus reports changes only, with the close that caused them", () => {
  const status = new ConnectionStatus();
  equal(status.current, "connecting");
  const heard: [ConnectionState, CloseInfo | null][] = [];
  const off = status.onChange((state, close) => heard.push([state, close]));
  equal(status.set("connected", null), true);
  equal(status.set("connected", null), false);
  const close = { code: 1001, reason: "going away" };
  equal(status.set("reconnecting", close), true);
  off();
  status.set("offline", null);
  equal(status.current, "offline");
  deepEqual(heard, [["connected", null], ["reconnecting", close]]);
});

Deno.test("a throwing listener is reported and the others still hear", () => {
  const listeners = new Listeners<[number]>();
  const heard: number[] = [];
  listeners.add(() => {
    throw new Error("listener bug");
  });
  listeners.add((n) => heard.push(n));
  const errors = captureErrors(() => listeners.emit(1));
  deepEqual(heard, [1]);
  equal(errors.length, 1);
  ok(String(errors[0][1]).includes("listener bug"));
});

Deno.test("EventListeners deliver by type and unsubscribe one listener at a time", () => {
  const events = new EventListeners();
  const heard: string[] = [];
  const offA = events.on("chat", (d: { text: string }) => heard.push(`a:${d.text}`));
  events.on("chat", (d: { text: string }) => heard.push(`b:${d.text}`));
  events.on("dm", () => heard.push("dm"));
  events.emit("chat", { text: "1" });
  offA();
  events.emit("chat", { text: "2" });
  events.emit("nobody_listens", {});
  deepEqual(heard, ["a:1", "b:1", "b:2"]);
});
