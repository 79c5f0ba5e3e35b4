/**
 * `GET /ws`: the WebSocket endpoint. Checks the origin before upgrading, then hands the socket to
 * the edge (`lib/edge/connection.ts`), which binds it to the hub.
 *
 * @module
 */

import { attachSocket } from "../lib/edge/connection.ts";
import { originAllowed } from "../lib/edge/origin.ts";
import { resumeToken } from "../lib/edge/resume.ts";
import { define } from "../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    const { services } = ctx.state;
    const req = ctx.req;
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("This endpoint speaks WebSocket; see docs/protocol.md\n", {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    }
    if (services.closing) {
      return new Response("Shutting down\n", { status: 503, headers: { "retry-after": "1" } });
    }
    if (!originAllowed(req, services.config)) {
      services.log.warn("refused upgrade", { origin: req.headers.get("origin") });
      return new Response("Origin not allowed\n", { status: 403 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req, {
      idleTimeout: services.config.idleTimeoutS,
    });
    attachSocket(socket, services, { resumeToken: resumeToken(ctx.url) });
    return response;
  },
});
