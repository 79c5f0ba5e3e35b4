/**
 * `POST /api/broadcast {rooms, text, name?, data?, idempotencyKey?}`: one message from the
 * application's backend into up to 100 rooms (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../lib/server/api/route.ts";
import { define } from "../../utils.ts";

export const handler = define.handlers(
  apiRoute("broadcast", ({ hub }, request) => hub.calls.broadcast(request)),
);
