/**
 * Which URLs the client accepts, and how it rewrites them.
 *
 * @module
 */

import assert, { equal } from "node:assert/strict";
import { toSocketUrl } from "./url.ts";

Deno.test("toSocketUrl maps http(s) to ws(s) and refuses other schemes by name", () => {
  equal(toSocketUrl("http://h.test/ws"), "ws://h.test/ws");
  equal(toSocketUrl("https://h.test/ws?x=1"), "wss://h.test/ws?x=1");
  equal(toSocketUrl(new URL("wss://h.test:8443/ws")), "wss://h.test:8443/ws");
  assert.throws(
    () => toSocketUrl("ftp://h.test/ws"),
    (err) => err instanceof TypeError && err.message.includes('"ftp://h.test/ws"'),
  );
});
