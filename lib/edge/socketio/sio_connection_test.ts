/**
 * A CONNECT that a namespace authorizes asynchronously (a token check, a place under
 * `USER_CONNECTION_LIMIT`): a grant that comes after its connection ended is handed back to the
 * namespace (`Namespace.unused`), never connected, so that nothing it holds is kept.
 */

import assert from "node:assert/strict";
import { type Namespace, SioConnection } from "./sio_connection.ts";
import type { EngineSocket } from "./engine_socket.ts";
import type { Clock } from "../clock.ts";
import { silentLogger } from "../../server/log.ts";

/** A clock whose timers never run: the connect timeout is not what is tested. */
const stillClock: Clock = { now: () => 0, setTimeout: () => 1, clearTimeout() {} };

Deno.test("a CONNECT whose connection ends while it is authorized: its grant is handed back, not connected", async () => {
  const sent: string[] = [];
  const engine = {
    sid: "engine-1",
    onMessage: (_data: string) => {},
    onClose: (_reason: string) => {},
    send: (text: string) => void sent.push(text),
    close() {},
  };
  const granted = Promise.withResolvers<{ place: string }>();
  const seen: string[] = [];
  const namespace: Namespace = {
    authorize: () => granted.promise,
    unused: (grant) => void seen.push(`unused ${(grant as { place: string }).place}`),
    connect: () => void seen.push("connect"),
    event() {},
    disconnect() {},
  };
  new SioConnection(engine as unknown as EngineSocket, {
    namespaces: new Map([["/", namespace]]),
    connectTimeout: 45_000,
    maxPayload: 1_000_000,
    limits: { rateLimit: 0, chatRate: 0 },
    clock: stillClock,
    log: silentLogger,
    metrics: { messagesIn: 0, messagesOut: 0 },
  });
  engine.onMessage('0{"token":"a-token"}');
  engine.onClose("transport close");
  granted.resolve({ place: "p1" });
  await granted.promise;
  await Promise.resolve();
  assert.deepEqual(seen, ["unused p1"]);
  assert.deepEqual(sent, [], "nothing goes to a connection that ended");
});
