/**
 * The server API across nodes (issue 14: "every call works deployment-wide"), black-box: two hub
 * processes on one Redis, each call made to the node that does not hold the sessions it is about.
 * The calls about users are in `api_identity_spec_test.ts`.
 */

import assert from "node:assert/strict";
import { eventually } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import {
  api,
  API_KEY,
  chatsUpToSentinel,
  closedWithin,
  okJson,
  openWith,
  welcomeOf,
} from "./spec_helpers.ts";

const API_ENV = { API_KEY };

clusterTest(
  "API across nodes: publish, idempotency, presence, history and disconnect reach the other node",
  async () => {
    await using cluster = await startCluster(2, API_ENV);
    const [n0, n1] = cluster.nodes;
    await using far = await openWith(n1);
    await using anon = await openWith(n1);
    assert.equal((await far.request("join", { room: "xnode" })).ok, true);
    const since = far.frames.length;

    // publish on node 0 reaches a member on node 1.
    const published = okJson(
      await api(n0, "POST", "/api/publish", { body: { room: "xnode", text: "over there" } }),
      "publish",
    );
    const chat = await far.next((f) => f.type === "chat" && f.data?.text === "over there");
    assert.equal(chat.data?.from, "server");
    assert.equal(chat.data?.msgId, published.msgId);

    // Reading: "every call works deployment-wide" covers the idempotency key too, so a retry that
    // a load balancer sends to another node is still a no-op.
    const body = { room: "xnode", text: "exactly once", idempotencyKey: "xnode-1" };
    const first = okJson(await api(n0, "POST", "/api/publish", { body }), "first");
    const retry = okJson(await api(n1, "POST", "/api/publish", { body }), "retry on node 1");
    assert.deepEqual(retry, first);
    const chats = await chatsUpToSentinel(n0, far, "xnode", since);
    assert.deepEqual(chats.map((f) => f.data?.text), ["over there", "exactly once"]);

    // presence asked of node 0 lists the member on node 1.
    await eventually(async () => {
      const presence = okJson(await api(n0, "GET", "/api/presence?room=xnode"), "presence");
      const members = presence.members as Record<string, unknown>[];
      assert.deepEqual(
        members.map(({ sessionId, userId, name }) => ({ sessionId, userId, name })),
        [
          { sessionId: welcomeOf(far).sessionId, userId: null, name: welcomeOf(far).name },
        ],
      );
    });
    // history asked of node 1 holds what node 0 published.
    const history = okJson(await api(n1, "GET", "/api/history?room=xnode"), "history");
    assert.deepEqual(
      (history.messages as { text: string }[]).map((m) => m.text).slice(0, 2),
      ["over there", "exactly once"],
    );

    // disconnect on node 0 closes a session on node 1.
    okJson(
      await api(n0, "POST", "/api/disconnect", { body: { sessionId: welcomeOf(anon).sessionId } }),
      "disconnect by sessionId",
    );
    assert.equal((await closedWithin(anon, 5000)).code, 4003);
  },
);

clusterTest("broadcast across nodes", async () => {
  await using cluster = await startCluster(2, API_ENV);
  const [n0, n1] = cluster.nodes;
  await using a = await openWith(n0);
  await using b = await openWith(n1);
  assert.equal((await a.request("join", { room: "xb-a" })).ok, true);
  assert.equal((await b.request("join", { room: "xb-b" })).ok, true);
  const answer = okJson(
    await api(n1, "POST", "/api/broadcast", { body: { rooms: ["xb-a", "xb-b"], text: "both" } }),
    "broadcast",
  );
  const results = answer.results as { room: string; msgId: string }[];
  const gotA = await a.next((f) => f.type === "chat" && f.data?.room === "xb-a");
  const gotB = await b.next((f) => f.type === "chat" && f.data?.room === "xb-b");
  assert.equal(gotA.data?.msgId, results[0].msgId);
  assert.equal(gotB.data?.msgId, results[1].msgId);
});

clusterTest(
  "publish: retries with one idempotencyKey that arrive together on two nodes publish once",
  async () => {
    await using cluster = await startCluster(2, API_ENV);
    const [n0, n1] = cluster.nodes;
    await using member = await openWith(n1);
    const since = member.frames.length;
    const body = { room: "lobby", text: "burst", idempotencyKey: "burst-1" };
    const answers = await Promise.all(
      [n0, n1, n0, n1, n0, n1].map((node) => api(node, "POST", "/api/publish", { body })),
    );
    for (const answer of answers) okJson(answer, "a retry");
    const ids = new Set(answers.map((a) => (a.body as { msgId: string }).msgId));
    assert.equal(ids.size, 1, `answers name ${ids.size} messages`);
    const chats = await chatsUpToSentinel(n0, member, "lobby", since);
    assert.deepEqual(chats.map((f) => f.data?.msgId), [...ids]);
  },
);
