/**
 * `GET /healthz`: liveness. The process answers, so it is alive: `200 ok`, whatever its
 * dependencies say; `/readyz` is the one that looks at them.
 *
 * @module
 */

import { define } from "../utils.ts";

export const handler = define.handlers({
  GET() {
    return new Response("ok", {
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  },
});
