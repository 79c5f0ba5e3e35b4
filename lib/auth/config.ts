/**
 * The `AUTH_*` variables: how connection tokens are checked. Each is read like the other
 * variables (`lib/server/config.ts`), and then checked together, since most mistakes are in the
 * combination (a key with no mode, two kinds of key, an algorithm that does not fit the key): the
 * server does not start, and the message names the variable to change.
 *
 * Keys themselves (a PEM that does not parse) are checked as the server starts (`verify.ts`).
 *
 * @module
 */

/** `none`: anonymous only; `optional`: a token is used when given; `required`: no token, no entry. */
export type AuthMode = "none" | "optional" | "required";

/** The algorithms a deployment may choose; only the one chosen is accepted. */
export const ALGORITHMS = ["HS256", "RS256", "ES256"] as const;
export type Algorithm = typeof ALGORITHMS[number];

/** The shortest `AUTH_SECRET`, in bytes: RFC 7518 §3.2 wants an HS256 key of at least 256 bits. */
export const MIN_SECRET_BYTES = 32;

export interface AuthSettings {
  authMode: AuthMode;
  /** HS256's shared secret; "" when unset. */
  authSecret: string;
  /** An RS256 or ES256 public key in PEM (SPKI, `-----BEGIN PUBLIC KEY-----`); "" when unset. */
  authPublicKey: string;
  /** Where the signing keys are published as a JWK set; "" when unset. */
  authJwksUrl: string;
  /** The one algorithm accepted; "" to take it from the key (HS256 with a secret). */
  authAlgorithm: Algorithm | "";
  /** Tokens must name this audience (`aud`) when set. */
  authAudience: string;
  /** Tokens must come from this issuer (`iss`) when set. */
  authIssuer: string;
  /** Sessions per user, deployment-wide; 0 for no limit. */
  userConnectionLimit: number;
}

export const AUTH_DEFAULTS: AuthSettings = {
  authMode: "none",
  authSecret: "",
  authPublicKey: "",
  authJwksUrl: "",
  authAlgorithm: "",
  authAudience: "",
  authIssuer: "",
  userConnectionLimit: 0,
};

export function authMode(raw: string): AuthMode {
  const text = raw.trim().toLowerCase();
  if (text === "none" || text === "optional" || text === "required") return text;
  throw new Error(`expected none, optional or required, got "${raw}"`);
}

export function algorithm(raw: string): Algorithm {
  const text = raw.trim().toUpperCase();
  const found = ALGORITHMS.find((a) => a === text);
  if (!found) throw new Error(`expected ${ALGORITHMS.join(", ")}, got "${raw}"`);
  return found;
}

export function secret(raw: string): string {
  if (new TextEncoder().encode(raw).byteLength < MIN_SECRET_BYTES) {
    throw new Error(`must be at least ${MIN_SECRET_BYTES} bytes (an HS256 key of 256 bits)`);
  }
  return raw;
}

/**
 * A PEM public key. Environment files often hold it on one line with `\n` written out, so those
 * are turned into line breaks.
 */
export function publicKey(raw: string): string {
  const text = raw.replaceAll("\\n", "\n").trim();
  if (!text.startsWith("-----BEGIN PUBLIC KEY-----")) {
    throw new Error("expected a PEM public key starting with -----BEGIN PUBLIC KEY-----");
  }
  return text;
}

export function jwksUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${raw}" is not a URL like https://auth.example.com/.well-known/jwks.json`);
  }
  // Keys fetched over plain HTTP could be swapped on the way; loopback is for tests and sidecars.
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`"${raw}" must use https (http only on localhost)`);
  }
  return url.href;
}

/** A variable whose value does not fit the others, and why. */
export interface Mismatch {
  variable: string;
  message: string;
}

/** The first mistake in how the `AUTH_*` variables combine, or undefined when they fit. */
export function authMismatch(s: AuthSettings): Mismatch | undefined {
  const keys = [
    s.authSecret && "AUTH_SECRET",
    s.authPublicKey && "AUTH_PUBLIC_KEY",
    s.authJwksUrl && "AUTH_JWKS_URL",
  ].filter((k): k is string => Boolean(k));
  if (s.authMode === "none") {
    if (keys.length > 0) {
      return {
        variable: "AUTH_MODE",
        message: `is none, so ${keys[0]} would be ignored; set AUTH_MODE=optional or required`,
      };
    }
    if (s.userConnectionLimit > 0) {
      return {
        variable: "USER_CONNECTION_LIMIT",
        message: "counts sessions per user, and with AUTH_MODE=none there are no users",
      };
    }
    return undefined;
  }
  if (keys.length === 0) {
    return {
      variable: "AUTH_MODE",
      message: `is ${s.authMode}: set AUTH_SECRET (HS256), AUTH_PUBLIC_KEY or AUTH_JWKS_URL`,
    };
  }
  if (keys.length > 1) {
    return { variable: keys[1], message: `cannot be combined with ${keys[0]}; set one of them` };
  }
  const alg = s.authAlgorithm;
  if (s.authSecret && alg !== "" && alg !== "HS256") {
    return {
      variable: "AUTH_ALGORITHM",
      message: `${alg} needs a public key; AUTH_SECRET is HS256`,
    };
  }
  if (!s.authSecret && alg === "HS256") {
    return { variable: "AUTH_ALGORITHM", message: "HS256 needs AUTH_SECRET" };
  }
  return undefined;
}
