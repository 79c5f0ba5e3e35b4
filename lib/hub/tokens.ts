/**
 * Resume tokens: `<sessionId>.<secret>`, single use, one live secret per session. The token names
 * its own session, which is no secret to its holder, so any node can tell where to resume it; the
 * secret is random and compared in full, so knowing a session id never lets you take it over.
 *
 * @module
 */

const SESSION_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** 24 random bytes in base64url: 32 characters. */
function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** A token's two parts, or undefined when it does not have a token's shape. */
export function parseToken(token: string): { sessionId: string; secret: string } | undefined {
  const dot = token.indexOf(".");
  const sessionId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (dot < 0 || !SESSION_ID.test(sessionId) || secret === "") return undefined;
  return { sessionId, secret };
}

/** Compares in time that does not depend on where the strings differ. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export class ResumeTokens {
  readonly #secrets = new Map<string, string>();

  /** A new token for `sessionId`; the session's previous token stops working. */
  issue(sessionId: string): { token: string; secret: string } {
    const secret = randomSecret();
    this.#secrets.set(sessionId, secret);
    return { token: `${sessionId}.${secret}`, secret };
  }

  /** Whether `secret` is the session's live one. */
  check(sessionId: string, secret: string): boolean {
    const live = this.#secrets.get(sessionId);
    return live !== undefined && same(live, secret);
  }

  /** Keeps the live secret of a session that moved here, so its token still works. */
  adopt(sessionId: string, secret: string): void {
    if (secret) this.#secrets.set(sessionId, secret);
  }

  /** The session's live secret, "" if none. */
  secret(sessionId: string): string {
    return this.#secrets.get(sessionId) ?? "";
  }

  /** Forgets the session's token, as an ended or departed session needs. */
  revoke(sessionId: string): void {
    this.#secrets.delete(sessionId);
  }

  clear(): void {
    this.#secrets.clear();
  }
}
