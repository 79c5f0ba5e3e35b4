/**
 * `/socket.io/`: the Socket.IO endpoint (Engine.IO v4, Socket.IO v5), long-polling and WebSocket,
 * for every method and query; the edge (`lib/edge/socketio/`) answers each request, 400 included.
 *
 * @module
 */

import { socketIoEdge } from "../../lib/edge/socketio/mod.ts";
import { define } from "../../utils.ts";

export const config = { routeOverride: "/socket.io{/}?" };

export const handler = define.handlers((ctx) =>
  socketIoEdge(ctx.state.services).main.handle(ctx.req)
);
