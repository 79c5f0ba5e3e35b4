/**
 * Connection tokens: JWTs checked with `jose` against the one algorithm and key the deployment
 * configured (`config.ts`), `exp` required, `aud` and `iss` when configured, then their claims
 * (`claims.ts`). Only the edge calls this; the hub gets the {@link Identity} it answers.
 *
 * A refused token gets a one-line public reason: `Token expired` (a client should fetch a new
 * one), or `Invalid token` for everything else (bad signature, another algorithm, `alg: none`, a
 * wrong audience or issuer, a missing or bad claim), so a client learns nothing that helps forge
 * one. The exact cause goes to the server's debug log. Keys that cannot be fetched
 * (`AUTH_JWKS_URL` down) are {@link KeysUnavailable}, which the edge answers with 503.
 *
 * @module
 */

import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import type { Identity } from "../hub/session.ts";
import type { Algorithm, AuthSettings } from "./config.ts";
import { identityOf } from "./claims.ts";
import { LIMITS } from "../protocol/mod.ts";

/** A token that does not let its bearer in: `reason` goes to the client, `detail` to the log. */
export class TokenRefused extends Error {
  constructor(readonly reason: string, readonly detail: string) {
    super(reason);
    this.name = "TokenRefused";
  }
}

/**
 * The keys could not be had just now (`AUTH_JWKS_URL` unreachable, slow, or answering no JWK set):
 * not the token's fault, so the client is asked to try again rather than told its token is bad.
 */
export class KeysUnavailable extends Error {
  constructor(readonly detail: string) {
    super("Cannot check tokens now; try again later");
    this.name = "KeysUnavailable";
  }
}

/** A key that does not load, found as the server starts; names the variable to fix. */
export class KeyError extends Error {
  constructor(readonly variable: string, readonly detail: string) {
    super(`${variable}: ${detail}`);
    this.name = "KeyError";
  }
}

export interface TokenVerifier {
  /** `optional`: tokens are used when given; `required`: a connection without one is refused. */
  readonly mode: "optional" | "required";
  /** Resolves once the key is loaded; rejects with a {@link KeyError} when it cannot be. */
  readonly ready: Promise<void>;
  /**
   * The identity `token` names, checked at `now` (epoch ms; the real clock by default).
   *
   * @throws {TokenRefused} for any token that does not let its bearer in.
   */
  verify(token: string, now?: number): Promise<Identity>;
}

type Key = CryptoKey | Uint8Array | JWTVerifyGetKey;

/** The verifier `settings` describe, or undefined with `AUTH_MODE=none`. */
export function createVerifier(settings: AuthSettings): TokenVerifier | undefined {
  if (settings.authMode === "none") return undefined;
  const loading = loadKey(settings);
  // Until a caller awaits `ready`, a failure is only recorded, never unhandled.
  const ready = loading.then(() => {});
  ready.catch(() => {});
  const options: JWTVerifyOptions = { requiredClaims: ["exp", "sub"] };
  if (settings.authAudience) options.audience = settings.authAudience;
  if (settings.authIssuer) options.issuer = settings.authIssuer;
  return {
    mode: settings.authMode,
    ready,
    async verify(token, now = Date.now()) {
      if (token.length > LIMITS.maxTokenLength) {
        throw new TokenRefused("Invalid token", `token of ${token.length} characters`);
      }
      const { key, algorithm } = await loading;
      let payload;
      try {
        const only = { ...options, algorithms: [algorithm], currentDate: new Date(now) };
        const checked = typeof key === "function"
          ? await jwtVerify(token, key, only)
          : await jwtVerify(token, key, only);
        payload = checked.payload;
      } catch (err) {
        if (err instanceof errors.JWTExpired) {
          throw new TokenRefused("Token expired", err.message);
        }
        // A key set that cannot be fetched fails every token alike: a fetch error (no JOSEError),
        // a timeout, or a document that is no key set.
        if (
          !(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout ||
          err instanceof errors.JWKSInvalid
        ) {
          throw new KeysUnavailable((err as Error).message);
        }
        throw new TokenRefused("Invalid token", (err as Error).message);
      }
      try {
        return identityOf(payload);
      } catch (reason) {
        throw new TokenRefused("Invalid token", `claim: ${String(reason)}`);
      }
    },
  };
}

/** The key and the one algorithm tokens must be signed with. */
async function loadKey(s: AuthSettings): Promise<{ key: Key; algorithm: Algorithm }> {
  if (s.authSecret) {
    // Imported once: handed raw bytes, jose imports the key again on every check, which cost
    // about three times the check itself (and every connect with a token pays for one).
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(s.authSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    return { key, algorithm: "HS256" };
  }
  if (s.authJwksUrl) {
    return {
      key: createRemoteJWKSet(new URL(s.authJwksUrl)),
      algorithm: s.authAlgorithm || "RS256",
    };
  }
  // A PEM says what kind of key it holds; the algorithm is the one that can use it.
  const candidates: Algorithm[] = s.authAlgorithm ? [s.authAlgorithm] : ["RS256", "ES256"];
  for (const algorithm of candidates) {
    try {
      return { key: await importSPKI(s.authPublicKey, algorithm), algorithm };
    } catch {
      // Not a key of this algorithm: try the next.
    }
  }
  throw new KeyError(
    "AUTH_PUBLIC_KEY",
    `is not an ${candidates.join(" or ")} public key in PEM (SPKI)`,
  );
}
