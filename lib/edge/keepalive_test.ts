/**
 * Deno's idle timer against a real server socket: a peer that drops its TCP connection without a
 * close frame leaves a closed socket that Deno keeps until the timer fires, and
 * {@link releaseIdleTimer} lets it go at once. Whether a socket is still kept is read through a
 * `WeakRef` after a full collection (V8's `gc`, exposed through `node:v8`).
 */

import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { releaseIdleTimer } from "./keepalive.ts";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** A full collection in a fresh task, so that no `WeakRef` read in this one pins its target. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  return ref.deref() === undefined;
}

/**
 * A server that upgrades one connection with `idleTimeout: 30`, and a raw client that drops it
 * after the handshake with no close frame. Resolves, once the server's socket has closed, to a
 * weak reference to it; `onClose` runs in its `close` handler.
 */
async function droppedSocket(onClose: (socket: WebSocket) => void): Promise<WeakRef<WebSocket>> {
  const closed = Promise.withResolvers<WeakRef<WebSocket>>();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 30 });
    socket.onclose = () => {
      onClose(socket);
      closed.resolve(new WeakRef(socket));
    };
    return response;
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await conn.write(new TextEncoder().encode(
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ));
  const answer = new Uint8Array(1024);
  const n = await conn.read(answer);
  assert.match(new TextDecoder().decode(answer.subarray(0, n ?? 0)), /^HTTP\/1\.1 101/);
  conn.close();
  return await closed.promise;
}

Deno.test("Deno keeps a server socket dropped without a close frame until its idle timer fires", async () => {
  // Bad input: a TCP connection closed with no close frame. This is the Deno behaviour that
  // releaseIdleTimer works around; if this test fails, Deno lets such sockets go by itself and the
  // workaround can go.
  const ref = await droppedSocket(() => {});
  assert.equal(await collected(ref), false, "Deno let the closed socket go: drop the workaround");
});

Deno.test("releaseIdleTimer lets a server socket dropped without a close frame go at once", async () => {
  let released: boolean | undefined;
  const ref = await droppedSocket((socket) => released = releaseIdleTimer(socket));
  assert.equal(released, true, "Deno's idle timer was not found on the socket");
  // Deno's timer, re-armed for half a millisecond, has to run once before the socket is free.
  const deadline = Date.now() + 1000;
  while (!await collected(ref)) {
    assert.ok(Date.now() < deadline, "the closed socket is still kept after a second");
  }
});

Deno.test("releaseIdleTimer leaves anything that is not Deno's socket alone", () => {
  const standIn = { readyState: WebSocket.CLOSED } as unknown as WebSocket;
  assert.equal(releaseIdleTimer(standIn), false);
});
