import assert from "node:assert/strict";
import { checkHandshake } from "./upgrade.ts";

/** The key from RFC 6455 §1.3. */
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

const GOOD = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-version": "13",
  "sec-websocket-key": KEY,
};

/** An upgrade request with `changes` over a good handshake; `null` leaves a header out. */
function upgrade(changes: Record<string, string | null> = {}): Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...GOOD, ...changes })) {
    if (value !== null) headers[name] = value;
  }
  return new Request("http://hub.example/ws", { headers });
}

/** The refusal for `req`, failing the test if it was accepted. */
function refusal(req: Request) {
  const checked = checkHandshake(req);
  assert.notEqual(checked, "ok", "the handshake was accepted");
  return checked as Exclude<typeof checked, "ok">;
}

Deno.test("a good handshake is ok, in any case and with other tokens beside", () => {
  assert.equal(checkHandshake(upgrade()), "ok");
  assert.equal(
    checkHandshake(upgrade({ upgrade: "WebSocket", connection: "upgrade" })),
    "ok",
  );
  // Firefox sends `Connection: keep-alive, Upgrade`.
  assert.equal(checkHandshake(upgrade({ connection: "keep-alive, Upgrade" })), "ok");
});

Deno.test("bad input: no Upgrade header (a plain GET) gets 426 with Upgrade: websocket", async () => {
  for (const value of [null, "h2c", "websocketx"]) {
    const { response } = refusal(upgrade({ upgrade: value }));
    assert.equal(response.status, 426, `Upgrade: ${value}`);
    assert.equal(response.headers.get("upgrade"), "websocket");
    assert.match(await response.text(), /speaks WebSocket/);
  }
});

Deno.test("bad input: Connection without the Upgrade token gets 400", () => {
  for (const value of [null, "keep-alive", "upgrades"]) {
    const { response, reason } = refusal(upgrade({ connection: value }));
    assert.equal(response.status, 400, `Connection: ${value}`);
    assert.match(reason, /Connection/);
  }
});

Deno.test("bad input: Sec-WebSocket-Version other than 13 gets 426 with Sec-WebSocket-Version: 13", async () => {
  for (const value of ["8", "12", "14", "13, 8", "thirteen", null]) {
    const { response, reason } = refusal(upgrade({ "sec-websocket-version": value }));
    assert.equal(response.status, 426, `Sec-WebSocket-Version: ${value}`);
    assert.equal(response.headers.get("sec-websocket-version"), "13");
    assert.match(reason, /Sec-WebSocket-Version/);
    assert.equal(await response.text(), `${reason}\n`);
  }
});

Deno.test("bad input: a Sec-WebSocket-Key that is not 16 bytes of base64 gets 400", () => {
  const bad = {
    "missing": null,
    "empty": "",
    "15 bytes": btoa("x".repeat(15)),
    "17 bytes": btoa("x".repeat(17)),
    "not base64": "!!!!!!!!!!!!!!!!!!!!!!==",
    "unpadded": KEY.slice(0, 22),
    "two keys": `${KEY}, ${KEY}`,
  };
  for (const [name, value] of Object.entries(bad)) {
    const { response, reason } = refusal(upgrade({ "sec-websocket-key": value }));
    assert.equal(response.status, 400, name);
    assert.match(reason, /Sec-WebSocket-Key/, name);
  }
  assert.equal(checkHandshake(upgrade({ "sec-websocket-key": btoa("x".repeat(16)) })), "ok");
});

Deno.test("the version is checked before the key, so an old client learns to speak 13", () => {
  // A hixie-76 client sends Sec-WebSocket-Key1/Key2 and no version.
  const { response } = refusal(
    upgrade({ "sec-websocket-version": null, "sec-websocket-key": null }),
  );
  assert.equal(response.status, 426);
});
