/**
 * The checks the page runs before sending what a person typed, so that a request the hub would
 * refuse is never sent, and the refusal reads as a sentence: display names (the hub's own rules,
 * from `lib/protocol/names.ts`), session ids and room names.
 *
 * ```ts
 * checkSessionId(" 01j8zk3v4x5y6z7a8b9c0d1e2f "); // "01J8ZK3V4X5Y6Z7A8B9C0D1E2F"
 * ```
 *
 * @module
 */

import { LIMITS } from "../protocol/mod.ts";
import { checkName } from "../protocol/names.ts";
import { nameProblem, NOT_A_SESSION_ID, ROOM_NAME_RULE } from "./error_text.ts";

/** A ULID as the hub writes session ids: 26 characters of Crockford's base 32, upper case. */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The display name the hub would store for `name`; throws a readable Error if it would refuse. */
export function checkDisplayName(name: string): string {
  if (name.trim() === "") throw new Error("Type a name first.");
  try {
    return checkName(name, "name");
  } catch (reason) {
    throw new Error(nameProblem(String(reason)));
  }
}

/** Why the hub would refuse `name`, or null when it would take it. */
export function nameError(name: string): string | null {
  try {
    checkDisplayName(name);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * A pasted session id as the hub writes it (trimmed, upper case: ULIDs ignore case); throws a
 * readable Error when it is not one.
 */
export function checkSessionId(text: string): string {
  const id = text.trim().toUpperCase();
  if (id === "") throw new Error("Pick someone online, or paste a session id.");
  if (!ULID.test(id)) throw new Error(NOT_A_SESSION_ID);
  return id;
}

/** A room name as typed (a leading `#` and spaces around are fine); throws when the hub would refuse. */
export function checkRoomName(text: string): string {
  const room = text.trim().replace(/^#/, "");
  if (!LIMITS.roomPattern.test(room)) throw new Error(ROOM_NAME_RULE);
  return room;
}
