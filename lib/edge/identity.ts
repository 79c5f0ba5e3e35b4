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
 * CONNECT_ERROR), so that a client can tell it from a network failure; one under it holds a place
 * ({@link admitUser}) until it is welcomed.
 *
 * @module
 */

import type { Hub, Identity } from "../hub/hub.ts";
import type { Admission } from "../cluster/seam.ts";
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

/** The place of a connection no limit applies to: anonymous, or with no limit set. */
const UNLIMITED: Admission = { release() {} };

/**
 * A place for `identity`'s connection under `USER_CONNECTION_LIMIT` (0: no limit), or null when
 * its user is at the limit, deployment-wide. Sessions waiting away do not count, nor `resuming`,
 * the session a resume token names, which the connection is about to take over rather than add
 * to; connections still being admitted do. The place is held until its {@link AdmissionHold} lets
 * it go, so that connections which arrive together cannot all read the same count and all get in.
 */
export function admitUser(
  hub: Hub,
  identity: Identity | undefined,
  limit: number,
  resuming?: string,
): Promise<Admission | null> {
  if (!identity || limit <= 0) return Promise.resolve(UNLIMITED);
  return hub.cluster.registry.admit(identity.userId, limit, resuming);
}

/** The session a resume token names, if it is shaped like one; its secret is not checked here. */
export function resumedSession(resumeToken: string | undefined): string | undefined {
  return resumeToken === undefined ? undefined : parseToken(resumeToken)?.sessionId;
}

const WELCOME = '{"type":"welcome"';

/**
 * One connection's place under `USER_CONNECTION_LIMIT`, given back once: when its `welcome` goes
 * out, since the hub holds a welcome until the session is counted everywhere, or when the
 * connection goes before that.
 */
export class AdmissionHold {
  #admission: Admission | undefined;

  constructor(admission?: Admission) {
    this.#admission = admission;
  }

  /** A frame to the client: its welcome gives the place back; answers whether it was that. */
  sent(frame: string): boolean {
    if (this.#admission === undefined || !frame.startsWith(WELCOME)) return false;
    // After the registry writes the welcome comes with (a resumed session is no longer away),
    // which the hub makes in the same turn: the session is counted before its place goes.
    queueMicrotask(() => this.release());
    return true;
  }

  release(): void {
    const admission = this.#admission;
    this.#admission = undefined;
    admission?.release();
  }
}

/** What a connection over `USER_CONNECTION_LIMIT` is told as it is closed with 4005. */
export const USER_LIMIT_REASON = "Too many connections for this user";
