/**
 * The WebSocket handshake over a bare TCP socket, against a server in its own process so that its
 * whole output can be read: each bad handshake gets its RFC 6455 answer before any upgrade, and
 * leaves one structured debug line rather than a stack trace.
 */

import assert from "node:assert/strict";
import { eventually, Probe } from "./helpers.ts";
import { RawSocket, upgradeAnswer } from "./raw_socket.ts";
import { spawnServer } from "./server_process.ts";

Deno.test("bad handshakes get 426 or 400 before upgrading, one debug line each, no stack", async () => {
  await using server = await spawnServer({ LOG_LEVEL: "debug" });

  const badVersion = await upgradeAnswer(server.port, { "Sec-WebSocket-Version": "8" });
  assert.equal(badVersion.status, 426);
  assert.equal(badVersion.headers.get("sec-websocket-version"), "13");
  assert.match(badVersion.body, /Sec-WebSocket-Version "8" is not supported; use 13/);

  const noVersion = await upgradeAnswer(server.port, { "Sec-WebSocket-Version": null });
  assert.equal(noVersion.status, 426);
  assert.equal(noVersion.headers.get("sec-websocket-version"), "13");

  const badKey = await upgradeAnswer(server.port, { "Sec-WebSocket-Key": "c2hvcnQ=" });
  assert.equal(badKey.status, 400);
  assert.equal(badKey.headers.get("upgrade"), null);
  assert.match(badKey.body, /Sec-WebSocket-Key must be 16 bytes of base64/);

  // Deno.upgradeWebSocket throws on these two; they used to get 500 and a stack trace.
  const noKey = await upgradeAnswer(server.port, { "Sec-WebSocket-Key": null });
  assert.equal(noKey.status, 400);
  assert.match(noKey.body, /Sec-WebSocket-Key is missing/);
  const noUpgradeToken = await upgradeAnswer(server.port, { "Connection": "keep-alive" });
  assert.equal(noUpgradeToken.status, 400);
  assert.match(noUpgradeToken.body, /Connection header must contain Upgrade/);

  // A plain GET keeps its 426.
  const plain = await fetch(`${server.origin}/ws`);
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get("upgrade"), "websocket");
  await plain.body?.cancel();

  // The good handshake still upgrades, from a raw socket and from a real client.
  const raw = await RawSocket.connect(server.port);
  assert.equal((await raw.readJson()).type, "welcome");
  raw.drop();
  await using probe = await Probe.open(server.wsUrl);
  assert.equal((await probe.request("ping")).ok, true);

  await eventually(() => {
    const refused = server.printed().split("\n").filter((l) => l.includes("refused handshake"));
    assert.equal(refused.length, 6, server.printed());
  });
  const printed = server.printed();
  assert.match(printed, /DEBUG refused handshake status=426 reason="Sec-WebSocket-Version \\"8\\"/);
  assert.match(printed, /DEBUG refused handshake status=400 reason="Sec-WebSocket-Key is missing"/);
  assert.doesNotMatch(printed, /TypeError|Invalid Header|^\s+at /m);
});
