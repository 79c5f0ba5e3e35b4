/**
 * Token checks against tokens minted with `jose` and hand-made bad ones: each bad token is
 * refused with the public reason a client gets, and only an expired one says more than
 * `Invalid token`.
 */

import assert from "node:assert/strict";
import {
  keyPair,
  nowS,
  SECRET,
  serveJwks,
  sign,
  tampered,
  token as mint,
  unsignedToken,
} from "../../tests/spec_helpers.ts";
import { AUTH_DEFAULTS, type AuthSettings } from "./config.ts";
import { LIMITS } from "../protocol/mod.ts";
import {
  createVerifier,
  KeyError,
  KeysUnavailable,
  TokenRefused,
  type TokenVerifier,
} from "./verify.ts";
import { closedPort } from "../client/testing/fake_hub.ts";

function verifier(settings: Partial<AuthSettings>): TokenVerifier {
  return createVerifier({ ...AUTH_DEFAULTS, authMode: "required", ...settings })!;
}

const hs256 = () => verifier({ authSecret: SECRET });

/** Asserts that `token` is refused with `reason`. */
async function refuses(v: TokenVerifier, token: string, reason: string, now?: number) {
  await assert.rejects(v.verify(token, now), (err: unknown) => {
    assert.ok(err instanceof TokenRefused, `expected TokenRefused, got ${err}`);
    assert.equal(err.reason, reason);
    return true;
  });
}

Deno.test("a valid HS256 token gives its user, name, rooms, admin and expiry", async () => {
  const now = Date.now();
  const token = await mint(
    { sub: "user-42", name: "Ada", rooms: ["private-ops", "private-team-*"], admin: true },
    { exp: Math.floor(now / 1000) + 600 },
  );
  const identity = await hs256().verify(token, now);
  assert.deepEqual(identity, {
    userId: "user-42",
    name: "Ada",
    rooms: ["private-ops", "private-team-*"],
    admin: true,
    expiresAt: (Math.floor(now / 1000) + 600) * 1000,
  });
  // Only `sub` and `exp` are needed.
  const bare = await hs256().verify(await mint({ sub: "u" }));
  assert.deepEqual(bare.rooms, []);
  assert.equal(bare.admin, false);
  assert.equal(bare.name, undefined);
});

Deno.test("refused: expired, bad signature, another algorithm, alg none, tampered, no exp", async () => {
  const v = hs256();
  const now = Date.now();
  const valid = await mint({ sub: "u1" }, { exp: Math.floor(now / 1000) + 60 });
  // Expired: the one refusal that says why, so that a client knows to fetch a new token.
  await refuses(v, valid, "Token expired", now + 61_000);
  await refuses(v, await mint({ sub: "u1" }, { exp: nowS() + -10 }), "Token expired");
  await refuses(
    v,
    await sign({ sub: "u1" }, "another-secret-".repeat(3)),
    "Invalid token",
  );
  // HS512 with the very secret configured: only the configured algorithm counts.
  await refuses(v, await mint({ sub: "u1" }, { alg: "HS512" }), "Invalid token");
  await refuses(v, unsignedToken({ sub: "u1" }), "Invalid token");
  await refuses(v, tampered(valid, { sub: "admin", admin: true }), "Invalid token");
  await refuses(v, await mint({ sub: "u1" }, { exp: null }), "Invalid token");
  for (const junk of ["", "abc", "a.b.c", "x".repeat(9000)]) {
    await refuses(v, junk, "Invalid token");
  }
});

Deno.test("refused: claims that are missing or would not pass as request fields", async () => {
  const v = hs256();
  const bad: Record<string, unknown>[] = [
    {},
    { sub: "" },
    { sub: "u".repeat(65) },
    { sub: 42 },
    { sub: "u1\nadmin" },
    { sub: "u1", rooms: "private-ops" },
    { sub: "u1", rooms: ["private ops"] },
    { sub: "u1", rooms: ["priv*ate"] },
    { sub: "u1", admin: "yes" },
  ];
  for (const claims of bad) await refuses(v, await mint(claims), "Invalid token");
  // The longest allowed user id passes.
  assert.equal((await v.verify(await mint({ sub: "u".repeat(64) }))).userId, "u".repeat(64));
});

Deno.test("bad input: a name claim the name rules refuse does not lock the user out; a long one is shortened", async () => {
  const v = hs256();
  const nameOf = async (name: unknown) => (await v.verify(await mint({ sub: "u1", name }))).name;
  assert.equal(await nameOf("  Ada  "), "Ada");
  const long = "Maximilian Alexander von Habsburg-Lothringen";
  assert.equal(await nameOf(long), long.slice(0, LIMITS.maxNameLength).trim());
  // Signed by the application, but a name that would garble or impersonate in others' lists is
  // not used: the session keeps its default name and may choose one.
  for (const bad of ["guest-abcdef", "Bea\u202Eexe", "", "   ", 42, ["Ada"]]) {
    assert.equal(await nameOf(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("audience and issuer are checked when configured", async () => {
  const v = verifier({ authSecret: SECRET, authAudience: "chat", authIssuer: "https://id" });
  const right = { sub: "u1", aud: "chat", iss: "https://id" };
  assert.equal((await v.verify(await mint(right))).userId, "u1");
  await refuses(
    v,
    await mint({ ...right, aud: "billing" }),
    "Invalid token",
  );
  await refuses(
    v,
    await mint({ ...right, iss: "https://evil" }),
    "Invalid token",
  );
  await refuses(v, await mint({ sub: "u1", iss: "https://id" }), "Invalid token");
  // Without them configured, a token's aud and iss are not looked at.
  assert.equal((await hs256().verify(await mint(right))).userId, "u1");
});

Deno.test("RS256 and ES256 with a PEM public key; an RS256 token where only a secret is set is refused", async () => {
  for (const alg of ["RS256", "ES256"] as const) {
    const { privateKey, pem } = await keyPair(alg);
    const v = verifier({ authPublicKey: pem });
    await v.ready;
    const token = await sign({ sub: "u1" }, privateKey, { alg });
    assert.equal((await v.verify(token)).userId, "u1", alg);
    // A token signed with the secret's HMAC is not one of the key's.
    await refuses(v, await mint({ sub: "u1" }), "Invalid token");
    if (alg === "RS256") await refuses(hs256(), token, "Invalid token");
  }
  // The other key type than the one configured.
  const rsa = await keyPair("RS256");
  const ec = await keyPair("ES256");
  const v = verifier({ authPublicKey: ec.pem, authAlgorithm: "ES256" });
  await refuses(
    v,
    await sign({ sub: "u1" }, rsa.privateKey, { alg: "RS256" }),
    "Invalid token",
  );
});

Deno.test("a public key that does not load is a KeyError naming AUTH_PUBLIC_KEY", async () => {
  const v = verifier({
    authPublicKey: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
  });
  await assert.rejects(v.ready, (err: unknown) => {
    assert.ok(err instanceof KeyError);
    assert.equal(err.variable, "AUTH_PUBLIC_KEY");
    return true;
  });
  assert.equal(createVerifier(AUTH_DEFAULTS), undefined, "AUTH_MODE=none checks nothing");
});

Deno.test("AUTH_JWKS_URL: keys fetched from the set, by kid; a key not in it is refused", async () => {
  const current = await keyPair("RS256");
  const retired = await keyPair("RS256");
  await using jwks = await serveJwks([{ publicKey: current.publicKey, alg: "RS256", kid: "k1" }]);
  const v = verifier({ authJwksUrl: jwks.url });
  const good = await sign({ sub: "u1" }, current.privateKey, { alg: "RS256", kid: "k1" });
  assert.equal((await v.verify(good)).userId, "u1");
  const unknown = await sign({ sub: "u1" }, retired.privateKey, { alg: "RS256", kid: "k2" });
  await refuses(v, unknown, "Invalid token");
  // Its own kid, the wrong key: the signature does not match.
  const forged = await sign({ sub: "u1" }, retired.privateKey, { alg: "RS256", kid: "k1" });
  await refuses(v, forged, "Invalid token");
  await refuses(v, await mint({ sub: "u1" }), "Invalid token");
});

Deno.test("keys that cannot be fetched are KeysUnavailable, not a bad token", async () => {
  const port = await closedPort();
  const jwt = await sign({ sub: "u1" }, (await keyPair("RS256")).privateKey, { alg: "RS256" });
  const down = verifier({ authJwksUrl: `http://127.0.0.1:${port}/jwks.json` });
  await assert.rejects(down.verify(jwt), KeysUnavailable);
  // Something answers, but not a key set.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ not: "a key set" }),
  );
  try {
    const wrong = verifier({ authJwksUrl: `http://127.0.0.1:${server.addr.port}/jwks.json` });
    await assert.rejects(wrong.verify(jwt), KeysUnavailable);
  } finally {
    await server.shutdown();
  }
});
