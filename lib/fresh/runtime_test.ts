import assert from "node:assert/strict";
import { asset, IS_BROWSER } from "./runtime.ts";

Deno.test("IS_BROWSER is false on the server", () => {
  assert.equal(IS_BROWSER, false);
});

Deno.test("asset() returns the path unchanged until the build step exists", () => {
  assert.equal(asset("/styles.css"), "/styles.css");
  assert.equal(asset("/img/logo.svg?v=1"), "/img/logo.svg?v=1");
});
