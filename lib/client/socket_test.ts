/**
 * Opening sockets and letting abandoned ones finish closing, with a fake `WebSocket`.
 *
 * @module
 */

import { deepEqual, equal } from "node:assert/strict";
import { Draining, openSocket } from "./socket.ts";

/** Records how it was constructed and closed; `close` events are dispatched by the test. */
class FakeSocket extends EventTarget {
  static made: unknown[][] = [];
  readyState = 1;
  closedWith: [number, string] | undefined;
  constructor(...args: unknown[]) {
    super();
    FakeSocket.made.push(args);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.readyState = 2;
  }
}
const FakeWebSocket = FakeSocket as unknown as typeof WebSocket;

Deno.test("openSocket passes headers only when there are some", () => {
  FakeSocket.made = [];
  openSocket("ws://h.test/ws", { WebSocket: FakeWebSocket, headers: undefined });
  openSocket("ws://h.test/ws", { WebSocket: FakeWebSocket, headers: { Origin: "https://o" } });
  deepEqual(FakeSocket.made, [
    ["ws://h.test/ws"],
    ["ws://h.test/ws", { headers: { Origin: "https://o" } }],
  ]);
});

Deno.test("Draining closes a socket and settles only after its close event", async () => {
  const draining = new Draining();
  const ws = new FakeSocket();
  draining.close(ws as unknown as WebSocket, 4000, "Heartbeat timeout");
  deepEqual(ws.closedWith, [4000, "Heartbeat timeout"]);
  let settled = false;
  const done = draining.settled().then(() => settled = true);
  // A macrotask barrier: every microtask that could settle it has run.
  await new Promise((resolve) => setTimeout(resolve, 0));
  equal(settled, false);
  ws.dispatchEvent(new Event("close"));
  await done;
  equal(settled, true);
});

Deno.test("Draining leaves closed sockets alone", async () => {
  const draining = new Draining();
  const ws = new FakeSocket();
  ws.readyState = 3;
  draining.close(ws as unknown as WebSocket, 1000, "Client closed");
  equal(ws.closedWith, undefined);
  await draining.settled();
});
