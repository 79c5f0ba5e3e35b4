/**
 * `GET /api/users/:userId/sessions`: a user's sessions, deployment-wide (`docs/api.md`).
 *
 * @module
 */

import { apiRoute } from "../../../../lib/server/api/route.ts";
import { define } from "../../../../utils.ts";

export const handler = define.handlers(
  apiRoute("user_sessions", ({ hub }, request) => hub.calls.userSessions(request), {
    params: (ctx) => ({ userId: ctx.params.userId }),
  }),
);
