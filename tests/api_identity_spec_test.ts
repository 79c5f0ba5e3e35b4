/**
 * The server API's calls about users (issue 14), black-box: sessions found by the `sub` of their
 * tokens, on one node and across two. Split from
 * `api_spec_test.ts` because these need identity as well as the API.
 */

import assert from "node:assert/strict";
import { eventually, Probe } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import { spawnServer } from "./server_process.ts";
import { CLIENTS, connect, withTimeout } from "./socketio_helpers.ts";
import {
  api,
  API_KEY,
  closedWithin,
  okJson,
  openWith,
  SECRET,
  token,
  welcomeOf,
} from "./spec_helpers.ts";

const API_ENV = { API_KEY, AUTH_MODE: "optional", AUTH_SECRET: SECRET, CHAT_RATE: "0" };

Deno.test("disconnect by userId: every session of the user, away ones included, no one else", async (t) => {
  await using server = await spawnServer(API_ENV);
  await using observer = await openWith(server);

  await t.step("by userId, an away session of the user ends too and cannot resume", async () => {
    // Reading: "closes those sessions ... with no resume": a user thrown out must not come back
    // through a session that was waiting to be resumed when the call came.
    const jwt = await token({ sub: "user-away" });
    const away = await openWith(server, jwt);
    const { sessionId, resumeToken } = welcomeOf(away);
    away.socket.close(4000, "network changed");
    await away.closed;
    okJson(
      await api(server, "POST", "/api/disconnect", { body: { userId: "user-away" } }),
      "disconnect an away user",
    );
    await using again = await Probe.open(
      `${server.wsUrl}?resume=${encodeURIComponent(resumeToken as string)}&token=${jwt}`,
    );
    assert.equal(welcomeOf(again).resumed, false, JSON.stringify(welcomeOf(again)));
    assert.notEqual(welcomeOf(again).sessionId, sessionId);
  });

  await t.step("by userId: every session of that user, no one else", async () => {
    const jwt = await token({ sub: "user-kick" });
    await using first = await openWith(server, jwt);
    await using second = await openWith(server, jwt);
    await using bystander = await openWith(server, await token({ sub: "user-stay" }));
    okJson(
      await api(server, "POST", "/api/disconnect", { body: { userId: "user-kick" } }),
      "disconnect by userId",
    );
    for (const probe of [first, second]) {
      assert.equal((await closedWithin(probe, 5000)).code, 4003);
    }
    assert.equal((await bystander.request("ping")).ok, true);
    assert.equal((await observer.request("ping")).ok, true);
  });
});

Deno.test("presence and users/:userId/sessions", async () => {
  await using server = await spawnServer(API_ENV);
  await using anon = await openWith(server);
  const jwt = await token({ sub: "user-seen", name: "Seen" });
  await using one = await openWith(server, jwt);
  await using two = await openWith(server, jwt);
  assert.equal((await one.request("join", { room: "pres" })).ok, true);
  assert.equal((await anon.request("join", { room: "pres" })).ok, true);

  const presence = okJson(await api(server, "GET", "/api/presence?room=pres"), "presence");
  assert.equal(presence.room, "pres");
  const members = presence.members as Record<string, unknown>[];
  // The fields the issue lists, in session id order (a field more would not be a misreading).
  const sorted = (list: Record<string, unknown>[], keys: string[]) =>
    [...list].sort((x, y) => String(x.sessionId).localeCompare(String(y.sessionId)))
      .map((item) => Object.fromEntries(keys.map((k) => [k, item[k]])));
  const memberKeys = ["sessionId", "userId", "name"];
  const sessionKeys = ["sessionId", "name", "connectedAt"];
  assert.deepEqual(
    sorted(members, memberKeys),
    sorted([
      { sessionId: welcomeOf(one).sessionId, userId: "user-seen", name: "Seen" },
      { sessionId: welcomeOf(anon).sessionId, userId: null, name: welcomeOf(anon).name },
    ], memberKeys),
  );

  const sessions = okJson(await api(server, "GET", "/api/users/user-seen/sessions"), "sessions");
  assert.equal(sessions.userId, "user-seen");
  assert.deepEqual(
    sorted(sessions.sessions as Record<string, unknown>[], sessionKeys),
    sorted(
      [one, two].map((p) => ({
        sessionId: welcomeOf(p).sessionId,
        name: "Seen",
        connectedAt: welcomeOf(p).connectedAt,
      })),
      sessionKeys,
    ),
  );

  // Reading: a user with no session is an empty list, not an error.
  const nobody = okJson(await api(server, "GET", "/api/users/user-nobody/sessions"), "nobody");
  assert.deepEqual(nobody, { userId: "user-nobody", sessions: [] });
});

clusterTest("API across nodes, by user: sessions listed and ended on both nodes", async () => {
  await using cluster = await startCluster(2, API_ENV);
  const [n0, n1] = cluster.nodes;
  const jwt = await token({ sub: "user-far", name: "Far" });
  await using far = await openWith(n1, jwt);
  await using near = await openWith(n0, jwt);
  assert.equal((await far.request("join", { room: "xnode" })).ok, true);

  await eventually(async () => {
    const presence = okJson(await api(n0, "GET", "/api/presence?room=xnode"), "presence");
    const members = presence.members as Record<string, unknown>[];
    assert.deepEqual(
      members.map(({ sessionId, userId, name }) => ({ sessionId, userId, name })),
      [{ sessionId: welcomeOf(far).sessionId, userId: "user-far", name: "Far" }],
    );
  });
  const sessions = okJson(await api(n0, "GET", "/api/users/user-far/sessions"), "sessions");
  assert.deepEqual(
    (sessions.sessions as { sessionId: string }[]).map((s) => s.sessionId).sort(),
    [welcomeOf(far).sessionId, welcomeOf(near).sessionId].sort(),
  );
  okJson(
    await api(n1, "POST", "/api/disconnect", { body: { userId: "user-far" } }),
    "disconnect by userId",
  );
  assert.equal((await closedWithin(far, 5000)).code, 4003);
  assert.equal((await closedWithin(near, 5000)).code, 4003);
});

Deno.test("users/:userId/sessions and disconnect for user ids with characters a URL path must escape", async () => {
  await using server = await spawnServer(API_ENV);
  // Reading: `sub` is any 1 to 64 characters, so the API finds every one of them when the path
  // segment is percent-encoded.
  for (const sub of ["ada@example.com", "team/ada", "zoë ü", "a%2Fb", "50%"]) {
    await using probe = await openWith(server, await token({ sub }));
    const path = `/api/users/${encodeURIComponent(sub)}/sessions`;
    const found = okJson(await api(server, "GET", path), path);
    assert.equal(found.userId, sub, path);
    assert.deepEqual(
      (found.sessions as { sessionId: string }[]).map((s) => s.sessionId),
      [welcomeOf(probe).sessionId],
      path,
    );
    okJson(await api(server, "POST", "/api/disconnect", { body: { userId: sub } }), sub);
    assert.equal((await closedWithin(probe, 5000)).code, 4003, sub);
  }
});

clusterTest(
  "disconnect by userId on one node ends the user's away session on the other",
  async () => {
    await using cluster = await startCluster(2, API_ENV);
    const [n0, n1] = cluster.nodes;
    const jwt = await token({ sub: "user-away-far" });
    const away = await openWith(n1, jwt);
    const { sessionId, resumeToken } = welcomeOf(away);
    away.socket.close(4000, "network changed");
    await away.closed;
    okJson(
      await api(n0, "POST", "/api/disconnect", { body: { userId: "user-away-far" } }),
      "disconnect",
    );
    // The other node ends it "a moment after the answer" (docs/api.md); a resume then is refused.
    await eventually(async () => {
      const sessions = okJson(await api(n0, "GET", "/api/users/user-away-far/sessions"), "list");
      assert.deepEqual(sessions.sessions, []);
    });
    for (const node of [n1, n0]) {
      await using again = await Probe.open(
        `${node.wsUrl}?resume=${encodeURIComponent(resumeToken as string)}&token=${jwt}`,
      );
      assert.equal(welcomeOf(again).resumed, false, JSON.stringify(welcomeOf(again)));
      assert.notEqual(welcomeOf(again).sessionId, sessionId);
    }
  },
);

Deno.test("the API sees and ends Socket.IO sessions as it does /ws ones", async () => {
  await using server = await spawnServer(API_ENV);
  await using client = await connect(CLIENTS[0].io, server.origin, {
    auth: { token: await token({ sub: "user-sio-api" }) },
    transports: ["websocket"],
  });
  const ended = new Promise<string>((resolve) =>
    client.socket.once("disconnect", (reason: string) => resolve(reason))
  );
  const sessions = okJson(await api(server, "GET", "/api/users/user-sio-api/sessions"), "list");
  assert.deepEqual(
    (sessions.sessions as { sessionId: string }[]).map((s) => s.sessionId),
    [client.clientId],
  );
  okJson(
    await api(server, "POST", "/api/disconnect", { body: { userId: "user-sio-api" } }),
    "disconnect",
  );
  // Any way of ending it will do ("io server disconnect" or the transport's close).
  assert.ok(await withTimeout(ended, "the Socket.IO session's end"));
});
