import assert from "node:assert/strict";
import {
  ConnectionCount,
  connectionLimit,
  FALLBACK_OPEN_FILES,
  MIN_DERIVED,
  parseOpenFiles,
  readOpenFiles,
} from "./capacity.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max open files            20000                20000                files     
Max locked memory         8388608              8388608              bytes     
`;

Deno.test("the soft open-file limit is read from /proc/self/limits", () => {
  assert.equal(parseOpenFiles(LIMITS), 20_000);
  assert.equal(parseOpenFiles(LIMITS.replace("20000                20000", "1024 4096")), 1024);
  // Bad input: no such line, or a limit that is not a number.
  assert.equal(parseOpenFiles("Max file size  unlimited  unlimited  bytes\n"), undefined);
  assert.equal(parseOpenFiles(LIMITS.replace(/20000 +20000/, "unlimited unlimited")), undefined);
  const readable = Deno.permissions.querySync({ name: "read", path: "/proc/self/limits" });
  if (Deno.build.os === "linux" && readable.state === "granted") assert.ok(readOpenFiles()! > 0);
});

Deno.test("MAX_CONNECTIONS=0 derives the limit: the open-file limit less 64 and 10%", () => {
  assert.deepEqual(connectionLimit(0, () => 20_000), {
    max: 17_936,
    source: "open-file limit",
    openFiles: 20_000,
  });
  assert.equal(connectionLimit(0, () => 1024).max, 857);
  assert.equal(connectionLimit(0, () => 200).max, 116);
  // A limit too small for the reserve still serves a few.
  assert.equal(connectionLimit(0, () => 64).max, MIN_DERIVED);
});

Deno.test("a set MAX_CONNECTIONS wins; an unreadable open-file limit falls back and says so", () => {
  assert.deepEqual(connectionLimit(50_000, () => 20_000), {
    max: 50_000,
    source: "MAX_CONNECTIONS",
  });
  const fallback = connectionLimit(0, () => undefined);
  assert.equal(fallback.source, "fallback");
  assert.equal(fallback.openFiles, FALLBACK_OPEN_FILES);
  assert.equal(fallback.max, connectionLimit(0, () => FALLBACK_OPEN_FILES).max);
});

/** Enough of a server-side WebSocket for the count: events and a ready state. */
class FakeSocket extends EventTarget {
  readyState: number = WebSocket.CONNECTING;
}

Deno.test("connections count from upgrade to close, once each", () => {
  const count = new ConnectionCount(2);
  const [a, b] = [new FakeSocket(), new FakeSocket()];
  count.track(a as unknown as WebSocket);
  assert.equal(count.full, false);
  count.track(b as unknown as WebSocket);
  assert.equal(count.open, 2);
  assert.equal(count.full, true);
  // Opened, then an error and its close: counted down once.
  a.readyState = WebSocket.OPEN;
  a.dispatchEvent(new Event("error"));
  assert.equal(count.open, 2);
  a.readyState = WebSocket.CLOSED;
  a.dispatchEvent(new Event("close"));
  a.dispatchEvent(new Event("close"));
  assert.equal(count.open, 1);
  assert.equal(count.full, false);
});

Deno.test("an upgrade that fails before opening (error, no close) is let go", () => {
  const count = new ConnectionCount(1);
  const socket = new FakeSocket();
  count.track(socket as unknown as WebSocket);
  socket.dispatchEvent(new Event("error"));
  assert.equal(count.open, 0);
  socket.dispatchEvent(new Event("close"));
  assert.equal(count.open, 0);
});
