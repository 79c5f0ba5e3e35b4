/**
 * `USER_CONNECTION_LIMIT` (issue 14), black-box: "caps sessions per user, deployment-wide. The
 * connection that would go over it gets 4005", on one node and across two over Redis.
 */

import assert from "node:assert/strict";
import { eventually, Probe } from "./helpers.ts";
import { clusterTest, startCluster } from "./cluster_nodes.ts";
import { spawnServer } from "./server_process.ts";
import {
  closedWithin,
  deadline,
  openWith,
  SECRET,
  token,
  welcomeOf,
  wsUrl,
} from "./spec_helpers.ts";

const REQUIRED = { AUTH_MODE: "required", AUTH_SECRET: SECRET, CHAT_RATE: "0" };

/** The first frame matching `match`, with no timer of its own (the caller bounds the wait). */
function frameWhere(probe: Probe, match: (f: { type: string; id?: unknown }) => boolean) {
  return new Promise<"frame">((resolve) => {
    const listener = (event: MessageEvent) => {
      if (!match(JSON.parse(event.data as string))) return;
      probe.socket.removeEventListener("message", listener);
      resolve("frame");
    };
    probe.socket.addEventListener("message", listener);
  });
}

/**
 * Opens a connection that may be refused after its upgrade (4005), and says how it ended up:
 * `closed` is the close code, or undefined when it got `welcome` and answers a ping.
 */
async function attempt(url: string): Promise<{ probe: Probe; closed?: number | string }> {
  const probe = new Probe(url);
  const welcomed = frameWhere(probe, (f) => f.type === "welcome");
  const closed = probe.closed.then((e) => e.code);
  const limit = deadline(5000, () => `unsettled after 5 s: ${probe.describe()}`);
  const timeout = limit.expired;
  try {
    const opened = await Promise.race([probe.opened.then(() => true, () => false), timeout]);
    if (!opened) return { probe, closed: "refused before the upgrade" };
    const first = await Promise.race([closed, welcomed, timeout]);
    if (first !== "frame") return { probe, closed: first };
    // A welcome may still be followed by the refusal; a ping's reply or the close settles it.
    const pong = frameWhere(probe, (f) => f.type === "reply" && f.id === "settle");
    probe.send({ type: "ping", id: "settle" });
    const settled = await Promise.race([closed, pong, timeout]);
    return { probe, closed: settled === "frame" ? undefined : settled };
  } finally {
    limit.clear();
  }
}

clusterTest(
  "USER_CONNECTION_LIMIT counts a user's sessions across nodes; the one over it gets 4005",
  async () => {
    await using cluster = await startCluster(2, { ...REQUIRED, USER_CONNECTION_LIMIT: "2" });
    const [n0, n1] = cluster.nodes;
    const ada = await token({ sub: "user-limit" });
    await using a1 = await openWith(n0, ada);
    await using a2 = await openWith(n1, ada);
    // Both nodes know of both sessions before the third comes.
    await eventually(async () => {
      assert.equal((await a1.request("num_clients")).data?.count, 2);
    });

    for (const [node, which] of [[n0, "node 0"], [n1, "node 1"]] as const) {
      const third = await attempt(wsUrl(node, { token: ada }));
      assert.equal(third.closed, 4005, `a third session on ${which} was not closed with 4005`);
    }
    // The sessions under the limit are untouched, and another user is not limited by this one.
    assert.equal((await a1.request("ping")).ok, true);
    assert.equal((await a2.request("ping")).ok, true);
    await using bob = await openWith(n0, await token({ sub: "user-bob" }));
    assert.equal((await bob.request("ping")).ok, true);

    // A session that ends makes room, deployment-wide.
    a1.socket.close(1000);
    await a1.closed;
    let admitted: Probe | undefined;
    await eventually(async () => {
      const next = await attempt(wsUrl(n1, { token: ada }));
      if (next.closed !== undefined) throw new Error(`still refused with ${next.closed}`);
      admitted = next.probe;
    }, 8000);
    await admitted?.[Symbol.asyncDispose]();
  },
);

Deno.test("USER_CONNECTION_LIMIT=1 in optional mode: a user's second session gets 4005; anonymous sessions are not limited", async () => {
  await using server = await spawnServer({
    AUTH_MODE: "optional",
    AUTH_SECRET: SECRET,
    USER_CONNECTION_LIMIT: "1",
  });
  const jwt = await token({ sub: "user-one" });
  await using first = await openWith(server, jwt);
  const second = await attempt(wsUrl(server, { token: jwt }));
  assert.equal(second.closed, 4005);
  // Reading: the limit is per user; anonymous sessions have none, so none applies to them.
  await using anon1 = await openWith(server);
  await using anon2 = await openWith(server);
  for (const probe of [first, anon1, anon2]) assert.equal((await probe.request("ping")).ok, true);
});

Deno.test("USER_CONNECTION_LIMIT=1: a session resuming is not a connection over the limit", async () => {
  // Reading: the limit counts sessions; a resume continues one, whether the session was away or
  // its old connection still looked open (then replaced with 4009).
  await using server = await spawnServer({ ...REQUIRED, USER_CONNECTION_LIMIT: "1" });
  const jwt = await token({ sub: "user-resumer" });
  const first = await openWith(server, jwt);
  const { sessionId, resumeToken } = welcomeOf(first);
  first.socket.close(4000, "network changed");
  await first.closed;
  const away = await attempt(wsUrl(server, { resume: resumeToken as string, token: jwt }));
  assert.equal(away.closed, undefined, `the resume of an away session got ${away.closed}`);
  const resumed = welcomeOf(away.probe);
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.sessionId, sessionId);

  // Now resume again while this connection is still open: it is replaced, not refused.
  const again = await attempt(wsUrl(server, { resume: resumed.resumeToken as string, token: jwt }));
  assert.equal(again.closed, undefined, `the resume of a connected session got ${again.closed}`);
  assert.equal(welcomeOf(again.probe).sessionId, sessionId);
  assert.equal((await closedWithin(away.probe, 5000)).code, 4009);
  await again.probe[Symbol.asyncDispose]();
});

clusterTest("USER_CONNECTION_LIMIT holds when a user's connections race on two nodes", async () => {
  // The issue: the limit "caps sessions per user, deployment-wide". Connections that arrive
  // together on two nodes are the case a per-node count would miss.
  await using cluster = await startCluster(2, { ...REQUIRED, USER_CONNECTION_LIMIT: "1" });
  const jwt = await token({ sub: "user-race" });
  const outcomes = await Promise.all(
    [0, 1, 0, 1, 0, 1].map((i) => attempt(wsUrl(cluster.nodes[i], { token: jwt }))),
  );
  try {
    // Whatever the first moments looked like, the deployment settles at the cap.
    await eventually(async () => {
      const open = outcomes.filter((o) => o.probe.socket.readyState === WebSocket.OPEN);
      for (const o of open) await o.probe.request("ping").catch(() => undefined);
      const still = outcomes.filter((o) => o.probe.socket.readyState === WebSocket.OPEN);
      assert.ok(still.length <= 1, `${still.length} sessions of one user with a limit of 1`);
    }, 3000);
    assert.ok(
      outcomes.some((o) => o.probe.socket.readyState === WebSocket.OPEN),
      `none of the user's connections got in: ${JSON.stringify(outcomes.map((o) => o.closed))}`,
    );
  } finally {
    for (const o of outcomes) await o.probe[Symbol.asyncDispose]();
  }
});

Deno.test("USER_CONNECTION_LIMIT holds when a user's connections arrive together on one node", async () => {
  await using server = await spawnServer({ ...REQUIRED, USER_CONNECTION_LIMIT: "1" });
  const jwt = await token({ sub: "user-burst" });
  const outcomes = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(() => attempt(wsUrl(server, { token: jwt }))),
  );
  try {
    const admitted = outcomes.filter((o) => o.closed === undefined).length;
    assert.equal(
      admitted,
      1,
      `admitted ${admitted}: ${JSON.stringify(outcomes.map((o) => o.closed))}`,
    );
  } finally {
    for (const o of outcomes) await o.probe[Symbol.asyncDispose]();
  }
});
