/**
 * The edge with a stand-in socket, for timing rules that a real socket cannot be steered through:
 * the slow-consumer grace and what happens to a dropped session.
 */

import assert from "node:assert/strict";
import { DEFAULTS } from "../server/config.ts";
import { attachSocket, SLOW_GRACE_MS, SLOW_HARD_FACTOR } from "./connection.ts";
import { Hub } from "../hub/hub.ts";
import { silentLogger } from "../server/log.ts";
import { CLOSE_CODES } from "../protocol/mod.ts";

/** Just enough of a server-side WebSocket: handlers, a settable `bufferedAmount`, a close log. */
class FakeSocket {
  readyState: number = WebSocket.CONNECTING;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  open() {
    this.readyState = WebSocket.OPEN;
    this.onopen?.();
  }
  receive(data: unknown) {
    this.onmessage?.({ data });
  }
  send(frame: string) {
    this.sent.push(frame);
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = WebSocket.CLOSING;
  }
}

function setup(maxBufferedBytes = 1000) {
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000 });
  const config = { ...DEFAULTS, maxBufferedBytes, chatRate: 0 };
  const sockets = new Set<WebSocket>();
  const attach = () => {
    const socket = new FakeSocket();
    attachSocket(socket as unknown as WebSocket, { hub, config, log: silentLogger, sockets });
    socket.open();
    return socket;
  };
  return { hub, sockets, attach };
}

Deno.test("a queue over the limit for the whole grace drops the client with 4008", async () => {
  const { hub, sockets, attach } = setup();
  const slow = attach();
  const other = attach();
  slow.bufferedAmount = 5000; // over 1000, under the hard factor
  other.receive(JSON.stringify({ type: "chat", id: 1, data: { room: "lobby", text: "hi" } }));
  assert.equal(slow.closedWith, undefined, "no verdict before the grace");
  await new Promise((r) => setTimeout(r, SLOW_GRACE_MS + 100));
  assert.equal(slow.closedWith, CLOSE_CODES.slowConsumer);
  assert.equal(hub.count, 1, "the session ends at once, not when the close completes");
  assert.equal(sockets.size, 1);
  assert.equal(other.closedWith, undefined);
});

Deno.test("a queue that drains within the grace is forgiven", async () => {
  const { hub, attach } = setup();
  const bursty = attach();
  const other = attach();
  bursty.bufferedAmount = 5000;
  other.receive(JSON.stringify({ type: "chat", id: 1, data: { room: "lobby", text: "hi" } }));
  bursty.bufferedAmount = 0;
  await new Promise((r) => setTimeout(r, SLOW_GRACE_MS + 100));
  assert.equal(bursty.closedWith, undefined);
  assert.equal(hub.count, 2);
});

Deno.test("a queue past the hard factor is dropped at once", () => {
  const { hub, attach } = setup();
  const slow = attach();
  const other = attach();
  slow.bufferedAmount = 1000 * SLOW_HARD_FACTOR + 1;
  other.receive(JSON.stringify({ type: "chat", id: 1, data: { room: "lobby", text: "hi" } }));
  assert.equal(slow.closedWith, CLOSE_CODES.slowConsumer);
  assert.equal(hub.count, 1);
  // Nothing more is sent to a dropped client.
  const before = slow.sent.length;
  other.receive(JSON.stringify({ type: "chat", id: 2, data: { room: "lobby", text: "again" } }));
  assert.equal(slow.sent.length, before);
});

Deno.test("frames after a drop are ignored; close after a drop is harmless", () => {
  const { hub, attach } = setup();
  const socket = attach();
  // Bad input: a 70,000-byte frame against the default 65,536 limit.
  socket.receive(JSON.stringify({ type: "random", id: 1, data: { text: "x".repeat(70_000) } }));
  assert.equal(socket.closedWith, CLOSE_CODES.tooBig);
  assert.equal(hub.count, 0);
  const sent = socket.sent.length;
  socket.receive(JSON.stringify({ type: "ping", id: 2 }));
  assert.equal(socket.sent.length, sent);
  socket.onclose?.();
  assert.equal(hub.count, 0);
});

Deno.test("an unexpected error inside the hub becomes an internal reply, not a crash", () => {
  const { hub, attach } = setup();
  const socket = attach();
  hub.handle = () => {
    throw new Error("boom");
  };
  socket.receive(JSON.stringify({ type: "ping", id: 9 }));
  const reply = JSON.parse(socket.sent.at(-1)!);
  assert.deepEqual(reply.error.code, "internal");
  assert.equal(reply.id, 9);
  assert.equal(socket.closedWith, undefined);
});
