/**
 * The server API across two nodes over a real Redis (`docs/api.md`: "Every call works
 * deployment-wide"): a message published on one node reaches members on the other in the room's
 * order and history; a disconnect sent to one node ends a session that lives on the other, with no
 * resume anywhere; presence lists both nodes' members; an idempotency key used on one node is
 * honoured by the other.
 *
 * Outside CI the tests skip, saying why, when `redis-server` is missing; in CI they fail instead.
 */

import assert from "node:assert/strict";
import type { ChatMessage } from "../lib/protocol/mod.ts";
import { type ApiTarget, get, post } from "../tools/api_client.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import { Probe } from "./helpers.ts";
import { idOf, isEvent, ok, welcomeOf } from "./protocol_asserts.ts";
import { mark, Recorder } from "./recorder.ts";
import type { ServerProcess } from "./server_process.ts";

const KEY = "cluster-api-key-0123456789";
const api = (node: ServerProcess): ApiTarget => ({ url: node.origin, key: KEY });

clusterTest(
  "publish on one node reaches members on both, in the room's order and history",
  async () => {
    await using cluster = await startCluster(2, { API_KEY: KEY });
    const [n0, n1] = cluster.nodes;
    await using a = await Recorder.open(n0);
    await using b = await Recorder.open(n1);
    await a.client.request("join", { room: "news" });
    await b.client.request("join", { room: "news" });
    const before = mark();
    const member = await a.client.request("chat", { room: "news", text: "from a" });
    const answer = await post(api(n1), "publish", {
      room: "news",
      text: "from the backend",
      data: { id: 7 },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const published = answer.body as { msgId: string; offset: number; epoch: string; ts: number };
    assert.equal(published.offset, 2, "numbered after the member's message, by the room's stream");
    for (const recorder of [a, b]) {
      const got = await recorder.upTo("chat", { msgId: published.msgId }, { after: before });
      assert.deepEqual(
        got.filter((e) => e.type === "chat").map((e) => [e.data.msgId, e.data.offset]),
        [[member.msgId, 1], [published.msgId, 2]],
        "once each, in offset order",
      );
      const event = got.at(-1)!.data as unknown as ChatMessage;
      assert.equal(event.from, "server");
      assert.deepEqual(event.data, { id: 7 });
    }
    const page = await get(api(n0), "history", { room: "news" });
    assert.deepEqual(
      (page.body as { messages: ChatMessage[] }).messages.map((m) => [m.from, m.text, m.data]),
      [[a.id, "from a", undefined], ["server", "from the backend", { id: 7 }]],
    );
  },
);

clusterTest(
  "disconnect on one node ends a session on the other: its close code, leave, no resume",
  async () => {
    await using cluster = await startCluster(2, { API_KEY: KEY });
    const [n0, n1] = cluster.nodes;
    await using watcher = await Recorder.open(n0);
    const victim = await Probe.open(n1.wsUrl);
    const { sessionId, resumeToken } = welcomeOf(victim);
    const before = mark();
    const answer = await post(api(n0), "disconnect", { sessionId, code: 4010, reason: "Bye" });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { disconnected: [sessionId] });
    const closed = await victim.closed;
    assert.deepEqual([closed.code, closed.reason], [4010, "Bye"]);
    await watcher.expect("presence", { sessionId, action: "leave" }, { after: before });
    // No node resumes it: the token is void on the node that had it and on the other.
    for (const node of [n0, n1]) {
      await using again = await Probe.open(`${node.wsUrl}?resume=${resumeToken}`);
      assert.equal(welcomeOf(again).resumed, false);
      assert.notEqual(idOf(again), sessionId);
    }
    const gone = await post(api(n1), "disconnect", { sessionId });
    assert.deepEqual(gone.body, { disconnected: [] });
  },
);

clusterTest(
  "presence lists the members of both nodes; an idempotency key holds across nodes",
  async () => {
    await using cluster = await startCluster(2, { API_KEY: KEY });
    const [n0, n1] = cluster.nodes;
    await using a = await Probe.open(n0.wsUrl);
    await using b = await Probe.open(n1.wsUrl);
    ok(await a.request("join", { room: "den" }));
    ok(await b.request("join", { room: "den" }));
    for (const node of [n0, n1]) {
      const answer = await get(api(node), "presence", { room: "den" });
      const { members } = answer.body as { members: { sessionId: string; userId: unknown }[] };
      assert.deepEqual(members.map((m) => m.sessionId).sort(), [idOf(a), idOf(b)].sort());
      assert.ok(members.every((m) => m.userId === null));
    }

    const body = { room: "den", text: "once", idempotencyKey: crypto.randomUUID() };
    const first = await post(api(n0), "publish", body);
    const retry = await post(api(n1), "publish", body);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    const sentinel = await post(api(n1), "publish", { room: "den", text: "sentinel" });
    const sentinelId = (sentinel.body as { msgId: string }).msgId;
    for (const probe of [a, b]) {
      await probe.next(isEvent("chat", (d) => d.msgId === sentinelId));
      assert.equal(probe.frames.filter(isEvent("chat", (d) => d.text === "once")).length, 1);
    }
  },
);
