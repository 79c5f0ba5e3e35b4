/**
 * Scale-out over a real Redis: each test starts its own `redis-server` on a random loopback port
 * and two or three hub processes joined by it, then checks that they behave as one hub: exact
 * counts, rooms and DMs across nodes, a killed node vanishing within NODE_TTL_MS, a Redis outage
 * survived, and 1,000 messages delivered exactly once.
 *
 * Outside CI the tests skip, saying why, when `redis-server` is missing; in CI they fail instead.
 */

import assert from "node:assert/strict";
import { eventually } from "./helpers.ts";
import { clusterTest, startCluster, statsCount } from "./cluster_nodes.ts";
import { mark, type Recorded, Recorder } from "./recorder.ts";

const NODE_TTL_MS = 1500;

const test = clusterTest;

/** [msgId, text] of each chat, in the order they came. */
const chats = (events: Recorded[]) =>
  events.filter((e) => e.type === "chat").map((e) => [e.data.msgId, e.data.text]);

/** [from, msgId, text] of each DM, in the order they came. */
const dms = (events: Recorded[]) =>
  events.filter((e) => e.type === "dm").map((e) => [e.data.from, e.data.msgId, e.data.text]);

test("clients spread across nodes: exact counts, rooms and chat that span nodes", async () => {
  await using cluster = await startCluster(3);
  const [n0, n1, n2] = cluster.nodes;
  await using a = await Recorder.open(n0);
  await using b = await Recorder.open(n1);
  await using c = await Recorder.open(n2);
  const beforeD = mark();
  await using d = await Recorder.open(n2);

  for (const client of [a, b, c, d]) {
    assert.equal((await client.client.request("num_clients")).count, 4);
  }
  for (const node of cluster.nodes) assert.equal(await statsCount(node), 4);

  // Lobby presence crosses nodes: a (node 0) heard d (node 2) arrive.
  await a.expect("presence", { room: "lobby", sessionId: d.id, action: "join" }, {
    after: beforeD,
  });

  const joining = mark();
  await a.client.request("join", { room: "ops" });
  await b.client.request("join", { room: "ops" });
  const joined = await c.client.request("join", { room: "ops" });
  assert.deepEqual(joined.members.map((m) => m.sessionId).sort(), [a.id, b.id, c.id].sort());
  await a.expect("presence", { room: "ops", sessionId: c.id, action: "join" }, { after: joining });

  const { rooms } = await d.client.request("rooms");
  assert.deepEqual(rooms, [{ room: "lobby", size: 4 }, { room: "ops", size: 3 }]);

  const chatting = mark();
  const sent = await a.client.request("chat", { room: "ops", text: "across nodes" });
  // One node's frames to one room keep their order, so a duplicate would come before this.
  const sentinel = await a.client.request("chat", { room: "ops", text: "sentinel" });
  for (const member of [a, b, c]) {
    const got = await member.upTo("chat", { msgId: sentinel.msgId }, { after: chatting });
    assert.deepEqual(chats(got), [[sent.msgId, "across nodes"], [sentinel.msgId, "sentinel"]]);
  }
  // d shares node 2 with c, and c spoke only once it had the sentinel: an ops frame handed to d
  // would have reached d before c's lobby chat.
  const spoke = await c.client.request("chat", { room: "lobby", text: "after the sentinel" });
  const toD = await d.upTo("chat", { msgId: spoke.msgId }, { after: chatting });
  assert.deepEqual(chats(toD), [[spoke.msgId, "after the sentinel"]], "d is not in ops");

  // Renames reach roommates on other nodes; leaving is announced across nodes.
  const renaming = mark();
  await b.client.request("set_name", { name: "Bea" });
  await c.expect("renamed", { sessionId: b.id, name: "Bea" }, { after: renaming });
  const left = await b.client.request("leave", { room: "ops" });
  assert.deepEqual(left.members.map((m) => m.sessionId).sort(), [a.id, c.id].sort());
  await c.expect("presence", { room: "ops", sessionId: b.id, name: "Bea", action: "leave" }, {
    after: renaming,
  });

  // A client that closes is gone from every node's count.
  await d.client.close();
  await eventually(async () => {
    for (const node of cluster.nodes) assert.equal(await statsCount(node), 3);
  });
  assert.equal((await a.client.request("num_clients")).count, 3);
});

test("direct messages across nodes: consent, both ways, decline, expiry, close", async () => {
  // Long enough that a request answered at once does not expire on a loaded CI machine first.
  await using cluster = await startCluster(2, { DM_REQUEST_TTL_MS: "2000" });
  const [n0, n1] = cluster.nodes;
  await using a = await Recorder.open(n0);
  await using b = await Recorder.open(n1);
  await using c = await Recorder.open(n1);

  await assert.rejects(
    a.client.request("dm_request", { to: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }),
    (err: { code: string }) => err.code === "not_found",
  );
  await assert.rejects(
    a.client.request("dm", { to: b.id, text: "too early" }),
    (err: { code: string }) => err.code === "not_connected",
  );

  const asking = mark();
  assert.equal((await a.client.request("dm_request", { to: b.id })).status, "pending");
  await b.expect("dm_request", { from: a.id }, { after: asking });
  assert.equal((await b.client.request("dm_accept", { from: a.id })).with, a.id);
  await a.expect("dm_accepted", { with: b.id, name: b.client.session!.name }, { after: asking });

  // One sender's signals to one session keep their order, so a duplicate would come before
  // that sender's sentinel.
  const talking = mark();
  const toB = await a.client.request("dm", { to: b.id, text: "hello b" });
  const toA = await b.client.request("dm", { to: a.id, text: "hello a" });
  const lastToB = await a.client.request("dm", { to: b.id, text: "sentinel" });
  const lastToA = await b.client.request("dm", { to: a.id, text: "sentinel" });
  assert.deepEqual(dms(await b.upTo("dm", { msgId: lastToB.msgId }, { after: talking })), [
    [a.id, toB.msgId, "hello b"],
    [a.id, lastToB.msgId, "sentinel"],
  ]);
  assert.deepEqual(dms(await a.upTo("dm", { msgId: lastToA.msgId }, { after: talking })), [
    [b.id, toA.msgId, "hello a"],
    [b.id, lastToA.msgId, "sentinel"],
  ]);
  // c shares node 1 with b, and b spoke only once it had a's sentinel: a DM handed to c would
  // have reached c before b's lobby chat.
  const spoke = await b.client.request("chat", { room: "lobby", text: "after the DMs" });
  assert.deepEqual(dms(await c.upTo("chat", { msgId: spoke.msgId }, { after: talking })), []);

  // Decline across nodes.
  const declining = mark();
  await a.client.request("dm_request", { to: c.id });
  await c.expect("dm_request", { from: a.id }, { after: declining });
  await c.client.request("dm_decline", { from: a.id });
  await a.expect("dm_declined", { with: c.id, reason: "declined" }, { after: declining });

  // Expiry across nodes.
  const expiring = mark();
  await c.client.request("dm_request", { to: a.id });
  await a.expect("dm_request", { from: c.id }, { after: expiring });
  await c.expect("dm_declined", { with: a.id, reason: "expired" }, {
    after: expiring,
    timeoutMs: 6000,
  });
  await a.expect("dm_closed", { with: c.id, reason: "expired" }, { after: expiring });
  await assert.rejects(
    a.client.request("dm_accept", { from: c.id }),
    (err: { code: string }) => err.code === "no_request",
  );

  // Close across nodes.
  const closing = mark();
  await b.client.request("dm_close", { with: a.id });
  await a.expect("dm_closed", { with: b.id, reason: "closed" }, { after: closing });
  await assert.rejects(
    a.client.request("dm", { to: b.id, text: "after close" }),
    (err: { code: string }) => err.code === "not_connected",
  );

  // A clean disconnect on one node closes the conversation on the other. The same pair asks
  // again, so each step must wait for the new event, not the one from the first handshake.
  const again = mark();
  await a.client.request("dm_request", { to: b.id });
  await b.expect("dm_request", { from: a.id }, { after: again });
  await b.client.request("dm_accept", { from: a.id });
  await a.expect("dm_accepted", { with: b.id }, { after: again });
  await b.client.close();
  await a.expect("dm_closed", { with: b.id, reason: "disconnected" }, { after: again });
  await assert.rejects(
    a.client.request("dm", { to: b.id, text: "gone" }),
    (err: { code: string }) => err.code === "not_found",
  );
});

test("resume off: kill -9 of a node, its sessions vanish everywhere within NODE_TTL_MS", async () => {
  // With resume on they are adopted and wait to be resumed instead (cluster_resume_test.ts).
  await using cluster = await startCluster(3, { RESUME_TTL_MS: "0" });
  const [n0, n1, n2] = cluster.nodes;
  await using a = await Recorder.open(n0);
  await using b = await Recorder.open(n1);
  const doomed = await Recorder.open(n2);
  const doomed2 = await Recorder.open(n2);
  await doomed.client.request("join", { room: "ops" });
  await a.client.request("join", { room: "ops" });
  const asking = mark();
  await doomed.client.request("dm_request", { to: a.id });
  await a.expect("dm_request", { from: doomed.id }, { after: asking });
  await a.client.request("dm_accept", { from: doomed.id });
  await doomed.expect("dm_accepted", { with: a.id }, { after: asking });
  assert.equal((await b.client.request("num_clients")).count, 4);

  const killed = mark();
  const killedAt = Date.now();
  cluster.nodes[2].child.kill("SIGKILL");
  await cluster.nodes[2].child.status;
  await a.expect("dm_closed", { with: doomed.id, reason: "disconnected" }, {
    after: killed,
    timeoutMs: NODE_TTL_MS + 1000,
  });
  await a.expect("presence", { room: "ops", sessionId: doomed.id, action: "leave" }, {
    after: killed,
  });
  await b.expect("presence", { room: "lobby", sessionId: doomed2.id, action: "leave" }, {
    after: killed,
  });
  const elapsed = Date.now() - killedAt;
  assert.ok(elapsed <= NODE_TTL_MS + 250, `took ${elapsed} ms, NODE_TTL_MS is ${NODE_TTL_MS}`);
  assert.equal((await a.client.request("num_clients")).count, 2);
  assert.equal(await statsCount(n1), 2);
  const { rooms } = await b.client.request("rooms");
  assert.deepEqual(rooms, [{ room: "lobby", size: 2 }, { room: "ops", size: 1 }]);
  await doomed.client.close();
  await doomed2.client.close();
});

test("resume off: SIGTERM, a node's sessions leave every view at once", async () => {
  await using cluster = await startCluster(2, { RESUME_TTL_MS: "0" });
  await using a = await Recorder.open(cluster.nodes[0]);
  const leaving = await Recorder.open(cluster.nodes[1]);
  assert.equal((await a.client.request("num_clients")).count, 2);
  const stopping = mark();
  const started = Date.now();
  cluster.nodes[1].child.kill("SIGTERM");
  await a.expect("presence", { room: "lobby", sessionId: leaving.id, action: "leave" }, {
    after: stopping,
  });
  assert.equal((await a.client.request("num_clients")).count, 1);
  assert.ok(Date.now() - started < NODE_TTL_MS / 2, "announced before any TTL could run out");
  assert.equal((await cluster.nodes[1].child.status).code, 0);
  await leaving.client.close();
});

test("Redis outage: local traffic goes on; cross-node traffic and counts come back", async () => {
  await using cluster = await startCluster(2);
  const [n0, n1] = cluster.nodes;
  await using a = await Recorder.open(n0);
  await using a2 = await Recorder.open(n0);
  await using b = await Recorder.open(n1);
  assert.equal((await a.client.request("num_clients")).count, 3);

  await cluster.redis.stop();
  // Local rooms and DMs keep working on each node, and no request fails.
  const outage = mark();
  await a.client.request("join", { room: "local" });
  await a2.client.request("join", { room: "local" });
  const sent = await a.client.request("chat", { room: "local", text: "during outage" });
  await a2.expect("chat", { msgId: sent.msgId }, { after: outage });
  await a.client.request("dm_request", { to: a2.id });
  await a2.expect("dm_request", { from: a.id }, { after: outage });
  await a2.client.request("dm_accept", { from: a.id });
  await a.client.request("dm", { to: a2.id, text: "still here" });
  await a2.expect("dm", { text: "still here" }, { after: outage });
  assert.equal((await a.client.request("num_clients")).count, 2, "this node alone");
  assert.equal((await b.client.request("num_clients")).count, 1);

  await cluster.redis.start();
  await eventually(async () => {
    assert.equal((await a.client.request("num_clients")).count, 3);
    assert.equal((await b.client.request("num_clients")).count, 3);
  }, NODE_TTL_MS + 8000);
  const back = mark();
  await b.client.request("join", { room: "local" });
  const across = await b.client.request("chat", { room: "local", text: "after outage" });
  await a.expect("chat", { msgId: across.msgId }, { after: back });
  await a2.expect("chat", { msgId: across.msgId }, { after: back });
  const output = n0.printed();
  assert.equal(output.match(/redis unavailable/g)?.length, 1, "the outage is logged once");
  assert.match(output, /redis back/);
});

test("1,000 chat messages across nodes: none lost, none duplicated, in order", async () => {
  await using cluster = await startCluster(3);
  const [n0, n1, n2] = cluster.nodes;
  await using sender = await Recorder.open(n0);
  await using b = await Recorder.open(n1);
  await using c = await Recorder.open(n2);
  const joining = mark();
  for (const member of [sender, b, c]) await member.client.request("join", { room: "flood" });
  await sender.expect("presence", { room: "flood", sessionId: c.id, action: "join" }, {
    after: joining,
  });
  const flooding = mark();
  const ids: string[] = [];
  for (let i = 0; i < 1000; i += 100) {
    const batch = await Promise.all(
      Array.from(
        { length: 100 },
        (_, j) => sender.client.request("chat", { room: "flood", text: `m${i + j}` }),
      ),
    );
    ids.push(...batch.map((r) => r.msgId));
  }
  // One node's frames to one room keep their order: a lost, doubled or reordered message shows
  // in what came before this sentinel.
  const sentinel = await sender.client.request("chat", { room: "flood", text: "sentinel" });
  const texts = [...Array.from({ length: 1000 }, (_, i) => `m${i}`), "sentinel"];
  for (const member of [sender, b, c]) {
    const got = await member.upTo("chat", { msgId: sentinel.msgId }, {
      after: flooding,
      timeoutMs: 10_000,
    });
    assert.deepEqual(chats(got), [...ids, sentinel.msgId].map((id, i) => [id, texts[i]]));
  }
});
