/**
 * Resume tokens hand on only a hash of each live secret, so what a node hands to Redis (saved
 * records, saved states, claim answers) cannot resume anything, and a hash read back from Redis
 * still checks the real secret.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { hashSecret, parseToken, ResumeTokens } from "./tokens.ts";

const ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("a token's secret checks; what the tokens hand on is its SHA-256, never the secret", () => {
  const tokens = new ResumeTokens();
  const { token, hash } = tokens.issue(ID);
  const { sessionId, secret } = parseToken(token)!;
  assert.equal(sessionId, ID);
  assert.equal(hash, sha256(secret));
  assert.equal(hashSecret(secret), hash);
  assert.equal(tokens.hash(ID), hash);
  assert.ok(tokens.check(ID, secret));
  assert.ok(!tokens.check(ID, hash), "the hash is not a secret that resumes");
  assert.ok(!tokens.check(ID, secret.slice(1)));
});

Deno.test("a hash adopted from a state checks the session's real secret, and only it", () => {
  const tokens = new ResumeTokens();
  tokens.adopt(ID, sha256("s3cret"));
  assert.ok(tokens.check(ID, "s3cret"));
  assert.ok(!tokens.check(ID, sha256("s3cret")), "a hash read from Redis does not resume");
  assert.ok(!tokens.check(ID, "other"));
});

Deno.test("a state with no hash leaves the session without a token", () => {
  const tokens = new ResumeTokens();
  tokens.adopt(ID, "");
  assert.equal(tokens.hash(ID), "");
  assert.ok(!tokens.check(ID, ""));
});

Deno.test("a new token revokes the old one; revoke and clear forget the session", () => {
  const tokens = new ResumeTokens();
  const first = parseToken(tokens.issue(ID).token)!.secret;
  const second = parseToken(tokens.issue(ID).token)!.secret;
  assert.ok(!tokens.check(ID, first));
  assert.ok(tokens.check(ID, second));
  tokens.revoke(ID);
  assert.ok(!tokens.check(ID, second));
  tokens.issue(ID);
  tokens.clear();
  assert.equal(tokens.hash(ID), "");
});
