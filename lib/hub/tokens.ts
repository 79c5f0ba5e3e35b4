/**
 * Resume tokens: single use, one live token per session. A token is random and says nothing about
 * its session, so holding someone's session id never lets you take the session over.
 *
 * @module
 */

/** 24 random bytes in base64url: 32 characters, inside the protocol's 256-character bound. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

export class ResumeTokens {
  readonly #byToken = new Map<string, string>();
  readonly #bySession = new Map<string, string>();

  /** A new token for `sessionId`; the session's previous token stops working. */
  issue(sessionId: string): string {
    this.revoke(sessionId);
    const token = randomToken();
    this.#byToken.set(token, sessionId);
    this.#bySession.set(sessionId, token);
    return token;
  }

  /** The session a token names, if it is that session's live token; the token is used up. */
  redeem(token: string): string | undefined {
    const sessionId = this.#byToken.get(token);
    if (sessionId === undefined) return undefined;
    this.revoke(sessionId);
    return sessionId;
  }

  /** Forgets the session's token, as an ended session needs. */
  revoke(sessionId: string): void {
    const token = this.#bySession.get(sessionId);
    if (token === undefined) return;
    this.#bySession.delete(sessionId);
    this.#byToken.delete(token);
  }

  clear(): void {
    this.#byToken.clear();
    this.#bySession.clear();
  }
}
