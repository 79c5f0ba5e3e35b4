/**
 * The `refresh` request, which the edge answers with the hub: the new token is checked here (the
 * hub never sees tokens) and its identity handed to `Hub.refresh`, which keeps the session's user.
 * Both edges, `/ws` and Socket.IO's `/`, send `refresh` here instead of to `Hub.handle`.
 *
 * @module
 */

import { type Hub, HubError } from "../hub/hub.ts";
import type { ReplyData } from "../protocol/mod.ts";
import { KeysUnavailable, TokenRefused, type TokenVerifier } from "../auth/verify.ts";

/**
 * Replaces session `sessionId`'s token with `token`, checked at `now`.
 *
 * @throws {HubError} `unauthorized` for a token that does not verify (or no tokens at all on this
 * server), `forbidden` for one of another user.
 */
export async function refreshSession(
  hub: Hub,
  verifier: TokenVerifier | undefined,
  sessionId: string,
  token: string,
  now?: number,
): Promise<ReplyData<"refresh">> {
  if (!verifier) throw new HubError("unauthorized", "This server takes no tokens (AUTH_MODE=none)");
  try {
    return hub.refresh(sessionId, await verifier.verify(token, now));
  } catch (err) {
    if (err instanceof TokenRefused) throw new HubError("unauthorized", err.reason);
    if (err instanceof KeysUnavailable) throw new HubError("internal", err.message);
    throw err;
  }
}
