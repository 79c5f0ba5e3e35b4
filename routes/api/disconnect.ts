/**
 * `POST /api/disconnect {sessionId | userId, code?, reason?}`: ends sessions wherever they live,
 * with no resume (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../lib/server/api/route.ts";
import { define } from "../../utils.ts";

export const handler = define.handlers(
  apiRoute("disconnect", ({ hub }, request) => hub.calls.disconnect(request)),
);
