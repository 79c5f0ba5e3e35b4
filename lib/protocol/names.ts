/**
 * What a display name may be. A name is drawn in every other member's list, chat line and DM
 * header, so the rules refuse what could garble or hide those places, or pass for someone else:
 * control characters (terminal escapes, a bell, a line break), invisible formatting characters
 * (bidi overrides that reverse the text around them, zero-width characters), ill-formed UTF-16,
 * towers of combining marks that spill over neighbouring lines ("Zalgo" text), names with nothing
 * visible in them, and the `guest-` prefix of the default names. Duplicates stay allowed: every
 * member list and event carries the session id.
 *
 * `docs/protocol.md` states the same rules in prose under "Requests"; keep the two in step.
 *
 * @module
 */

import { LIMITS } from "./mod.ts";

/**
 * The most combining marks allowed in a row, after NFC. Three covers the deepest stacks of real
 * writing (pointed Hebrew with a dagesh and a shin dot, Tibetan subjoined letters with a vowel,
 * Thai vowel plus tone mark, a keycap emoji), while Zalgo text stacks dozens.
 */
export const MAX_COMBINING_RUN = 3;

/**
 * The prefix of every default name (`defaultName` in `mod.ts`): nobody may choose a name with it,
 * so a `guest-…` name is always the session's own default and cannot copy another session's.
 * This includes one's own default: the checker sees no session, and one rule is simpler to state
 * and to trust than one with an exception.
 */
export const RESERVED_NAME_PREFIX = "guest-";

const LONE_SURROGATE = /\p{Cs}/u;
/** Control (Cc), format (Cf), line separator (Zl) and paragraph separator (Zp) characters. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const CONTROL = /\p{Cc}/u;
const SEPARATOR = /[\p{Zl}\p{Zp}]/u;
const COMBINING_TOWER = new RegExp(`\\p{M}{${MAX_COMBINING_RUN + 1},}`, "u");
const LEADING_MARK = /^\p{M}/u;
/**
 * A character that draws something. Whitespace, combining marks on nothing, default-ignorable
 * characters (variation selectors, Hangul fillers) and the blank Braille pattern all draw nothing;
 * names made only of them look empty, which is what impersonation and "invisible name" tricks use.
 */
const VISIBLE = /[^\p{White_Space}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** `U+XXXX` for the first code point of `char`. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Why `char`, one of {@link FORBIDDEN}, is refused, in plain words. */
function forbiddenReason(char: string): string {
  if (CONTROL.test(char)) return "control characters";
  if (SEPARATOR.test(char)) return "line or paragraph separators";
  return "invisible formatting characters";
}

/**
 * Reads a display name: returns it normalized to NFC and trimmed, or throws a message that names
 * `field` and the reason. The length limits apply to the normalized name, which is what other
 * sessions will see; JavaScript's `trim` removes whitespace, line ends and U+FEFF at either end.
 *
 * @example
 * ```ts
 * checkName("  Rene\u0301e ", "data.name"); // "Renée", precomposed
 * checkName("guest-abc123", "data.name"); // throws: the prefix is reserved
 * ```
 */
export function checkName(value: unknown, field: string): string {
  if (typeof value !== "string") throw `${field} must be a string`;
  // Before normalizing: what NFC makes of half a pair is up to the engine.
  if (LONE_SURROGATE.test(value)) {
    throw `${field} must not contain a lone UTF-16 surrogate (half of an emoji or symbol)`;
  }
  const name = value.normalize("NFC").trim();
  if (name.length < LIMITS.minNameLength || name.length > LIMITS.maxNameLength) {
    throw `${field} must be ${LIMITS.minNameLength} to ${LIMITS.maxNameLength} characters after trimming`;
  }
  const forbidden = FORBIDDEN.exec(name);
  if (forbidden !== null) {
    const char = forbidden[0];
    throw `${field} must not contain ${forbiddenReason(char)} (found ${codePoint(char)})`;
  }
  if (COMBINING_TOWER.test(name)) {
    throw `${field} must not stack more than ${MAX_COMBINING_RUN} combining marks on one character`;
  }
  if (!VISIBLE.test(name)) throw `${field} must contain at least one visible character`;
  // A mark with no base would sit on whatever a client draws before the name.
  if (LEADING_MARK.test(name)) throw `${field} must not start with a combining mark`;
  // NFKC as well, so fullwidth and other compatibility look-alikes of the prefix count too.
  if (name.normalize("NFKC").toLowerCase().startsWith(RESERVED_NAME_PREFIX)) {
    throw `${field} must not start with "${RESERVED_NAME_PREFIX}", which is kept for default names`;
  }
  return name;
}

/**
 * A user id as a token's `sub` carries it: 1 to {@link LIMITS.maxUserIdLength} characters with no
 * control, format or separator character, so it can be logged, shown and kept in a Redis value
 * beside a name (`userId\nname`) as it is. Compared exactly: no trimming or normalizing, since it
 * is the application's key, not text for people.
 *
 * @throws a message naming `field` when `value` is not one.
 */
export function checkUserId(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length < 1 || value.length > LIMITS.maxUserIdLength) {
    throw `${field} must be a string of 1 to ${LIMITS.maxUserIdLength} characters`;
  }
  if (LONE_SURROGATE.test(value) || FORBIDDEN.test(value)) {
    throw `${field} must not contain control, formatting or separator characters`;
  }
  return value;
}
