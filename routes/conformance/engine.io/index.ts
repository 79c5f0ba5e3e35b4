/**
 * `/conformance/engine.io/`: the official Engine.IO protocol suite's fixture, an echo server,
 * with `SIO_CONFORMANCE=1` only (`lib/edge/socketio/conformance.ts`); 404 otherwise.
 *
 * @module
 */

import { socketIoEdge } from "../../../lib/edge/socketio/mod.ts";
import { define } from "../../../utils.ts";

export const config = { routeOverride: "/conformance/engine.io{/}?" };

export const handler = define.handlers((ctx) => {
  const conformance = socketIoEdge(ctx.state.services).conformance;
  return conformance
    ? conformance.engineio.handle(ctx.req)
    : new Response("Not found\n", { status: 404 });
});
