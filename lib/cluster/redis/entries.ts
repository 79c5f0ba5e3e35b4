/**
 * How a session's user and name are kept together in one Redis hash value: `userId\nname`, with
 * an empty user id for an anonymous session. Names and user ids never hold a control character
 * (`checkName`, `checkUserId`), so the first newline is the cut. A value with no newline, as a
 * node of the version before wrote it, is an anonymous session's name.
 *
 * Node session hashes hold this value, and room hashes `node\n` before it: the scripts that read
 * them cut off the node, hand the rest over as it is, and the reply parsers decode it here.
 *
 * @module
 */

import type { Member } from "../../protocol/mod.ts";

/** `userId\nname`; the user id is empty for an anonymous session. */
export function encodeNamed(userId: string | null, name: string): string {
  return `${userId ?? ""}\n${name}`;
}

/** The user id and name of a value {@link encodeNamed} wrote. */
export function decodeNamed(value: string): { userId: string | null; name: string } {
  const cut = value.indexOf("\n");
  if (cut < 0) return { userId: null, name: value };
  return { userId: cut === 0 ? null : value.slice(0, cut), name: value.slice(cut + 1) };
}

/** A room member from its session id and its value. */
export function decodeMember(sessionId: string, value: string): Member {
  const { userId, name } = decodeNamed(value);
  return { sessionId, userId, name };
}
