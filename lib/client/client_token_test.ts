/**
 * `HubClient` with `getToken`: a fresh token on every connection attempt, `refresh` sent by itself
 * on `token_expiring`, a new session at once after 4001 (the token expired), no retry after 4005
 * (the user's connection limit), and a `getToken` that fails counted as a failed attempt.
 */

import { deepEqual, equal } from "node:assert/strict";
import { capture, send, waitFor, withHub } from "./testing/fake_hub.ts";

/** A `getToken` that hands out `tok-1`, `tok-2`, ... and counts its calls. */
function tokens() {
  let n = 0;
  const getToken = () => Promise.resolve(`tok-${++n}`);
  return { getToken, calls: () => n };
}

const param = (url: URL, name: string) => url.searchParams.get(name);

Deno.test("getToken: every attempt, the first and each resume, carries a fresh token", async () => {
  const t = tokens();
  await withHub(async (hub, client) => {
    await client.ready();
    deepEqual([param(hub.urls[0], "token"), param(hub.urls[0], "resume")], ["tok-1", null]);
    hub.last.close(4000, "dropped");
    await waitFor(() => hub.urls.length === 2 && client.state === "connected", "the resume");
    deepEqual([param(hub.urls[1], "token"), param(hub.urls[1], "resume")], ["tok-2", "t1"]);
    equal(t.calls(), 2);
  }, { hub: { resume: true }, client: { getToken: t.getToken } });
});

Deno.test("token_expiring: the client fetches a token and sends refresh by itself", async () => {
  const t = tokens();
  await withHub(async (hub, client) => {
    await client.ready();
    const heard: unknown[] = [];
    client.on("token_expiring", (data) => heard.push(data));
    send(hub.last, { type: "token_expiring", data: { expiresAt: 5000 } });
    await waitFor(() => hub.framesOf("refresh").length === 1, "the refresh");
    deepEqual(hub.framesOf("refresh")[0].data, { token: "tok-2" });
    deepEqual(heard, [{ expiresAt: 5000 }], "listeners hear the event too");
  }, { client: { getToken: t.getToken } });
});

Deno.test("4001: the session ended with its token; a new one at once, without resume", async () => {
  const t = tokens();
  await withHub(async (hub, client) => {
    await client.ready();
    hub.last.close(4001, "Token expired");
    await waitFor(() => hub.urls.length === 2 && client.state === "connected", "the new session");
    deepEqual([param(hub.urls[1], "token"), param(hub.urls[1], "resume")], ["tok-2", null]);
    equal(client.resumed, false);
  }, {
    hub: { resume: true },
    client: { getToken: t.getToken, minDelayMs: 60_000, maxDelayMs: 60_000 },
  });
});

Deno.test("4005: over the user's connection limit, the client stops trying", async () => {
  await withHub(async (hub, client) => {
    await client.ready();
    await capture("error", async () => {
      hub.last.close(4005, "Too many connections for this user");
      await waitFor(() => client.state === "offline", "giving up");
    });
    equal(hub.urls.length, 1);
    equal(client.lastClose?.code, 4005);
  }, { client: { getToken: () => "tok" } });
});

Deno.test("a getToken that fails is a failed attempt, tried again with backoff", async () => {
  let calls = 0;
  const getToken = () => ++calls === 1 ? Promise.reject(new Error("no session")) : "tok";
  await withHub(async (hub, client) => {
    const errors = await capture("error", async () => {
      await client.ready();
    });
    equal(calls, 2);
    equal(hub.urls.length, 1, "no socket for the failed attempt");
    equal(param(hub.urls[0], "token"), "tok");
    equal(errors.length, 1);
  }, { client: { getToken } });
});
