/**
 * The fixture the official protocol suites (socketio/engine.io-protocol and
 * socketio/socket.io-protocol, `test-suite/`) expect, served under `/conformance/` only with
 * `SIO_CONFORMANCE=1`: a bare Engine.IO server that echoes every message, and a Socket.IO server
 * whose `/` and `/custom` greet with `auth` and whose `/` echoes `message` and acks
 * `message-with-ack`. Nothing here touches the hub.
 *
 * @module
 */

import type { EngineSocket } from "./engine_socket.ts";
import type { Namespace } from "./sio_connection.ts";

/** The suites' timings: they poll at exactly `pingInterval + pingTimeout` after the handshake. */
export const CONFORMANCE_TIMINGS = {
  pingInterval: 300,
  pingTimeout: 200,
  upgradeTimeout: 10_000,
  connectTimeout: 1000,
  maxPayload: 1_000_000,
} as const;

/** The bare Engine.IO server's sessions: every message goes back as it came, text or binary. */
export function echo(session: EngineSocket): void {
  session.onMessage = (data) => session.send(data);
}

/**
 * How long `auth` waits after the CONNECT answer. The suites read the two with one-shot listeners
 * registered one after the other, so two frames that arrive in one TCP read lose the second (real
 * Socket.IO 4.8 fails the `/custom` tests most runs that way); apart, each is its own read.
 */
export const AUTH_DELAY_MS = 20;

const greeter: Namespace = {
  connect: (socket, auth) => void setTimeout(() => socket.emit("auth", auth), AUTH_DELAY_MS),
  event: () => {},
  disconnect: () => {},
};

const main: Namespace = {
  connect: greeter.connect,
  event(socket, { name, args, ack }) {
    if (name === "message") socket.emit("message-back", ...args);
    else if (name === "message-with-ack" && ack !== undefined) socket.ack(ack, args);
  },
  disconnect: () => {},
};

/** The Socket.IO fixture's namespaces. */
export function conformanceNamespaces(): Map<string, Namespace> {
  return new Map([["/", main], ["/custom", greeter]]);
}
