/**
 * The server API's calls about users, across two nodes over a real Redis, with sessions that
 * connect with a token (`AUTH_MODE=required`, HS256): a user's sessions listed from either node,
 * presence carrying each member's user, and one disconnect by `userId` ending every session of
 * the user on both nodes with 4003, leaving other users' sessions alone; and on one node, a user
 * id that needs percent-encoding in the path.
 *
 * Outside CI the tests skip, saying why, when `redis-server` is missing; in CI they fail instead.
 */

import assert from "node:assert/strict";
import { type ApiTarget, get, post } from "../tools/api_client.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import { eventually, Probe, startTestServer } from "./helpers.ts";
import { idOf, ok, welcomeOf } from "./protocol_asserts.ts";
import type { ServerProcess } from "./server_process.ts";
import { SECRET, token as mint } from "./spec_helpers.ts";

const KEY = "users-api-key-0123456789";
const api = (node: ServerProcess): ApiTarget => ({ url: node.origin, key: KEY });

/** A session of user `sub` on `node`. */
async function as(node: ServerProcess, sub: string, name: string): Promise<Probe> {
  const token = await mint({ sub, name });
  return await Probe.open(`${node.wsUrl}?token=${token}`);
}

clusterTest(
  "a user's sessions on two nodes: listed from either, in presence, ended by one disconnect",
  async () => {
    await using cluster = await startCluster(2, {
      API_KEY: KEY,
      AUTH_MODE: "required",
      AUTH_SECRET: SECRET,
    });
    const [n0, n1] = cluster.nodes;
    const ada0 = await as(n0, "user-42", "Ada");
    const ada1 = await as(n1, "user-42", "Ada");
    await using bob = await as(n1, "user-7", "Bob");
    assert.equal(welcomeOf(ada0).userId, "user-42");

    for (const node of [n0, n1]) {
      const answer = await get(api(node), "user_sessions", { userId: "user-42" });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const { userId, sessions } = answer.body as {
        userId: string;
        sessions: { sessionId: string; name: string; connectedAt: number }[];
      };
      assert.equal(userId, "user-42");
      assert.deepEqual(sessions.map((s) => s.sessionId).sort(), [idOf(ada0), idOf(ada1)].sort());
      for (const s of sessions) {
        assert.equal(s.name, "Ada");
        assert.equal(typeof s.connectedAt, "number");
      }
    }
    const nobody = await get(api(n0), "user_sessions", { userId: "no such user" });
    assert.deepEqual(nobody.body, { userId: "no such user", sessions: [] });

    ok(await bob.request("join", { room: "den" }));
    ok(await ada0.request("join", { room: "den" }));
    const presence = await get(api(n0), "presence", { room: "den" });
    assert.deepEqual(
      (presence.body as { members: { userId: string; name: string }[] }).members
        .map((m) => [m.userId, m.name]).sort(),
      [["user-42", "Ada"], ["user-7", "Bob"]],
    );

    const answer = await post(api(n0), "disconnect", { userId: "user-42" });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(
      (answer.body as { disconnected: string[] }).disconnected.sort(),
      [idOf(ada0), idOf(ada1)].sort(),
    );
    for (const probe of [ada0, ada1]) assert.equal((await probe.closed).code, 4003);
    // The node that had the session ends it when the signal reaches it, then tells Redis.
    await eventually(async () => {
      const after = await get(api(n1), "user_sessions", { userId: "user-42" });
      assert.deepEqual(after.body, { userId: "user-42", sessions: [] });
    });
    ok(await bob.request("ping"));
  },
);

Deno.test("a user id with any characters: percent-encoded in the path, found and disconnected", async () => {
  await using server = await startTestServer({
    apiKey: KEY,
    authMode: "optional",
    authSecret: SECRET,
  });
  const sub = "ada@example.com/ü 1";
  const ada = await Probe.open(`${server.wsUrl}?token=${await mint({ sub })}`);
  await using anonymous = await Probe.open(server.wsUrl);
  const target: ApiTarget = { url: server.origin, key: KEY };
  const listed = await get(target, "user_sessions", { userId: sub });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.deepEqual(
    (listed.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId),
    [idOf(ada)],
  );
  const answer = await post(target, "disconnect", { userId: sub, code: 4100, reason: "Bye" });
  assert.deepEqual(answer.body, { disconnected: [idOf(ada)] });
  assert.deepEqual([(await ada.closed).code, (await ada.closed).reason], [4100, "Bye"]);
  ok(await anonymous.request("ping"));
});
