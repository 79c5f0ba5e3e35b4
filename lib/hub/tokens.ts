/**
 * Resume tokens: `<sessionId>.<secret>`, single use, one live secret per session. The token names
 * its own session, which is no secret to its holder, so any node can tell where to resume it; the
 * secret is random and compared in full, so knowing a session id never lets you take it over.
 *
 * Outside the client, the secret lives only in the memory of the node that issued it; its SHA-256
 * is all that leaves the node (the session's record in Redis, saved and handed-over states):
 * whoever reads Redis learns hashes, which resume nothing, since a check hashes what the client
 * offers. The hash is made when something asks for it, not at issue: the in-memory hub never does,
 * and every connect would otherwise pay for a SHA-256 it has no use for.
 *
 * @module
 */

import { createHash } from "node:crypto";

const SESSION_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** 24 random bytes in base64url: 32 characters (24 bytes need no padding). */
function randomSecret(): string {
  return crypto.getRandomValues(new Uint8Array(24)).toBase64({ alphabet: "base64url" });
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

/**
 * A session's live secret as this node knows it: the secret itself when this node issued it, only
 * its hash when the session moved here; the hash is made from the secret on first use.
 */
class Live {
  constructor(readonly secret: string | undefined, hash?: string) {
    this.#hash = hash;
  }

  #hash: string | undefined;

  get hash(): string {
    return this.#hash ??= hashSecret(this.secret!);
  }

  /** Whether a client's offered secret is this one. */
  matches(offered: string): boolean {
    return this.secret !== undefined
      ? same(this.secret, offered)
      : same(this.hash, hashSecret(offered));
  }
}

export class ResumeTokens {
  /** Session id → its live secret. */
  readonly #live = new Map<string, Live>();

  /**
   * A new token for `sessionId`, and the hash that stands for it anywhere but in the client's
   * hands (made when read); the session's previous token stops working.
   */
  issue(sessionId: string): { token: string; readonly hash: string } {
    const live = new Live(randomSecret());
    this.#live.set(sessionId, live);
    return {
      token: `${sessionId}.${live.secret}`,
      get hash() {
        return live.hash;
      },
    };
  }

  /** Whether `secret`, as a client offers it, is the session's live one. */
  check(sessionId: string, secret: string): boolean {
    return this.#live.get(sessionId)?.matches(secret) ?? false;
  }

  /** Keeps the live secret's hash of a session that moved here, so its token still works. */
  adopt(sessionId: string, hash: string): void {
    if (hash) this.#live.set(sessionId, new Live(undefined, hash));
  }

  /** The hash of the session's live secret, "" if none. */
  hash(sessionId: string): string {
    return this.#live.get(sessionId)?.hash ?? "";
  }

  /** Forgets the session's token, as an ended or departed session needs. */
  revoke(sessionId: string): void {
    this.#live.delete(sessionId);
  }

  clear(): void {
    this.#live.clear();
  }
}
