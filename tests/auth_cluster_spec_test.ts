/**
 * Identity across nodes (issue 14), black-box: a user's `userId` must survive the trip over Redis
 * on every event and list that carries it, and the private-room rule holds for history asked of
 * another node.
 */

import assert from "node:assert/strict";
import { Probe } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import { openWith, SECRET, token, welcomeOf } from "./spec_helpers.ts";

clusterTest(
  "userId crosses nodes: member lists, presence, chat, history, dm_request and dm",
  async () => {
    await using cluster = await startCluster(2, { AUTH_MODE: "optional", AUTH_SECRET: SECRET });
    const [n0, n1] = cluster.nodes;
    await using ada = await openWith(n0, await token({ sub: "user-ada", name: "Ada" }));
    await using anon = await openWith(n1);
    const adaId = welcomeOf(ada).sessionId as string;
    const anonId = welcomeOf(anon).sessionId as string;

    assert.equal((await ada.request("join", { room: "far" })).ok, true);
    const joined = await anon.request("join", { room: "far" });
    const members = joined.data?.members as Record<string, unknown>[];
    assert.equal(
      members.find((m) => m.sessionId === adaId)?.userId,
      "user-ada",
      JSON.stringify(members),
    );
    const anonPresence = await ada.next((f) =>
      f.type === "presence" && f.data?.sessionId === anonId && f.data?.room === "far"
    );
    assert.ok("userId" in anonPresence.data!, JSON.stringify(anonPresence));
    assert.equal(anonPresence.data?.userId, null);

    await ada.request("chat", { room: "far", text: "over redis" });
    const chat = await anon.next((f) => f.type === "chat" && f.data?.text === "over redis");
    assert.equal(chat.data?.userId, "user-ada", JSON.stringify(chat));
    const history = await anon.request("history", { room: "far" });
    const messages = history.data?.messages as Record<string, unknown>[];
    assert.equal(messages.at(-1)?.userId, "user-ada", JSON.stringify(messages));

    await ada.request("dm_request", { to: anonId });
    const request = await anon.next((f) => f.type === "dm_request" && f.data?.from === adaId);
    assert.equal(request.data?.userId, "user-ada", JSON.stringify(request));
    await anon.request("dm_accept", { from: adaId });
    // The requester's node hears of the accept a moment later; a client waits for dm_accepted.
    await ada.next((f) => f.type === "dm_accepted" && f.data?.with === anonId);
    await ada.request("dm", { to: anonId, text: "dm over redis" });
    const dm = await anon.next((f) => f.type === "dm" && f.data?.text === "dm over redis");
    assert.equal(dm.data?.userId, "user-ada", JSON.stringify(dm));
    await anon.request("dm", { to: adaId, text: "anon dm over redis" });
    const back = await ada.next((f) => f.type === "dm" && f.data?.text === "anon dm over redis");
    assert.ok("userId" in back.data!, JSON.stringify(back));
    assert.equal(back.data?.userId, null);

    // The presence of a user that leaves, seen on the other node.
    await ada.request("leave", { room: "far" });
    const left = await anon.next((f) =>
      f.type === "presence" && f.data?.sessionId === adaId && f.data?.action === "leave"
    );
    assert.equal(left.data?.userId, "user-ada", JSON.stringify(left));
  },
);

clusterTest("a private room's rule holds on every node", async () => {
  await using cluster = await startCluster(2, { AUTH_MODE: "optional", AUTH_SECRET: SECRET });
  const [n0, n1] = cluster.nodes;
  await using member = await openWith(n0, await token({ sub: "user-in", rooms: ["private-*"] }));
  await using outsider = await openWith(n1, await token({ sub: "user-out" }));
  assert.equal((await member.request("join", { room: "private-far" })).ok, true);
  await member.request("chat", { room: "private-far", text: "members only" });
  const join = await outsider.request("join", { room: "private-far" });
  assert.equal(join.error?.code, "forbidden", JSON.stringify(join));
  const history = await outsider.request("history", { room: "private-far" });
  assert.equal(history.ok, false, JSON.stringify(history));
  assert.ok(!JSON.stringify(history).includes("members only"));
});

clusterTest(
  "a session resumed on another node keeps its user, its name lock and its grants",
  async () => {
    await using cluster = await startCluster(2, { AUTH_MODE: "required", AUTH_SECRET: SECRET });
    const [n0, n1] = cluster.nodes;
    const jwt = await token({ sub: "user-mover", name: "Mover", rooms: ["private-move"] });
    await using watcher = await openWith(n1, await token({ sub: "user-watcher" }));
    const first = await openWith(n0, jwt);
    const { sessionId, resumeToken } = welcomeOf(first);
    first.socket.close(4000, "network changed");
    await first.closed;

    await using moved = await Probe.open(
      `${n1.wsUrl}?resume=${encodeURIComponent(resumeToken as string)}&token=${jwt}`,
    );
    const welcome = welcomeOf(moved);
    assert.equal(welcome.resumed, true, JSON.stringify(welcome));
    assert.equal(welcome.sessionId, sessionId);
    assert.equal(welcome.userId, "user-mover");
    assert.equal(welcome.name, "Mover");
    const rename = await moved.request("set_name", { name: "Other" });
    assert.equal(rename.error?.code, "forbidden", JSON.stringify(rename));
    assert.equal((await moved.request("join", { room: "private-move" })).ok, true);
    assert.equal((await moved.request("join", { room: "private-else" })).error?.code, "forbidden");
    await moved.request("chat", { room: "lobby", text: "moved" });
    const chat = await watcher.next((f) => f.type === "chat" && f.data?.text === "moved");
    assert.equal(chat.data?.userId, "user-mover", JSON.stringify(chat));
  },
);
