/**
 * `GET /metrics`: Prometheus text format; the names are listed in `docs/operations.md`. With
 * `METRICS_TOKEN` set it needs that bearer token, otherwise it answers this machine only
 * (`lib/server/metrics/access.ts`).
 *
 * @module
 */

import { metricsRefusal } from "../lib/server/metrics/access.ts";
import { define } from "../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { config, exporter } = ctx.state.services;
    const refusal = metricsRefusal(ctx.req, ctx.info, config.metricsToken);
    if (refusal) return refusal;
    return new Response(await exporter.render(), {
      headers: { "content-type": exporter.contentType, "cache-control": "no-store" },
    });
  },
});
