/**
 * Users across a deployment of two nodes on a real Redis: `USER_CONNECTION_LIMIT` counts a
 * user's sessions on every node (the one over it closes with 4005), members on the other node
 * carry their user, and a session resumed on the other node in `required` mode keeps its user.
 */

import assert from "node:assert/strict";
import { eventually, Probe } from "./helpers.ts";
import { clusterTest, startCluster, statsCount } from "./cluster_nodes.ts";
import { api, API_KEY, closedWithin, SECRET, token, wsUrl } from "./spec_helpers.ts";
import { ok, refused, welcomeOf } from "./protocol_asserts.ts";
import type { ServerProcess } from "./server_process.ts";
import { assertCapped, burst, closeAll, socketIoBurst } from "./user_limit.ts";

const AUTH_ENV = { AUTH_MODE: "required", AUTH_SECRET: SECRET, API_KEY };

/** A connection of `jwt`'s user to `node` that is closed before any welcome: its close code. */
async function refusedCode(node: ServerProcess, jwt: string): Promise<number> {
  const probe = new Probe(wsUrl(node, { token: jwt }));
  const closed = await probe.closed;
  assert.equal(probe.frames.length, 0, "no welcome, no frame");
  return closed.code;
}

clusterTest(
  "USER_CONNECTION_LIMIT holds across two nodes; the connection over it gets 4005",
  async () => {
    await using cluster = await startCluster(2, { ...AUTH_ENV, USER_CONNECTION_LIMIT: "2" });
    const [n0, n1] = cluster.nodes;
    const ada = await token({ sub: "ada" }, { exp: Math.floor(Date.now() / 1000) + 600 });
    await using first = await Probe.open(wsUrl(n0, { token: ada }));
    await using second = await Probe.open(wsUrl(n1, { token: ada }));
    // Each node counts the other's session: a third is over on either.
    assert.equal(await refusedCode(n0, ada), 4005);
    assert.equal(await refusedCode(n1, ada), 4005);
    // Other users are not counted against her.
    await using bea = await Probe.open(wsUrl(n0, { token: await token({ sub: "bea" }) }));
    assert.equal(welcomeOf(bea).userId, "bea");
    // The member list on node 0 carries node 1's member's user.
    const { members } = ok(await bea.request("join", { room: "lobby" })) as {
      members: { sessionId: string; userId: string }[];
    };
    assert.equal(
      members.find((m) => m.sessionId === welcomeOf(second).sessionId)?.userId,
      "ada",
    );
    // The server API lists both, from either node.
    const listed = await api(n1, "GET", "/api/users/ada/sessions");
    const ids = (listed.body as { sessions: { sessionId: string }[] }).sessions
      .map((s) => s.sessionId);
    assert.deepEqual(ids.sort(), [welcomeOf(first).sessionId, welcomeOf(second).sessionId].sort());
    // One of hers ends: once the deployment has counted it out, there is room for another.
    first.socket.close(1000);
    await first.closed;
    await eventually(async () => {
      const answer = await api(n1, "GET", "/api/users/ada/sessions");
      assert.equal((answer.body as { sessions: unknown[] }).sessions.length, 1);
    });
    await using third = await Probe.open(wsUrl(n1, { token: ada }));
    assert.equal(welcomeOf(third).userId, "ada");
  },
);

clusterTest(
  "USER_CONNECTION_LIMIT caps a burst of one user's connections on one node over Redis and across two",
  async () => {
    await using cluster = await startCluster(2, { ...AUTH_ENV, USER_CONNECTION_LIMIT: "1" });
    const [n0, n1] = cluster.nodes;
    const ada = await token({ sub: "ada" });
    const none = () =>
      eventually(async () =>
        assert.deepEqual([await statsCount(n0), await statsCount(n1)], [0, 0])
      );
    // Six at once on one node, then six taking turns over both: one gets in each time.
    for (const nodes of [[n0], [n0, n1]]) {
      const attempts = await burst(
        Array.from({ length: 6 }, (_, i) => wsUrl(nodes[i % nodes.length], { token: ada })),
      );
      await assertCapped(attempts, 1);
      await closeAll(attempts);
      await none();
    }
    // Socket.IO's CONNECTs hold places in the same deployment-wide count.
    const { connected, refusals } = await socketIoBurst([n0.origin, n1.origin], ada, 6);
    assert.equal(connected, 1);
    assert.deepEqual(refusals, [4005, 4005, 4005, 4005, 4005]);

    // A resume token with her session's id and a wrong secret takes nothing over on the other
    // node: the new session it gets instead is over her limit.
    await none();
    await using first = await Probe.open(wsUrl(n0, { token: ada }));
    const { sessionId } = welcomeOf(first);
    await using forged = new Probe(
      wsUrl(n1, { token: ada, resume: `${sessionId}.not-its-secret` }),
    );
    assert.equal((await closedWithin(forged, 5000)).code, 4005);
    assert.equal((await first.request("ping")).ok, true);
  },
);

clusterTest("required mode: a session resumed on the other node keeps its user", async () => {
  await using cluster = await startCluster(2, AUTH_ENV, 10_000);
  const [n0, n1] = cluster.nodes;
  const ada = await token({ sub: "ada", name: "Ada" });
  const first = await Probe.open(wsUrl(n0, { token: ada }));
  const { sessionId, resumeToken } = welcomeOf(first);
  first.socket.close(4000, "dropped");
  await first.closed;
  await using again = await Probe.open(wsUrl(n1, { token: ada, resume: resumeToken }));
  assert.deepEqual(
    [welcomeOf(again).sessionId, welcomeOf(again).resumed, welcomeOf(again).userId],
    [sessionId, true, "ada"],
  );
  assert.equal(welcomeOf(again).name, "Ada");
  // Its token's claims came along: the name is still the token's to give.
  refused(await again.request("set_name", { name: "Someone" }), "forbidden");
});

clusterTest(
  "kill -9 of a node: a session rebuilt on the other keeps its token's claims",
  async () => {
    await using cluster = await startCluster(2, { AUTH_MODE: "optional", AUTH_SECRET: SECRET });
    const [n0, n1] = cluster.nodes;
    const jwt = await token({ sub: "ada", name: "Ada", rooms: ["private-ops"] });
    const ada = await Probe.open(wsUrl(n0, { token: jwt }));
    const { sessionId, resumeToken } = welcomeOf(ada);
    await using watcher = await Probe.open(n1.wsUrl);
    n0.child.kill("SIGKILL");
    await watcher.next(
      (f) => f.type === "presence" && f.data?.sessionId === sessionId && f.data?.action === "away",
      10_000,
    );
    // Optional mode, no token with the resume: the claims come from the session's record.
    await using again = await Probe.open(wsUrl(n1, { resume: resumeToken as string }));
    assert.deepEqual([welcomeOf(again).sessionId, welcomeOf(again).userId], [sessionId, "ada"]);
    refused(await again.request("set_name", { name: "Someone" }), "forbidden");
    ok(await again.request("join", { room: "private-ops" }));
  },
);
