/**
 * The resume token an upgrade request carries as `?resume=<token>`. Anything that does not have
 * a token's shape counts as no token: the client gets a new session, never an error page.
 *
 * @module
 */

import { LIMITS } from "../protocol/mod.ts";

/**
 * The token in `url`, or undefined when it is absent, repeated, too long or malformed.
 *
 * @example
 * ```ts
 * resumeToken(new URL("http://h/ws?resume=abc")); // "abc"
 * resumeToken(new URL("http://h/ws?resume=a%20b")); // undefined
 * ```
 */
export function resumeToken(url: URL): string | undefined {
  const values = url.searchParams.getAll("resume");
  if (values.length !== 1) return undefined;
  return LIMITS.resumeTokenPattern.test(values[0]) ? values[0] : undefined;
}
