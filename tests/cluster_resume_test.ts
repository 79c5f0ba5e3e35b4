/**
 * Sessions that outlive their node, over a real Redis: a session resumes on another node after an
 * abrupt drop, after its node was killed with `kill -9`, and after its node stopped with SIGTERM;
 * in each case the events it missed are replayed after the resumed `welcome`, in order, and its
 * peers see it `away` and `back`, never `leave`.
 */

import assert from "node:assert/strict";
import { eventually, Probe } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import type { ServerProcess } from "./server_process.ts";

interface Frame {
  type: string;
  id?: unknown;
  data?: Record<string, unknown>;
}

/** A raw client of `node`, resuming with `token` when given. */
async function connect(node: ServerProcess, token?: string): Promise<Probe> {
  const url = token ? `${node.wsUrl}?resume=${encodeURIComponent(token)}` : node.wsUrl;
  return await Probe.open(url);
}

const welcomeOf = (p: Probe) => p.frames.find((f) => f.type === "welcome")!.data!;
const ok = (reply: Frame) => {
  assert.equal((reply as { ok?: boolean }).ok, true, JSON.stringify(reply));
  return (reply as unknown as { data: Record<string, unknown> }).data;
};

/** The frames after the welcome, up to the first chat with `text` (the sentinel). */
async function until(probe: Probe, text: string, timeoutMs = 10_000): Promise<Frame[]> {
  await probe.next((f) => f.type === "chat" && f.data?.text === text, timeoutMs);
  const start = probe.frames.findIndex((f) => f.type === "welcome");
  const end = probe.frames.findIndex((f) => f.type === "chat" && f.data?.text === text);
  return probe.frames.slice(start + 1, end + 1) as Frame[];
}

clusterTest(
  "an abrupt drop on one node, a resume on another: 1,000 room messages and a DM replay in order, once",
  async () => {
    // No node dies here, so none may be taken for dead: a node counts as dead once its heartbeat
    // is 3/5 of NODE_TTL_MS late, and the burst below has held node 1's heartbeat back by well
    // over a second on a loaded host, past the 0.9 s of the short TTL the other tests use to see
    // deaths quickly (docs/scaling.md, "Limits worth knowing").
    await using cluster = await startCluster(2, { RESUME_BUFFER: "2000" }, 10_000);
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

    a.socket.close(4000); // not 1000: the session goes away
    await b.next((f) => f.type === "dm_away" && f.data?.with === aId);
    for (let i = 1; i <= 1000; i++) b.send({ type: "chat", data: { room: "r", text: `m${i}` } });
    ok(await b.request("dm", { to: aId, text: "while you were out" }));
    ok(await b.request("chat", { room: "r", text: "sentinel" }));

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    const welcome = welcomeOf(again);
    assert.equal(welcome.sessionId, aId);
    assert.equal(welcome.resumed, true);
    const replay = await until(again, "sentinel");
    const chats = replay.filter((f) => f.type === "chat").map((f) => f.data!);
    assert.deepEqual(chats.map((c) => c.text), [
      ...Array.from({ length: 1000 }, (_, i) => `m${i + 1}`),
      "sentinel",
    ]);
    const offsets = chats.map((c) => c.offset as number);
    assert.ok(offsets.every((o, i) => i === 0 || o === offsets[i - 1] + 1), "contiguous offsets");
    const dms = replay.filter((f) => f.type === "dm").map((f) => f.data!.text);
    assert.deepEqual(dms, ["while you were out"]);
    assert.ok(
      replay.findIndex((f) => f.type === "dm") > replay.findIndex((f) => f.data?.text === "m1000"),
      "the DM comes after the chats sent before it",
    );

    // Still in its room and conversation, now on node 1; peers saw it come back, never leave.
    await b.next((f) => f.type === "dm_back" && f.data?.with === aId);
    ok(await b.request("dm", { to: aId, text: "welcome back" }));
    await again.next((f) => f.type === "dm" && f.data?.text === "welcome back");
    assert.equal(
      b.frames.filter((f) => f.type === "presence" && f.data?.sessionId === aId)
        .some((f) => f.data?.action === "leave"),
      false,
    );
    assert.equal(ok(await b.request("num_clients")).count, 2);
  },
);

clusterTest(
  "kill -9 of a node: its sessions wait away on another node, and resume there with what was sent after the death",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    await using a = await connect(n0);
    await using b = await connect(n1);
    const aId = welcomeOf(a).sessionId as string;
    const bId = welcomeOf(b).sessionId as string;
    ok(await a.request("join", { room: "r" }));
    ok(await b.request("join", { room: "r" }));
    ok(await b.request("chat", { room: "r", text: "before" }));
    await a.next((f) => f.type === "chat" && f.data?.text === "before");
    ok(await a.request("dm_request", { to: bId }));
    await b.event("dm_request");
    ok(await b.request("dm_accept", { from: aId }));
    await a.event("dm_accepted");
    // Let node 0 write where its rooms stood (every NODE_TTL_MS / 5).
    await new Promise((resolve) => setTimeout(resolve, 600));

    n0.child.kill("SIGKILL");
    for (let i = 1; i <= 20; i++) {
      ok(await b.request("chat", { room: "r", text: `after ${i}` }));
    }
    ok(await b.request("dm", { to: aId, text: "are you there?" }));
    // Reaped and adopted by node 1: away, not gone.
    await b.next(
      (f) => f.type === "presence" && f.data?.sessionId === aId && f.data?.action === "away",
      10_000,
    );
    ok(await b.request("chat", { room: "r", text: "sentinel" }));

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    assert.equal(welcomeOf(again).sessionId, aId);
    assert.equal(welcomeOf(again).resumed, true);
    const replay = await until(again, "sentinel");
    const texts = replay.filter((f) => f.type === "chat").map((f) => f.data!.text as string);
    // Messages node 0 may have delivered just before it died can come again; nothing is missing,
    // and offsets never go back.
    const after = texts.filter((t) => t !== "before");
    assert.deepEqual(after, [
      ...Array.from({ length: 20 }, (_, i) => `after ${i + 1}`),
      "sentinel",
    ]);
    const offsets = replay.filter((f) => f.type === "chat").map((f) => f.data!.offset as number);
    assert.ok(offsets.every((o, i) => i === 0 || o === offsets[i - 1] + 1), "in offset order");
    assert.ok(
      replay.some((f) => f.type === "dm" && f.data?.text === "are you there?"),
      "the DM sent to the dead node is replayed",
    );
    await b.next((f) =>
      f.type === "presence" && f.data?.sessionId === aId && f.data?.action === "back"
    );
    assert.equal(
      b.frames.some((f) =>
        f.type === "dm_closed" || (f.type === "presence" && f.data?.action === "leave")
      ),
      false,
      "nobody saw it end",
    );
  },
);

/** Resolves once every thread of `node`'s process is stopped (`T` in `/proc`). */
async function stopped(node: ServerProcess): Promise<void> {
  const pid = node.child.pid;
  await eventually(async () => {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/stat`);
      assert.equal(stat.slice(stat.lastIndexOf(")") + 2)[0], "T", `thread ${task.name}`);
    }
  });
}

clusterTest(
  "a node that hangs, its connections still open: a DM that reached it and no further is replayed by the node that adopts its session",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    await using a = await connect(n0);
    await using b = await connect(n1);
    const aId = welcomeOf(a).sessionId as string;
    const bId = welcomeOf(b).sessionId as string;
    ok(await a.request("dm_request", { to: bId }));
    await b.event("dm_request");
    ok(await b.request("dm_accept", { from: aId }));
    await a.event("dm_accepted");

    // As a host that froze or went off the network: Redis goes on counting node 0 as listening
    // (for minutes, until TCP gives up), so the DM is heard, by a node that never handles it.
    n0.child.kill("SIGSTOP");
    await stopped(n0);
    ok(await b.request("dm", { to: aId, text: "are you there?" }));
    await b.next((f) => f.type === "dm_away" && f.data?.with === aId, 10_000);

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    assert.equal(welcomeOf(again).sessionId, aId);
    assert.equal(welcomeOf(again).resumed, true);
    await again.next((f) => f.type === "dm" && f.data?.text === "are you there?");
    n0.child.kill("SIGKILL");
  },
);

clusterTest(
  "SIGTERM of a node: clients get 1012, resume on another node at once, and miss nothing",
  async () => {
    await using cluster = await startCluster(2);
    const [n0, n1] = cluster.nodes;
    await using a = await connect(n0);
    await using b = await connect(n1);
    const aId = welcomeOf(a).sessionId as string;
    ok(await a.request("join", { room: "r" }));
    ok(await b.request("join", { room: "r" }));

    n0.child.kill("SIGTERM");
    const closed = await a.closed;
    assert.equal(closed.code, 1012);
    ok(await b.request("chat", { room: "r", text: "during the restart" }));
    ok(await b.request("chat", { room: "r", text: "sentinel" }));

    await using again = await connect(n1, welcomeOf(a).resumeToken as string);
    assert.equal(welcomeOf(again).sessionId, aId);
    assert.equal(welcomeOf(again).resumed, true);
    const replay = await until(again, "sentinel");
    assert.deepEqual(
      replay.filter((f) => f.type === "chat").map((f) => f.data!.text),
      ["during the restart", "sentinel"],
    );
    assert.equal((await n0.child.status).code, 0);
    await eventually(async () => assert.equal(ok(await b.request("num_clients")).count, 2));
    assert.equal(
      b.frames.some((f) =>
        f.type === "presence" && f.data?.sessionId === aId && f.data?.action === "leave"
      ),
      false,
    );
  },
);
