/**
 * `GET /api/stats`: live figures for dashboards and health checks.
 *
 * @module
 */

import { define } from "../../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { count, rooms, uptimeMs, messagesIn, messagesOut } = await ctx.state.services.hub
      .stats();
    return Response.json({ count, rooms, uptimeMs, messagesIn, messagesOut }, {
      headers: { "cache-control": "no-store" },
    });
  },
});
