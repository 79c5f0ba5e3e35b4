/**
 * Scale-out when things go wrong: malformed cluster messages, Redis outages with joins, leaves
 * and disconnects in the middle, a node paused until it is reaped, pipelined requests racing the
 * Redis round trip, and a stop while Redis is gone. Each test once failed against the code, for
 * the reason its title now says is handled. Hubs run in-process (createServices with REDIS_URL),
 * or as processes when a real signal is needed.
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { DEFAULTS } from "../lib/server/config.ts";
import { Hub, HubError, type Session } from "../lib/hub/hub.ts";
import { type Logger, silentLogger } from "../lib/server/log.ts";
import type { EventType, RequestType } from "../lib/protocol/mod.ts";
import { createServices, type Services } from "../lib/server/services.ts";
import type { ValidRequest } from "../lib/protocol/validate.ts";
import { delay, eventually } from "./helpers.ts";
import { Redis, redisMissing } from "./redis_server.ts";
import { mark, Recorder } from "./recorder.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

// ---------------------------------------------------------------------------------------------
// In-process nodes.

const NODE_TTL_MS = 1000;

/**
 * One in-process node of a Redis deployment, built exactly as the server builds it, with resume
 * off: these tests cover what a reaped or cut-off node mends when its sessions are gone for good.
 * With resume on, a reaped node's sessions are adopted instead (cluster_resume_test.ts).
 */
async function startNode(
  redis: Redis,
  nodeId: string,
  log: Logger = silentLogger,
): Promise<Services & AsyncDisposable> {
  const services = await createServices(
    {
      ...DEFAULTS,
      redisUrl: redis.url,
      nodeId,
      nodeTtlMs: NODE_TTL_MS,
      chatRate: 0,
      resumeTtlMs: 0,
    },
    log,
  );
  await services.hub.start();
  return Object.assign(services, { [Symbol.asyncDispose]: () => services.close() });
}

/** A fresh Redis and two in-process nodes "a" and "b" on it; disposing stops the nodes first. */
async function startPair(logA?: Logger) {
  const redis = new Redis();
  await redis.start();
  const nodeA = await startNode(redis, "a", logA);
  const nodeB = await startNode(redis, "b");
  return {
    redis,
    nodeA,
    nodeB,
    async [Symbol.asyncDispose]() {
      await Promise.all([nodeA[Symbol.asyncDispose](), nodeB[Symbol.asyncDispose]()]);
      await redis.stop();
    },
  };
}

interface Member {
  id: string;
  frames: { type: string; data: Record<string, unknown> }[];
  count(type: EventType, fields?: Record<string, unknown>): number;
}

function join(hub: Hub): Member {
  const frames: Member["frames"] = [];
  const session: Session = hub.connect((text) => frames.push(JSON.parse(text)));
  return {
    id: session.id,
    frames,
    count: (type, fields = {}) =>
      frames.filter((f) =>
        f.type === type && Object.entries(fields).every(([k, v]) => f.data[k] === v)
      ).length,
  };
}

async function call(
  hub: Hub,
  who: Member,
  type: RequestType,
  data: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return await hub.handle(who.id, { type, id: 1, data } as ValidRequest) as Record<
    string,
    unknown
  >;
}

/**
 * The msgIds of the chats `who` got after its first `after` frames, up to and including
 * `last`, once that one has come. Sent behind the chats under test on an ordered path, `last`
 * is a sentinel: a duplicate would have come before it.
 */
async function chatsUpTo(who: Member, after: number, last: unknown): Promise<unknown[]> {
  let chats: unknown[] = [];
  await eventually(() => {
    const ids = who.frames.slice(after).filter((f) => f.type === "chat").map((f) => f.data.msgId);
    assert.ok(ids.includes(last), `no chat ${last} yet`);
    chats = ids.slice(0, ids.indexOf(last) + 1);
  }, 3000);
  return chats;
}

/** Opens a conversation between `a` (on hubA) and `b` (on hubB). */
async function converse(hubA: Hub, a: Member, hubB: Hub, b: Member): Promise<void> {
  await call(hubA, a, "dm_request", { to: b.id });
  await eventually(() => assert.equal(b.count("dm_request", { from: a.id }), 1));
  await call(hubB, b, "dm_accept", { from: a.id });
  await eventually(() => assert.equal(a.count("dm_accepted", { with: b.id }), 1));
}

const clusterTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: redisMissing, fn });

// ---------------------------------------------------------------------------------------------
// Cluster, in-process nodes.

clusterTest(
  "bad input: a malformed message on hub:ctl is dropped and the node stays in the cluster",
  async () => {
    const warnings: string[] = [];
    await using pair = await startPair({ ...silentLogger, warn: (m) => void warnings.push(m) });
    const { redis, nodeA, nodeB } = pair;
    const a = join(nodeA.hub);
    const b = join(nodeB.hub);
    await eventually(async () => assert.equal(await nodeA.hub.deploymentCount(), 2));

    // Anything else on the control channel (an operator's test PUBLISH, a newer node's new control
    // kind, a renamed without rooms) throws inside the subscriber's listener.
    const outsider = createClient({ url: redis.url });
    await outsider.connect();
    try {
      await outsider.publish("hub:ctl", "not json");
    } finally {
      await outsider.close();
    }
    // Redis had queued the bad message for node a before the PUBLISH returned, so node b's
    // renamed control, published now, reaches node a behind it.
    await call(nodeB.hub, b, "set_name", { name: "after the bad one" });
    await eventually(() => assert.equal(a.count("renamed", { sessionId: b.id }), 1));
    assert.ok(warnings.includes("dropped a malformed cluster message"), String(warnings));
    assert.ok(!warnings.some((w) => w.startsWith("redis unavailable")), String(warnings));

    // The cluster must carry on: counts stay deployment-wide and chat crosses nodes.
    assert.equal(await nodeA.hub.deploymentCount(), 2, "node a now counts only itself");
    const sent = await call(nodeB.hub, b, "chat", { room: "lobby", text: "still one hub?" });
    await eventually(() => assert.equal(a.count("chat", { msgId: sent.msgId }), 1), 2000);
  },
);

clusterTest(
  "leave and re-join a room during a Redis outage: each later chat arrives once",
  async () => {
    await using pair = await startPair();
    const { redis, nodeA, nodeB } = pair;
    const a = join(nodeA.hub);
    const b = join(nodeB.hub);
    await call(nodeA.hub, a, "join", { room: "r" });
    await call(nodeB.hub, b, "join", { room: "r" });

    await redis.stop();
    // Node a has lost Redis once it counts only its own session.
    await eventually(async () => assert.equal(await nodeA.hub.deploymentCount(), 1));
    // a is node a's only member of r: the UNSUBSCRIBE cannot be sent and is rejected by the next
    // failed reconnect attempt, but node-redis keeps the old listener.
    await call(nodeA.hub, a, "leave", { room: "r" });
    // The only wait on the clock left here: nothing outside node-redis shows when a reconnect
    // attempt failed. Its backoff (100 ms, doubling) has made two or more attempts by now.
    await delay(1500);
    await call(nodeA.hub, a, "join", { room: "r" });
    await redis.start();
    // Node b counts a again only once node a has resubscribed its rooms (it does that before it
    // lists itself), so b's chats to r reach a from here on.
    await eventually(async () => {
      assert.equal(await nodeA.hub.deploymentCount(), 2);
      assert.equal(await nodeB.hub.deploymentCount(), 2);
    }, 15_000);

    const before = a.frames.length;
    const sent = await call(nodeB.hub, b, "chat", { room: "r", text: "once" });
    // One node's frames to one room keep their order: a second copy would come before this.
    const sentinel = await call(nodeB.hub, b, "chat", { room: "r", text: "sentinel" });
    assert.deepEqual(
      await chatsUpTo(a, before, sentinel.msgId),
      [sent.msgId, sentinel.msgId],
      "each message exactly once",
    );
  },
);

clusterTest(
  "a peer that disconnects during a Redis outage: its partner is told once Redis is back",
  async () => {
    await using pair = await startPair();
    const { redis, nodeA, nodeB } = pair;
    const a = join(nodeA.hub);
    const b = join(nodeB.hub);
    const c = join(nodeB.hub); // keeps node b populated, so counts show when both are back
    await eventually(async () => assert.equal(await nodeA.hub.deploymentCount(), 3));
    await converse(nodeA.hub, a, nodeB.hub, b);

    await redis.stop();
    // Node b has lost Redis once it no longer counts a.
    await eventually(async () => assert.equal(await nodeB.hub.deploymentCount(), 2));
    nodeB.hub.disconnect(b.id); // b's dm_end signal to a is dropped: Redis is down
    await redis.start();
    await eventually(async () => {
      assert.equal(await nodeA.hub.deploymentCount(), 2); // a and c; b is gone everywhere
      assert.equal(await nodeB.hub.deploymentCount(), 2);
    }, 15_000);
    assert.ok(c.id);

    // Either the recovery already ended the conversation, or a's next dm bounces off node b;
    // both ways a learns it is over (protocol.md: dm_closed "disconnected").
    try {
      await call(nodeA.hub, a, "dm", { to: b.id, text: "anyone there?" });
    } catch (err) {
      assert.ok(err instanceof HubError && err.code === "not_found", String(err));
    }
    await eventually(
      () => assert.equal(a.count("dm_closed", { with: b.id }), 1, "a never got dm_closed for b"),
      NODE_TTL_MS * 2,
    );
  },
);

clusterTest(
  "pipelined dm_requests to another node still stop at the 20 pending limit",
  async () => {
    await using pair = await startPair();
    const { nodeA, nodeB } = pair;
    const a = join(nodeA.hub);
    const targets = Array.from({ length: 25 }, () => join(nodeB.hub));
    await eventually(async () => assert.equal(await nodeA.hub.deploymentCount(), 26));

    // A client may pipeline its frames; each `locate` round trip to Redis lets the next one in
    // before the first has recorded its pending request.
    const results = await Promise.allSettled(
      targets.map((t) => call(nodeA.hub, a, "dm_request", { to: t.id })),
    );
    try {
      const pending = results.filter((r) => r.status === "fulfilled").length;
      const tooMany = results.filter((r) =>
        r.status === "rejected" && r.reason instanceof HubError && r.reason.code === "too_many"
      ).length;
      assert.equal(nodeA.hub.session(a.id)!.outgoing.size, pending);
      assert.deepEqual({ pending, tooMany }, { pending: 20, tooMany: 5 });
    } finally {
      // Ends the requests, so no 60-second expiry timers outlive the test.
      nodeA.hub.disconnect(a.id);
    }
  },
);

clusterTest(
  "a node started while Redis is down serves its own clients, then joins when Redis comes",
  async () => {
    await using redis = new Redis(); // not started yet
    await using lonely = await startNode(redis, "early");
    const a = join(lonely.hub);
    const b = join(lonely.hub);
    const sent = await call(lonely.hub, a, "chat", { room: "lobby", text: "anyone?" });
    assert.equal(b.count("chat", { msgId: sent.msgId as string }), 1);
    assert.equal(await lonely.hub.deploymentCount(), 2);

    await redis.start();
    await using later = await startNode(redis, "later");
    const c = join(later.hub);
    await eventually(async () => {
      assert.equal(await lonely.hub.deploymentCount(), 3);
      assert.equal(await later.hub.deploymentCount(), 3);
    }, 10_000);
    const across = await call(later.hub, c, "chat", { room: "lobby", text: "here" });
    await eventually(() => assert.equal(a.count("chat", { msgId: across.msgId as string }), 1));
  },
);

// ---------------------------------------------------------------------------------------------
// Cluster, nodes as processes (real SIGSTOP/SIGTERM).

async function spawnNode(redis: Redis, id: string, ttl: number): Promise<ServerProcess> {
  return await spawnServer({
    REDIS_URL: redis.url,
    NODE_ID: id,
    NODE_TTL_MS: String(ttl),
    CHAT_RATE: "0",
    LOG_LEVEL: "info",
    // Resume off: this file is about sessions that are gone for good (see startNode).
    RESUME_TTL_MS: "0",
  });
}

clusterTest(
  "a paused node that was reaped ends its side of cross-node conversations and announces its members again",
  async () => {
    const ttl = 1500;
    await using redis = new Redis();
    await redis.start();
    await using n0 = await spawnNode(redis, "n0", ttl);
    await using n1 = await spawnNode(redis, "n1", ttl);
    await using a = await Recorder.open(n0);
    await using b = await Recorder.open(n1);
    const asking = mark();
    await a.client.request("dm_request", { to: b.id });
    await b.expect("dm_request", { from: a.id }, { after: asking });
    await b.client.request("dm_accept", { from: a.id });
    await a.expect("dm_accepted", { with: b.id }, { after: asking });

    // docs/scaling.md: "A node paused longer than 3T/5 ... is reaped; when it resumes it ... carries
    // on, but its cross-node conversations were ended."
    const paused = mark();
    n0.child.kill("SIGSTOP");
    try {
      await b.expect("dm_closed", { with: a.id }, { after: paused, timeoutMs: ttl * 3 });
    } finally {
      n0.child.kill("SIGCONT");
    }
    await eventually(async () => {
      assert.equal((await b.client.request("num_clients")).count, 2, "n0 resynchronized");
    }, ttl * 4);

    // b was told the conversation ended; a must be told too, not keep sending into the void.
    await a.expect("dm_closed", { with: b.id, reason: "disconnected" }, {
      after: paused,
      timeoutMs: ttl * 2,
    });
    await assert.rejects(
      a.client.request("dm", { to: b.id, text: "still there?" }),
      (err: { code: string }) => err.code === "not_connected",
    );
    // b heard n0's sessions leave the lobby when n0 was reaped; it hears a come back.
    await b.expect("presence", { sessionId: a.id, action: "join" }, { after: paused });
  },
);

clusterTest(
  "SIGTERM during a Redis outage after a room was left still exits",
  async () => {
    await using redis = new Redis();
    await redis.start();
    await using n0 = await spawnNode(redis, "n0", 1500);
    const a = await Recorder.open(n0);
    try {
      await a.client.request("join", { room: "r" }); // n0 subscribes to hub:room:r
      await redis.stop();
      // Reconnect attempts are now over a second apart (100 ms, doubling), so the UNSUBSCRIBE
      // below stays queued. A wait on the clock: nothing outside node-redis shows its backoff.
      await delay(3000);
      // The last local member leaves: the UNSUBSCRIBE waits in the subscriber's queue.
      await a.client.request("leave", { room: "r" });
      n0.child.kill("SIGTERM");
      const exited = await Promise.race([
        n0.child.status.then((s) => s.code),
        delay(8000).then(() => "hung"),
      ]);
      assert.equal(
        exited,
        0,
        "the node must stop cleanly on SIGTERM (issue 2), even with Redis down",
      );
    } finally {
      await a.client.close();
    }
  },
);
