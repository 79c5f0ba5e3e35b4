/** Who may read `/metrics`: the bearer token, or, without one, this machine only. */

import assert from "node:assert/strict";
import { isLocalPeer, isLoopback, metricsRefusal } from "./access.ts";

function peer(hostname: string): Deno.ServeHandlerInfo {
  return {
    remoteAddr: { transport: "tcp", hostname, port: 50000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
}

const request = (headers: Record<string, string> = {}) =>
  new Request("http://hub.example/metrics", { headers });

Deno.test("loopback addresses, IPv4, IPv6 and mapped", () => {
  for (const host of ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1", "::"]) {
    assert.ok(!isLoopback(host), host);
  }
});

Deno.test("without a token: loopback and Unix peers only, and never through a proxy", () => {
  assert.equal(metricsRefusal(request(), peer("127.0.0.1"), ""), undefined);
  assert.equal(metricsRefusal(request(), peer("::1"), ""), undefined);
  const unix = {
    remoteAddr: { transport: "unix", path: "/run/hub.sock" },
    completed: Promise.resolve(),
  } as unknown as Deno.ServeHandlerInfo;
  assert.ok(isLocalPeer(request(), unix));
  assert.equal(metricsRefusal(request(), peer("203.0.113.7"), "")?.status, 403);
  assert.equal(metricsRefusal(request(), undefined, "")?.status, 403, "no peer known");
  for (const name of ["x-forwarded-for", "forwarded", "x-real-ip"]) {
    const proxied = request({ [name]: "203.0.113.7" });
    assert.equal(metricsRefusal(proxied, peer("127.0.0.1"), "")?.status, 403, name);
  }
});

Deno.test("with a token: the bearer token is needed from anywhere, loopback included", async () => {
  const token = "s3cret-token";
  const ok = request({ authorization: `Bearer ${token}` });
  assert.equal(metricsRefusal(ok, peer("203.0.113.7"), token), undefined);
  assert.equal(
    metricsRefusal(request({ authorization: `bearer ${token}` }), undefined, token),
    undefined,
  );
  for (
    const authorization of [
      undefined,
      "",
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${token}`,
      token,
      "Bearer",
    ]
  ) {
    const refused = metricsRefusal(
      request(authorization === undefined ? {} : { authorization }),
      peer("127.0.0.1"),
      token,
    );
    assert.equal(refused?.status, 401, String(authorization));
    assert.equal(refused?.headers.get("www-authenticate"), 'Bearer realm="metrics"');
    assert.match(await refused!.text(), /METRICS_TOKEN/);
  }
});
