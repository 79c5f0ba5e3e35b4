/**
 * The security headers middleware in a small app: which responses get which headers, the
 * WebSocket source in `connect-src`, and bad `Host` headers that must not reach the policy.
 * `tests/browser_csp_test.ts` shows the real page runs under the policy without a violation.
 */

import assert from "node:assert/strict";
import { App } from "fresh";
import { contentSecurityPolicy, securityHeaders } from "./security_headers.ts";

function app(publicUrl = "", route: () => Response = htmlPage) {
  return new App()
    .use(securityHeaders({ publicUrl }))
    .get("/", route)
    .get("/styles.css", () => new Response("p{}", { headers: { "content-type": "text/css" } }))
    .get("/api/stats", () => Response.json({ count: 0 }))
    .get("/old", () => Response.redirect("http://127.0.0.1:8000/", 308))
    .handler();
}

function htmlPage(): Response {
  return new Response("<!DOCTYPE html><p>hi</p>", {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

function get(handler: ReturnType<typeof app>, path: string, host = "127.0.0.1:8000") {
  return handler(new Request(`http://${host}${path}`));
}

/** The policy as a map from directive to its sources. */
function directives(policy: string | null): Map<string, string[]> {
  assert.ok(policy, "a Content-Security-Policy header");
  return new Map(
    policy.split(";").map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

Deno.test("an HTML page gets the policy and the other headers", async () => {
  const res = await get(app(), "/");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "<!DOCTYPE html><p>hi</p>");
  const csp = directives(res.headers.get("content-security-policy"));
  assert.deepEqual(csp.get("default-src"), ["'self'"]);
  assert.deepEqual(csp.get("script-src"), ["'self'"]);
  assert.deepEqual(csp.get("connect-src"), [
    "'self'",
    "ws://127.0.0.1:8000",
    "wss://127.0.0.1:8000",
  ]);
  assert.deepEqual(csp.get("frame-ancestors"), ["'none'"]);
  assert.deepEqual(csp.get("object-src"), ["'none'"]);
  assert.deepEqual(csp.get("base-uri"), ["'none'"]);
  assert.deepEqual(csp.get("form-action"), ["'self'"]);
  for (const [name, sources] of csp) {
    assert.ok(!sources.includes("'unsafe-inline'"), `${name} allows no inline code`);
    assert.ok(!sources.includes("'unsafe-eval'"), `${name} allows no eval`);
  }
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin");
  const permissions = res.headers.get("permissions-policy") ?? "";
  for (const feature of ["camera", "microphone", "geolocation", "payment", "usb"]) {
    assert.match(permissions, new RegExp(`(^|, )${feature}=\\(\\)`), feature);
  }
});

Deno.test("connect-src names the WebSocket host of the request, or of PUBLIC_URL when set", async () => {
  const local = directives((await get(app(), "/", "localhost:9000")).headers.get(
    "content-security-policy",
  ));
  assert.deepEqual(local.get("connect-src"), [
    "'self'",
    "ws://localhost:9000",
    "wss://localhost:9000",
  ]);
  // Behind a proxy the page's host is PUBLIC_URL's, whatever Host the proxy sends on.
  const proxied = directives(
    (await get(app("https://chat.example.com"), "/", "10.0.0.5:8001")).headers.get(
      "content-security-policy",
    ),
  );
  assert.deepEqual(proxied.get("connect-src"), [
    "'self'",
    "ws://chat.example.com",
    "wss://chat.example.com",
  ]);
});

Deno.test("bad input: a Host that would add directives leaves connect-src at 'self'", async () => {
  // URL accepts these characters in a host; the policy must not.
  for (const host of ["a;script-src *", "a,b", "evil'x", "a*b", "a b", ""]) {
    const csp = directives(contentSecurityPolicy(host));
    assert.deepEqual(csp.get("connect-src"), ["'self'"], host);
    assert.deepEqual(csp.get("script-src"), ["'self'"], host);
  }
  // Through the middleware, with the semicolon in the request's own host.
  const res = await get(app(), "/", "evil;script-src:8000");
  await res.body?.cancel();
  const csp = directives(res.headers.get("content-security-policy"));
  assert.deepEqual(csp.get("connect-src"), ["'self'"]);
  assert.equal(csp.has("evil"), false);
});

Deno.test("other responses get nosniff only: static files, JSON", async () => {
  for (const path of ["/styles.css", "/api/stats"]) {
    const res = await get(app(), path);
    await res.body?.cancel();
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("content-security-policy"), null, path);
    assert.equal(res.headers.get("referrer-policy"), null, path);
  }
});

Deno.test("a response with immutable headers (Response.redirect) gets them on a copy", async () => {
  const res = await get(app(), "/old");
  assert.equal(res.status, 308);
  assert.equal(res.headers.get("location"), "http://127.0.0.1:8000/");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("a route that sets its own policy keeps it", async () => {
  const own = () =>
    new Response("<p>", {
      headers: {
        "content-type": "text/html",
        "content-security-policy": "default-src 'none'",
        "referrer-policy": "same-origin",
      },
    });
  const res = await get(app("", own), "/");
  await res.body?.cancel();
  assert.equal(res.headers.get("content-security-policy"), "default-src 'none'");
  assert.equal(res.headers.get("referrer-policy"), "same-origin");
  assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin");
});
