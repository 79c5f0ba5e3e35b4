/**
 * `/conformance/socket.io/`: the official Socket.IO protocol suite's fixture, with
 * `SIO_CONFORMANCE=1` only (`lib/edge/socketio/conformance.ts`); 404 otherwise.
 *
 * @module
 */

import { socketIoEdge } from "../../../lib/edge/socketio/mod.ts";
import { define } from "../../../utils.ts";

export const config = { routeOverride: "/conformance/socket.io{/}?" };

export const handler = define.handlers((ctx) => {
  const conformance = socketIoEdge(ctx.state.services).conformance;
  return conformance
    ? conformance.socketio.handle(ctx.req)
    : new Response("Not found\n", { status: 404 });
});
