/**
 * `POST /api/publish {room, text, name?, data?, idempotencyKey?}`: a chat message from the
 * application's backend into one room (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../lib/server/api/route.ts";
import { define } from "../../utils.ts";

export const handler = define.handlers(
  apiRoute("publish", ({ hub }, request) => hub.calls.publish(request)),
);
