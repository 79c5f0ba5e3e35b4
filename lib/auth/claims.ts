/**
 * A verified token's claims as the hub's {@link Identity}: `sub` (the user id), `name`, `rooms`
 * and `admin`, each checked, since a token is signed by the application, not made by this server,
 * and a claim that would not pass as a request field does not pass here either.
 *
 * @module
 */

import type { JWTPayload } from "jose";
import { LIMITS } from "../protocol/mod.ts";
import { checkName, checkUserId } from "../protocol/names.ts";
import type { Identity } from "../hub/session.ts";

/**
 * The identity a token's payload names, its signature and times already checked.
 *
 * @throws a message naming the claim that is not usable.
 */
export function identityOf(payload: JWTPayload): Identity {
  const userId = checkUserId(payload.sub, "sub");
  const identity: { -readonly [K in keyof Identity]: Identity[K] } = {
    userId,
    rooms: rooms(payload.rooms),
    admin: admin(payload.admin),
    expiresAt: (payload.exp as number) * 1000,
  };
  if (payload.name !== undefined) identity.name = checkName(payload.name, "name");
  return identity;
}

function rooms(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > LIMITS.maxRoomGrants) {
    throw `rooms must be a list of at most ${LIMITS.maxRoomGrants} room names or patterns`;
  }
  for (const item of value) {
    if (typeof item !== "string" || !LIMITS.roomGrantPattern.test(item)) {
      throw `rooms must hold room names (${LIMITS.roomPattern.source}) or prefixes ending in *`;
    }
  }
  return value;
}

function admin(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw "admin must be true or false";
  return value;
}
