/**
 * `GET /ws`: the WebSocket endpoint. Checks the handshake (`lib/edge/upgrade.ts`), the origin,
 * the connection limit and the token (`?token=`, `lib/edge/identity.ts`) before upgrading, then
 * hands the socket to the edge (`lib/edge/connection.ts`), which binds it to the hub. A user at
 * `USER_CONNECTION_LIMIT` (its sessions and its connections still being admitted) is upgraded and
 * closed at once with 4005.
 *
 * @module
 */

import { attachSocket } from "../lib/edge/connection.ts";
import { originAllowed } from "../lib/edge/origin.ts";
import { resumeToken } from "../lib/edge/resume.ts";
import { checkHandshake } from "../lib/edge/upgrade.ts";
import {
  admitUser,
  identify,
  keysUnavailable,
  resumedSession,
  Unauthenticated,
  unauthorized,
  upgradeToken,
  USER_LIMIT_REASON,
} from "../lib/edge/identity.ts";
import { CLOSE_CODES } from "../lib/protocol/mod.ts";
import { releaseIdleTimer } from "../lib/edge/keepalive.ts";
import { KeysUnavailable } from "../lib/auth/verify.ts";
import type { Identity } from "../lib/hub/hub.ts";
import { define } from "../utils.ts";

/** Seconds a client refused for `MAX_CONNECTIONS` is asked to wait (another node may have room). */
const FULL_RETRY_AFTER_S = 5;

export const handler = define.handlers({
  async GET(ctx) {
    const { services } = ctx.state;
    const req = ctx.req;
    const handshake = checkHandshake(req);
    if (handshake !== "ok") {
      const { status } = handshake.response;
      services.log.debug("refused handshake", { status, reason: handshake.reason });
      return handshake.response;
    }
    if (services.closing) {
      return new Response("Shutting down\n", { status: 503, headers: { "retry-after": "1" } });
    }
    if (!originAllowed(req, services.config)) {
      services.log.warn("refused upgrade", { origin: req.headers.get("origin") });
      return new Response("Origin not allowed\n", { status: 403 });
    }
    const { connections } = services;
    if (connections.full) {
      services.log.debug("refused upgrade: full", { max: connections.max });
      return new Response("Too many connections; try again later\n", {
        status: 503,
        headers: { "retry-after": String(FULL_RETRY_AFTER_S) },
      });
    }
    let identity: Identity | undefined;
    try {
      identity = await identify(services.verifier, upgradeToken(req, ctx.url), services.log);
    } catch (err) {
      if (err instanceof Unauthenticated) return unauthorized(err.reason);
      if (err instanceof KeysUnavailable) return keysUnavailable(err);
      throw err;
    }
    const resume = resumeToken(ctx.url);
    const admission = await admitUser(
      services.hub,
      identity,
      services.config.userConnectionLimit,
      resumedSession(resume),
    );
    let upgraded;
    try {
      upgraded = Deno.upgradeWebSocket(req, { idleTimeout: services.config.idleTimeoutS });
    } catch (err) {
      admission?.release();
      throw err;
    }
    const { socket, response } = upgraded;
    connections.track(socket);
    if (admission === null) {
      // A close code the client can act on, rather than a refused upgrade it cannot tell apart.
      socket.onopen = () => socket.close(CLOSE_CODES.userLimit, USER_LIMIT_REASON);
      socket.onclose = () => releaseIdleTimer(socket);
      return response;
    }
    // The place held under the limit goes once the session is welcomed, or the socket closes.
    attachSocket(socket, services, { resumeToken: resume, identity, admission });
    return response;
  },
});
