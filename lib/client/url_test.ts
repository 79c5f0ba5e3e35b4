/**
 * Which URLs the client accepts, and how it rewrites them.
 *
 * @module
 */

import assert, { equal } from "node:assert/strict";
import { attemptUrl, toSocketUrl, withResumeToken } from "./url.ts";

Deno.test("toSocketUrl maps http(s) to ws(s) and refuses other schemes by name", () => {
  equal(toSocketUrl("http://h.test/ws"), "ws://h.test/ws");
  equal(toSocketUrl("https://h.test/ws?x=1"), "wss://h.test/ws?x=1");
  equal(toSocketUrl(new URL("wss://h.test:8443/ws")), "wss://h.test:8443/ws");
  assert.throws(
    () => toSocketUrl("ftp://h.test/ws"),
    (err) => err instanceof TypeError && err.message.includes('"ftp://h.test/ws"'),
  );
});

Deno.test("withResumeToken sets or removes resume and keeps the other parameters as written", () => {
  const base = "wss://h.test/ws";
  equal(withResumeToken(base, "t1"), "wss://h.test/ws?resume=t1");
  equal(withResumeToken(base, undefined), base);
  equal(withResumeToken(base, ""), base, '"" means resume is off: no parameter');
  // Others kept byte for byte (no re-encoding of %20 to +), in order; the old token replaced.
  equal(
    withResumeToken("wss://h.test/ws?a=b%20c&resume=old&flag&z=1", "t2"),
    "wss://h.test/ws?a=b%20c&flag&z=1&resume=t2",
  );
  equal(withResumeToken("wss://h.test/ws?resume=old&a=1", undefined), "wss://h.test/ws?a=1");
  equal(withResumeToken("wss://h.test/ws?resume=old", ""), "wss://h.test/ws");
  // Only a parameter named exactly "resume" is the client's.
  equal(
    withResumeToken("wss://h.test/ws?resumed=1&x_resume=2", "t"),
    "wss://h.test/ws?resumed=1&x_resume=2&resume=t",
  );
  equal(withResumeToken(base, "a b/c"), "wss://h.test/ws?resume=a%20b%2Fc");
});

Deno.test("attemptUrl: a token written in the client's URL is kept when there is no getToken; getToken's replaces it", () => {
  const url = "ws://h.test/ws?token=abc.def.ghi";
  equal(attemptUrl(url, undefined, undefined), url);
  equal(attemptUrl(url, "R1", undefined), "ws://h.test/ws?token=abc.def.ghi&resume=R1");
  equal(attemptUrl(url, undefined, "new.to.ken"), "ws://h.test/ws?token=new.to.ken");
  equal(attemptUrl("ws://h.test/ws", undefined, "t"), "ws://h.test/ws?token=t");
});
