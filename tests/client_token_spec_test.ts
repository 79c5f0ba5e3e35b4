/**
 * `HubClient`'s `getToken()` (issue 14: "`lib/client.ts` takes a `getToken()` callback and
 * refreshes by itself"), black-box against a server process in `required` mode. The frames the
 * client sends are read off a recording `WebSocket` handed to it.
 */

import assert from "node:assert/strict";
import { type ClientOptions, HubClient } from "../lib/client/mod.ts";
import { eventually } from "./helpers.ts";
import { spawnServer } from "./server_process.ts";
import { nowS, SECRET, token } from "./spec_helpers.ts";

Deno.test("HubClient with getToken(): connects with its token and answers token_expiring with a refresh", async () => {
  await using server = await spawnServer({ AUTH_MODE: "required", AUTH_SECRET: SECRET });
  const sent: Record<string, unknown>[] = [];
  const received: Record<string, unknown>[] = [];
  class Recording extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (e) => received.push(JSON.parse(e.data as string)));
    }
    override send(data: Parameters<WebSocket["send"]>[0]): void {
      if (typeof data === "string") sent.push(JSON.parse(data));
      super.send(data);
    }
  }
  const tokens: string[] = [];
  // Reading: getToken may return a promise (a page fetches its token from its backend).
  const getToken = async () => {
    // The first token expires in 32 s, so token_expiring is due in about 2 s.
    const exp = nowS() + (tokens.length === 0 ? 32 : 300);
    tokens.push(await token({ sub: "user-client" }, { exp }));
    return tokens.at(-1)!;
  };
  const client = new HubClient(server.wsUrl, {
    reconnect: false,
    WebSocket: Recording,
    getToken,
  } as unknown as ClientOptions);
  try {
    const welcome = await client.ready() as unknown as Record<string, unknown>;
    assert.equal(welcome.userId, "user-client", "the first connection did not use getToken()");

    await eventually(() => {
      assert.ok(received.some((f) => f.type === "token_expiring"), "no token_expiring yet");
    }, 6000);
    await eventually(() => {
      const refresh = sent.find((f) => f.type === "refresh");
      assert.ok(refresh, `no refresh sent; sent ${JSON.stringify(sent.map((f) => f.type))}`);
      const data = refresh.data as { token?: string };
      assert.equal(data.token, tokens[1], "the refresh does not carry a new token from getToken()");
      const reply = received.find((f) => f.type === "reply" && f.id === refresh.id);
      assert.ok(reply, "no reply to the refresh yet");
      assert.equal(reply.ok, true, JSON.stringify(reply));
    }, 5000);
  } finally {
    await client.close();
  }
});

Deno.test("HubClient with getToken(): a dropped connection resumes its session with a fresh token (required mode)", async () => {
  await using server = await spawnServer({ AUTH_MODE: "required", AUTH_SECRET: SECRET });
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  let calls = 0;
  const client = new HubClient(server.wsUrl, {
    WebSocket: Tracked,
    minDelayMs: 10,
    maxDelayMs: 50,
    getToken: async () => {
      calls++;
      return await token({ sub: "user-client-resume" });
    },
  } as unknown as ClientOptions);
  try {
    const first = await client.ready() as unknown as Record<string, unknown>;
    assert.equal(first.userId, "user-client-resume");
    const before = calls;
    sockets[0].close(4000, "network changed");
    await eventually(() => {
      assert.equal(client.state, "connected");
      assert.equal(client.resumed, true, "not resumed");
      assert.equal(client.session?.sessionId, first.sessionId);
    }, 5000);
    assert.ok(calls > before, "getToken() was not asked for the reconnect");
    // The reconnect's URL carries both the resume token and a token from getToken().
    const last = new URL(sockets.at(-1)!.url);
    assert.ok(last.searchParams.get("resume"), last.href);
    assert.ok(last.searchParams.get("token"), last.href);
  } finally {
    await client.close();
  }
});

Deno.test("HubClient with getToken(): a getToken() that fails at refresh time leaves the session as it is (no unhandled rejection)", async () => {
  // Reading: "refreshes by itself" includes not crashing the page when the backend is down; the
  // session then simply lives to its current exp. (An unhandled rejection fails this test.)
  await using server = await spawnServer({ AUTH_MODE: "required", AUTH_SECRET: SECRET });
  let calls = 0;
  const client = new HubClient(server.wsUrl, {
    reconnect: false,
    getToken: async () => {
      calls++;
      if (calls > 1) throw new Error("backend down");
      return await token({ sub: "user-flaky-backend" }, { exp: nowS() + 32 });
    },
  } as unknown as ClientOptions);
  try {
    await client.ready();
    await eventually(() => assert.ok(calls >= 2, "getToken() not asked to refresh"), 6000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(client.state, "connected");
    assert.equal((await client.request("ping") as { serverTime: number }).serverTime > 0, true);
  } finally {
    await client.close();
  }
});
