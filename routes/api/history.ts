/**
 * `GET /api/history?room=&limit=&before=`: a page of a room's history, as the wire's `history`
 * answers it, whether or not anyone is in the room (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../lib/server/api/route.ts";
import { define } from "../../utils.ts";

export const handler = define.handlers(
  apiRoute("history", ({ hub }, request) => hub.calls.history(request)),
);
