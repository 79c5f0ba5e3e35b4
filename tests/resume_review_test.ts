/**
 * Cross-node resume in the corners a review found, over a real Redis and real processes: sessions
 * rebuilt after their node was killed, in rooms where that node had delivered nothing yet, and
 * sessions that were already away when their node died.
 */

import assert from "node:assert/strict";
import { Probe } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import type { ServerProcess } from "./server_process.ts";

interface Frame {
  type: string;
  id?: unknown;
  data?: Record<string, unknown>;
}

async function connect(node: ServerProcess, token?: string): Promise<Probe> {
  const url = token ? `${node.wsUrl}?resume=${encodeURIComponent(token)}` : node.wsUrl;
  return await Probe.open(url);
}

const welcomeOf = (p: Probe) => p.frames.find((f) => f.type === "welcome")!.data!;
const ok = (reply: Frame) => {
  assert.equal((reply as { ok?: boolean }).ok, true, JSON.stringify(reply));
  return (reply as unknown as { data: Record<string, unknown> }).data;
};
const chats = (p: Probe) =>
  p.frames.filter((f) => f.type === "chat").map((f) => f.data!.text as string);

/** Until node 1 has adopted `id` from the dead node: its roommate sees it away. */
async function adopted(roommate: Probe, id: string): Promise<void> {
  await roommate.next(
    (f) => f.type === "presence" && f.data?.sessionId === id && f.data?.action === "away",
    10_000,
  );
}

clusterTest(
  "kill -9 of a node whose rooms never had a message there: what was said before the adoption is replayed",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    await using a = await connect(n0);
    await using b = await connect(n1);
    const aId = welcomeOf(a).sessionId as string;
    ok(await a.request("join", { room: "r" }));
    ok(await b.request("join", { room: "r" }));
    // Let node 0 write where its rooms stood (every NODE_TTL_MS / 5); nothing was said yet.
    await new Promise((resolve) => setTimeout(resolve, 600));

    n0.child.kill("SIGKILL");
    for (let i = 1; i <= 3; i++) ok(await b.request("chat", { room: "r", text: `after ${i}` }));
    await adopted(b, aId);
    ok(await b.request("chat", { room: "r", text: "sentinel" }));

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    assert.equal(welcomeOf(again).resumed, true);
    await again.next((f) => f.type === "chat" && f.data?.text === "sentinel");
    assert.deepEqual(chats(again), ["after 1", "after 2", "after 3", "sentinel"]);
  },
);

clusterTest(
  "kill -9 of a node where a session was away: its missed events died with the node, so it is never resumed with a partial replay",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    await using a = await connect(n0);
    await using b = await connect(n1);
    const aId = welcomeOf(a).sessionId as string;
    const bId = welcomeOf(b).sessionId as string;
    ok(await a.request("join", { room: "r" }));
    ok(await b.request("join", { room: "r" }));
    ok(await a.request("dm_request", { to: bId }));
    await b.event("dm_request");
    ok(await b.request("dm_accept", { from: aId }));
    await a.event("dm_accepted");

    a.socket.close(4000);
    await b.next((f) => f.type === "dm_away" && f.data?.with === aId);
    for (let i = 1; i <= 3; i++) ok(await b.request("chat", { room: "r", text: `away ${i}` }));
    ok(await b.request("dm", { to: aId, text: "while you were away" }));
    // Node 0 buffered those for a and wrote where its rooms stood; then it dies.
    await new Promise((resolve) => setTimeout(resolve, 600));
    n0.child.kill("SIGKILL");

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    if (welcomeOf(again).resumed) {
      ok(await again.request("ping"));
      assert.deepEqual(chats(again), ["away 1", "away 2", "away 3"]);
      assert.ok(
        again.frames.some((f) => f.type === "dm" && f.data?.text === "while you were away"),
      );
    } else {
      // Ended as a session whose window ran out ends: its peer is told.
      await b.next((f) => f.type === "dm_closed" && f.data?.with === aId, 10_000);
    }
  },
);
