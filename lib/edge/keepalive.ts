/**
 * The keepalive of a server WebSocket, and the memory it kept. Deno's `idleTimeout` (set from
 * `IDLE_TIMEOUT_S` in `routes/ws.ts`) pings a peer that has sent nothing for half of it and drops
 * one that answers nothing for the other half, closing its connection for good. Deno's public API
 * has nothing else for this: a server socket can neither send a ping frame nor see a pong, and a
 * close from this side that the peer never answers leaves the connection open.
 *
 * Deno 2.9.6 (`ext/websocket/01_websocket.js`) arms that timer as a core system timer, and the
 * `close` listener `Deno.upgradeWebSocket` adds clears it with `clearTimeout`, which knows only
 * `setTimeout`'s numbers and does nothing with it. Only the peer's close frame cancels it for real.
 * So after a drop without a close frame, the timer's callback keeps the closed socket, and through
 * it its handlers, the edge's state and Deno's upgrade request (about 6.5 KB in all), until it
 * fires, up to `IDLE_TIMEOUT_S` / 2 later: in a storm of 5,000 such drops a second, 0.5 GB held
 * for 15 s at the default 30 s.
 *
 * {@link releaseIdleTimer} re-arms the timer through Deno's own method with a timeout of half a
 * millisecond: that method cancels the old timer properly, and the new one finds the socket closed
 * and ends without a trace. The method and the timeout field are internal, found by their symbols'
 * descriptions; where Deno no longer has them nothing happens (and `keepalive_test.ts` fails).
 *
 * @module
 */

/** Deno's method that (re-)arms a server socket's idle timer: `[[serverHandleIdleTimeout]]`. */
const REARM = Object.getOwnPropertySymbols(WebSocket.prototype)
  .find((key) => key.description === "[[serverHandleIdleTimeout]]");

/** The timeout the method reads, in seconds, on each socket: `[[idleTimeout]]`. */
let timeoutKey: symbol | undefined;

/** Seconds: the re-armed timer runs after half of it, on the next turn of the event loop. */
const RELEASE_S = 0.001;

/**
 * Lets a closed server socket go now instead of when Deno's idle timer would have fired; call it
 * from the socket's `close` handler. Returns false where it could not: `socket` is not a socket
 * from `Deno.upgradeWebSocket`, or Deno's internals changed.
 */
export function releaseIdleTimer(socket: WebSocket): boolean {
  if (!REARM || socket.readyState !== WebSocket.CLOSED) return false;
  timeoutKey ??= Object.getOwnPropertySymbols(socket)
    .find((key) => key.description === "[[idleTimeout]]");
  const internals = socket as unknown as Record<symbol, unknown>;
  if (!timeoutKey || !(timeoutKey in internals)) return false;
  // No timeout, no timer to let go of.
  if (!internals[timeoutKey]) return true;
  const rearm = internals[REARM];
  if (typeof rearm !== "function") return false;
  internals[timeoutKey] = RELEASE_S;
  rearm.call(socket);
  return true;
}
