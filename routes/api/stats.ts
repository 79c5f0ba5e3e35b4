/**
 * `GET /api/stats`: live figures for dashboards and health checks.
 *
 * @module
 */

import { define } from "../../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { hub, metrics: { messagesIn, messagesOut } } = ctx.state.services;
    const { count, rooms, uptimeMs } = await hub.stats();
    return Response.json({ count, rooms, uptimeMs, messagesIn, messagesOut }, {
      headers: { "cache-control": "no-store" },
    });
  },
});
