/**
 * A verified token's claims as the hub's {@link Identity}: `sub` (the user id), `name`, `rooms`
 * and `admin`, each checked, since a token is signed by the application, not made by this server,
 * and a claim that would not pass as a request field does not pass here either.
 *
 * Except `name`: the application signs it from its own user records, which it cannot always bend
 * to this server's name rules, and refusing the token would lock that user out for good. A name
 * over the length limit is shortened; one the rules still refuse (a `guest-` name, invisible or
 * control characters) is not used, and the session keeps its default name, free to choose one.
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
  const name = usableName(payload.name);
  if (name !== undefined) identity.name = name;
  return identity;
}

/** The `name` claim as a display name, shortened to the limit; undefined when none is usable. */
function usableName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // Whole code points, so an emoji at the cut is not split in half.
  const chars = [...value.normalize("NFC").trim()];
  let name = chars.join("");
  while (name.length > LIMITS.maxNameLength) {
    chars.pop();
    name = chars.join("").trim();
  }
  try {
    return checkName(name, "name");
  } catch {
    return undefined;
  }
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
