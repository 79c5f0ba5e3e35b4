/**
 * The origin rule through real upgrades: a request written on a bare TCP connection, so the test
 * sets `Host` as a browser under DNS rebinding would (the attacker's name, resolving to the hub).
 * The cases one by one are in `lib/edge/origin_test.ts`.
 */

import assert from "node:assert/strict";
import { startTestServer } from "./helpers.ts";

const encoder = new TextEncoder();

/** The status code the server answers an upgrade with `host` and `origin` (none when omitted). */
async function upgradeStatus(port: number, host: string, origin?: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const request = `GET /ws HTTP/1.1\r\nHost: ${host}\r\n` +
      (origin === undefined ? "" : `Origin: ${origin}\r\n`) +
      "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    await conn.write(encoder.encode(request));
    // The status line comes in the first packet; more than that is not needed.
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    const status = head.match(/^HTTP\/1\.1 (\d{3})/)?.[1];
    assert.ok(status, `no status line in ${JSON.stringify(head)}`);
    return Number(status);
  } finally {
    conn.close();
  }
}

Deno.test("bad input: a DNS-rebinding upgrade (Origin and Host both the attacker's name) gets 403", async (t) => {
  await t.step("without PUBLIC_URL: the own origin counts on an IP literal only", async () => {
    await using server = await startTestServer();
    const { port } = server;
    const attacker = `attacker.example:${port}`;
    assert.equal(await upgradeStatus(port, attacker, `http://${attacker}`), 403);
    assert.equal(await upgradeStatus(port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`), 101);
    assert.equal(await upgradeStatus(port, `localhost:${port}`, `http://localhost:${port}`), 101);
    // A client that is not a browser sends no Origin and gets in at any Host.
    assert.equal(await upgradeStatus(port, attacker), 101);
  });

  await t.step("with PUBLIC_URL: its host is the only Host a browser may come to", async () => {
    // The port is not known before the server starts; PUBLIC_URL need not match it anyway.
    await using server = await startTestServer({ publicUrl: "https://chat.example.com" });
    const { port } = server;
    const attacker = `attacker.example:${port}`;
    assert.equal(await upgradeStatus(port, attacker, `http://${attacker}`), 403);
    assert.equal(await upgradeStatus(port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`), 403);
    assert.equal(
      await upgradeStatus(port, "chat.example.com", "https://chat.example.com"),
      101,
    );
    assert.equal(await upgradeStatus(port, `127.0.0.1:${port}`), 101);
  });
});
