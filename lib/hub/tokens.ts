/**
 * Resume tokens: `<sessionId>.<secret>`, single use, one live secret per session. The token names
 * its own session, which is no secret to its holder, so any node can tell where to resume it; the
 * secret is random and compared in full, so knowing a session id never lets you take it over.
 *
 * Only the client ever holds the secret. The tokens keep its SHA-256, and that hash is all that
 * leaves the node (the session's record in Redis, saved and handed-over states): whoever reads
 * Redis learns hashes, which resume nothing, since a check hashes what the client offers.
 *
 * @module
 */

import { createHash } from "node:crypto";

const SESSION_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** 24 random bytes in base64url: 32 characters. */
function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * The SHA-256 of a secret, in lowercase hex: what is kept in its place. A plain hash, no salt or
 * stretching, is enough: the secret is 192 random bits, not a password anyone could guess.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
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
  /** Session id → the hash of its live secret. */
  readonly #hashes = new Map<string, string>();

  /**
   * A new token for `sessionId`, and the hash that stands for it anywhere but in the client's
   * hands; the session's previous token stops working.
   */
  issue(sessionId: string): { token: string; hash: string } {
    const secret = randomSecret();
    const hash = hashSecret(secret);
    this.#hashes.set(sessionId, hash);
    return { token: `${sessionId}.${secret}`, hash };
  }

  /** Whether `secret`, as a client offers it, is the session's live one. */
  check(sessionId: string, secret: string): boolean {
    const live = this.#hashes.get(sessionId);
    return live !== undefined && same(live, hashSecret(secret));
  }

  /** Keeps the live secret's hash of a session that moved here, so its token still works. */
  adopt(sessionId: string, hash: string): void {
    if (hash) this.#hashes.set(sessionId, hash);
  }

  /** The hash of the session's live secret, "" if none. */
  hash(sessionId: string): string {
    return this.#hashes.get(sessionId) ?? "";
  }

  /** Forgets the session's token, as an ended or departed session needs. */
  revoke(sessionId: string): void {
    this.#hashes.delete(sessionId);
  }

  clear(): void {
    this.#hashes.clear();
  }
}
