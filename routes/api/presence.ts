/**
 * `GET /api/presence?room=`: every member of a room, deployment-wide (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../lib/server/api/route.ts";
import { define } from "../../utils.ts";

export const handler = define.handlers(
  apiRoute("presence", ({ hub }, request) => hub.calls.presence(request)),
);
