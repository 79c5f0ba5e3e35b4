import assert from "node:assert/strict";
import { getBuildId, setBuildId } from "./build_id.ts";
import { asset, IS_BROWSER } from "./runtime.ts";

Deno.test("IS_BROWSER is false on the server", () => {
  assert.equal(IS_BROWSER, false);
});

Deno.test("asset() returns the path unchanged without a build", () => {
  assert.equal(getBuildId(), null);
  assert.equal(asset("/styles.css"), "/styles.css");
  assert.equal(asset("/img/logo.svg?v=1"), "/img/logo.svg?v=1");
});

Deno.test("asset() appends the build id with a build", () => {
  setBuildId("abc123");
  try {
    assert.equal(asset("/styles.css"), "/styles.css?__frsh_c=abc123");
    assert.equal(asset("/img/logo.svg?v=1#top"), "/img/logo.svg?v=1&__frsh_c=abc123#top");
    assert.equal(asset("/a.css?__frsh_c=old"), "/a.css?__frsh_c=old");
    assert.equal(asset("//cdn.example/a.css"), "//cdn.example/a.css");
    assert.equal(asset("https://example.com/a.css"), "https://example.com/a.css");
    assert.equal(asset("a.css"), "a.css");
  } finally {
    setBuildId(null);
  }
});
