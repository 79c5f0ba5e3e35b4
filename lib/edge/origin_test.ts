import assert from "node:assert/strict";
import { originAllowed } from "./origin.ts";

const upgrade = (origin?: string, host = "hub.example:8000") =>
  new Request(`http://${host}/ws`, {
    headers: origin === undefined ? { host } : { host, origin },
  });

Deno.test("no Origin header (not a browser) is allowed", () => {
  assert.equal(originAllowed(upgrade(), []), true);
});

Deno.test("the server's own origin is allowed by default, others are not", () => {
  assert.equal(originAllowed(upgrade("http://hub.example:8000"), []), true);
  assert.equal(originAllowed(upgrade("https://hub.example:8000"), []), true);
  assert.equal(originAllowed(upgrade("http://evil.example"), []), false);
  assert.equal(originAllowed(upgrade("http://hub.example:9000"), []), false);
  // Bad input: an Origin header that is not a URL.
  assert.equal(originAllowed(upgrade("not a url"), []), false);
  assert.equal(originAllowed(upgrade("null"), []), false);
});

Deno.test("ALLOWED_ORIGINS adds origins; * allows all", () => {
  const allowed = ["https://app.example"];
  assert.equal(originAllowed(upgrade("https://app.example"), allowed), true);
  assert.equal(originAllowed(upgrade("http://app.example"), allowed), false);
  assert.equal(originAllowed(upgrade("http://hub.example:8000"), allowed), true);
  assert.equal(originAllowed(upgrade("http://anything.example"), ["*"]), true);
});
