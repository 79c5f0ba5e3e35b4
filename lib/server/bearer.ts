/**
 * Bearer tokens for the server's own HTTP endpoints (`/metrics`, the server API): reading the
 * `Authorization` header and comparing what it carries with the configured secret in time that
 * does not depend on how much of it matched.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The token of an `Authorization: Bearer <token>` header, or undefined without one. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(req.headers.get("authorization") ?? "")?.[1];
}

/** Compares in time that depends on the length of `expected` only. */
export function sameSecret(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

/** Whether `req` carries `Authorization: Bearer <secret>`. */
export function hasBearer(req: Request, secret: string): boolean {
  const given = bearerToken(req);
  return given !== undefined && sameSecret(given, secret);
}
