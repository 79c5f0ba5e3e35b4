/**
 * Who a connection is, read at the edge before anything is upgraded: the token a `/ws` upgrade
 * carries as `?token=` (browsers cannot set headers on a WebSocket), or a Socket.IO client in its
 * CONNECT `auth` payload, checked by the deployment's {@link TokenVerifier}. The hub only ever sees
 * the {@link Identity} that comes out.
 *
 * A connection is refused when its token is bad, whatever `AUTH_MODE` (`optional` included: a
 * client that sent a token meant to be someone, and silently making it anonymous would hide its
 * mistake), and in `required` mode when it has none. With `AUTH_MODE=none` tokens are not read.
 * A user past `USER_CONNECTION_LIMIT` is let in only to be told so (4005, or Socket.IO's
 * CONNECT_ERROR), so that a client can tell it from a network failure.
 *
 * @module
 */

import type { Hub, Identity } from "../hub/hub.ts";
import { parseToken } from "../hub/tokens.ts";
import { KeysUnavailable, TokenRefused, type TokenVerifier } from "../auth/verify.ts";
import type { Logger } from "../server/log.ts";

/** A connection that does not get in: the one-line reason the client is told. */
export class Unauthenticated extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "Unauthenticated";
  }
}

/**
 * The identity `token` names, undefined for an anonymous connection that may be one.
 *
 * @throws {Unauthenticated} for a bad token, or none where one is required.
 * @throws {KeysUnavailable} when the keys to check it with cannot be had just now.
 */
export async function identify(
  verifier: TokenVerifier | undefined,
  token: string | undefined,
  log: Logger,
  now?: number,
): Promise<Identity | undefined> {
  if (!verifier) return undefined;
  if (token === undefined) {
    if (verifier.mode === "required") throw new Unauthenticated("Token required");
    return undefined;
  }
  try {
    return await verifier.verify(token, now);
  } catch (err) {
    if (err instanceof KeysUnavailable) {
      log.warn("cannot check tokens: keys unavailable", { detail: err.detail });
    }
    if (!(err instanceof TokenRefused)) throw err;
    log.debug("refused token", { reason: err.reason, detail: err.detail });
    throw new Unauthenticated(err.reason);
  }
}

/**
 * The token of an upgrade request: `?token=`, once (repeated, it is no token anyone meant, and
 * counts as a bad one), or, for clients that can set headers, `Authorization: Bearer <token>`.
 * Another scheme (Basic, from a proxy guarding the site) is not a token.
 */
export function upgradeToken(req: Request, url: URL): string | undefined {
  const values = url.searchParams.getAll("token");
  if (values.length > 1) return "";
  if (values.length === 1) return values[0];
  const header = req.headers.get("authorization");
  if (header === null) return undefined;
  const match = /^Bearer +(\S*)$/i.exec(header.trim());
  return match ? match[1] : undefined;
}

/** The 503 an upgrade gets while tokens cannot be checked: try again soon. */
export function keysUnavailable(err: KeysUnavailable): Response {
  return new Response(`${err.message}\n`, { status: 503, headers: { "retry-after": "5" } });
}

/** The 401 a refused upgrade gets: the reason on one line, as a Bearer challenge says it too. */
export function unauthorized(reason: string): Response {
  return new Response(`${reason}\n`, {
    status: 401,
    headers: { "www-authenticate": 'Bearer error="invalid_token"' },
  });
}

/**
 * Whether `identity`'s user already has `limit` connected sessions in the deployment (0: no
 * limit). Sessions waiting away do not count, nor the one a resume token (`resuming`) names, which
 * the connection is about to take over rather than add to. Two connections racing on two nodes
 * may both get in: the count is read, not reserved.
 */
export async function overUserLimit(
  hub: Hub,
  identity: Identity | undefined,
  limit: number,
  resuming?: string,
): Promise<boolean> {
  if (!identity || limit <= 0) return false;
  const sessionId = resuming === undefined ? undefined : parseToken(resuming)?.sessionId;
  const sessions = await hub.userSessions(identity.userId);
  return sessions.filter((s) => !s.away && s.sessionId !== sessionId).length >= limit;
}

/** What a connection over `USER_CONNECTION_LIMIT` is told as it is closed with 4005. */
export const USER_LIMIT_REASON = "Too many connections for this user";
