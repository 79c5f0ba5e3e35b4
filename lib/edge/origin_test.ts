/**
 * The upgrade guard on its own: which `Origin`/`Host` pairs get in, with and without `PUBLIC_URL`.
 * Each refused case names the bad input; the DNS-rebinding shape (a page on the attacker's name,
 * whose DNS now points at the hub, so `Origin` and `Host` agree) is refused in both modes.
 * `tests/origin_test.ts` runs the same rule through a real upgrade.
 */

import assert from "node:assert/strict";
import { originAllowed, type OriginPolicy } from "./origin.ts";

const upgrade = (origin: string | undefined, host: string) =>
  new Request(`http://127.0.0.1:8000/ws`, {
    headers: origin === undefined ? { host } : { host, origin },
  });

const NO_PUBLIC_URL: OriginPolicy = { allowedOrigins: [], publicUrl: "" };
const PUBLIC: OriginPolicy = { allowedOrigins: [], publicUrl: "https://chat.example.com" };

function check(policy: OriginPolicy, origin: string | undefined, host: string): boolean {
  return originAllowed(upgrade(origin, host), policy);
}

Deno.test("no Origin header (not a browser) is allowed, whatever the Host", () => {
  assert.equal(check(NO_PUBLIC_URL, undefined, "hub.example:8000"), true);
  assert.equal(check(NO_PUBLIC_URL, undefined, "127.0.0.1:8000"), true);
  assert.equal(check(PUBLIC, undefined, "chat.example.com"), true);
  assert.equal(check(PUBLIC, undefined, "10.0.0.5:8000"), true);
});

Deno.test("without PUBLIC_URL, the own origin counts on loopback and IP-literal hosts", () => {
  const own: [origin: string, host: string][] = [
    ["http://127.0.0.1:8000", "127.0.0.1:8000"],
    ["http://127.5.6.7:8000", "127.5.6.7:8000"],
    ["http://localhost:8000", "localhost:8000"],
    ["http://localhost:8000", "LOCALHOST:8000"],
    ["http://[::1]:8000", "[::1]:8000"],
    ["http://10.0.0.5:8000", "10.0.0.5:8000"],
    ["http://[2001:db8::1]:8000", "[2001:db8::1]:8000"],
    // TLS ends at a proxy: the scheme is not compared, and a default port may be written or not.
    ["https://192.168.1.20", "192.168.1.20"],
    ["https://192.168.1.20", "192.168.1.20:443"],
    ["http://127.0.0.1", "127.0.0.1:80"],
  ];
  for (const [origin, host] of own) {
    assert.equal(check(NO_PUBLIC_URL, origin, host), true, `${origin} at ${host}`);
  }
});

Deno.test("without PUBLIC_URL, refused: a DNS name as own origin, and origins that differ", () => {
  const refused: [what: string, origin: string, host: string][] = [
    [
      "DNS rebinding: the attacker's name in both",
      "http://attacker.example:8000",
      "attacker.example:8000",
    ],
    ["the hub's own DNS name (needs PUBLIC_URL)", "https://hub.example", "hub.example"],
    [
      "a name that starts like localhost",
      "http://localhost.attacker.example",
      "localhost.attacker.example",
    ],
    [
      "a name that embeds a loopback address",
      "http://127.0.0.1.nip.io:8000",
      "127.0.0.1.nip.io:8000",
    ],
    ["a foreign origin at a loopback host", "http://evil.example", "127.0.0.1:8000"],
    ["another port on the same address", "http://127.0.0.1:9000", "127.0.0.1:8000"],
    ["another loopback address", "http://127.0.0.2:8000", "127.0.0.1:8000"],
    ["an Origin that is not a URL", "not a url", "127.0.0.1:8000"],
    ["an opaque origin", "null", "127.0.0.1:8000"],
    ["an Origin with a path", "http://127.0.0.1:8000/chat", "127.0.0.1:8000"],
    ["an Origin with user info", "http://x@127.0.0.1:8000", "127.0.0.1:8000"],
    ["a Host with user info", "http://127.0.0.1:8000", "evil.example@127.0.0.1:8000"],
    ["a Host with a path", "http://127.0.0.1:8000", "127.0.0.1:8000/x"],
    ["an empty Host", "http://127.0.0.1:8000", ""],
  ];
  for (const [what, origin, host] of refused) {
    assert.equal(check(NO_PUBLIC_URL, origin, host), false, what);
  }
});

Deno.test("without PUBLIC_URL, ALLOWED_ORIGINS lets listed origins in at any host; * lets all in", () => {
  const listed: OriginPolicy = { allowedOrigins: ["https://app.example"], publicUrl: "" };
  assert.equal(check(listed, "https://app.example", "hub.example"), true);
  assert.equal(check(listed, "https://app.example", "127.0.0.1:8000"), true);
  assert.equal(check(listed, "http://127.0.0.1:8000", "127.0.0.1:8000"), true, "own still counts");
  // Bad input: the listed host under another scheme, and an unlisted origin.
  assert.equal(check(listed, "http://app.example", "hub.example"), false);
  assert.equal(check(listed, "https://other.example", "hub.example"), false);
  const any: OriginPolicy = { allowedOrigins: ["*"], publicUrl: "" };
  assert.equal(check(any, "http://anything.example", "hub.example"), true);
});

Deno.test("with PUBLIC_URL, it is the own origin and the only Host a browser may come to", () => {
  assert.equal(check(PUBLIC, "https://chat.example.com", "chat.example.com"), true);
  assert.equal(check(PUBLIC, "https://chat.example.com", "Chat.Example.com:443"), true);
  const refused: [what: string, origin: string, host: string][] = [
    [
      "DNS rebinding: the attacker's name in both",
      "http://attacker.example:8000",
      "attacker.example:8000",
    ],
    ["the public origin at another Host", "https://chat.example.com", "10.0.0.5:8000"],
    ["the public host over http", "http://chat.example.com", "chat.example.com"],
    ["a loopback own origin (PUBLIC_URL replaces it)", "http://127.0.0.1:8000", "127.0.0.1:8000"],
    ["a foreign origin", "https://evil.example", "chat.example.com"],
    ["an Origin that is not a URL", "not a url", "chat.example.com"],
  ];
  for (const [what, origin, host] of refused) {
    assert.equal(check(PUBLIC, origin, host), false, what);
  }
});

Deno.test("with PUBLIC_URL, ALLOWED_ORIGINS and * add origins but not Hosts", () => {
  const listed: OriginPolicy = {
    allowedOrigins: ["https://app.example"],
    publicUrl: "https://chat.example.com",
  };
  assert.equal(check(listed, "https://app.example", "chat.example.com"), true);
  // Bad input: a listed origin sent to another Host.
  assert.equal(check(listed, "https://app.example", "attacker.example"), false);
  const any: OriginPolicy = { allowedOrigins: ["*"], publicUrl: "https://chat.example.com" };
  assert.equal(check(any, "https://anything.example", "chat.example.com"), true);
  // Bad input: * does not lift the Host check, so rebinding stays refused.
  assert.equal(check(any, "http://attacker.example:8000", "attacker.example:8000"), false);
});

Deno.test("a PUBLIC_URL with a port needs that port in Host", () => {
  const policy: OriginPolicy = { allowedOrigins: [], publicUrl: "http://hub.lan:8000" };
  assert.equal(check(policy, "http://hub.lan:8000", "hub.lan:8000"), true);
  // Bad input: the default port instead of 8000.
  assert.equal(check(policy, "http://hub.lan:8000", "hub.lan"), false);
});

Deno.test("without a Host header, the request URL's host is used", () => {
  const req = new Request("http://127.0.0.1:8000/ws", {
    headers: { origin: "http://127.0.0.1:8000" },
  });
  assert.equal(req.headers.get("host"), null);
  assert.equal(originAllowed(req, NO_PUBLIC_URL), true);
});
