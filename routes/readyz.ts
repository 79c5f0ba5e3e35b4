/**
 * `GET /readyz`: whether to send this node clients. `200 ready`, or `503` with the reason: shutting
 * down, or (with `REDIS_URL`) Redis disconnected or a subscription missing
 * (`lib/server/metrics/health.ts`).
 *
 * @module
 */

import { notReady } from "../lib/server/metrics/health.ts";
import { define } from "../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    const reason = notReady(ctx.state.services);
    return new Response(reason ?? "ready", {
      status: reason ? 503 : 200,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  },
});
