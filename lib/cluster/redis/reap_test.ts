/**
 * What stays in Redis after a node is gone: nothing of its own once it is reaped, and a node that
 * stopped and saved its sessions is reaped (its sessions adopted, in the window they had) even
 * when no node heard it go.
 *
 * @module
 */

import assert from "node:assert/strict";
import { quietInbox } from "../testing/inbox.ts";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import type { SessionState } from "../seam.ts";
import { silentLogger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";
import { SCRIPTS } from "./scripts.ts";
import { nodeMembers, NODES, nodeSeen, nodeSessions, roomKey, ROOMS, SESSIONS } from "./keys.ts";

/** A session id, as every session has one. */
const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";

/** An inbox with no sessions of its own; `adopted` resolves with the first sessions adopted. */
function adoptingInbox() {
  const adopted = Promise.withResolvers<SessionState[]>();
  const inbox = quietInbox({
    adopt: (states: SessionState[]) => Promise.resolve(adopted.resolve(states)),
  });
  return { inbox, adopted: adopted.promise };
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "reaping a node removes every key it owned, the rooms it last delivered included",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const client = createClient({ url: redis.url, scripts: SCRIPTS });
    await client.connect();
    try {
      await client.multi()
        .zAdd(NODES, { score: 1, value: "dead" })
        .hSet(SESSIONS, S1, "dead")
        .hSet(nodeSessions("dead"), S1, "Bea")
        .sAdd(nodeMembers("dead"), `ops\n${S1}`)
        .hSet(roomKey("ops"), S1, "dead\nBea")
        .hSet(ROOMS, "ops", 1)
        .hSet(nodeSeen("dead"), "ops", "3 epoch")
        .exec();
      const gone = await client.hubReap({ node: "dead", claim: true, aliveSince: Date.now() });
      assert.deepEqual(gone, [{ sessionId: S1, userId: null, name: "Bea", rooms: ["ops"] }]);
      assert.deepEqual(await client.keys("hub:*"), []);
    } finally {
      await client.close();
    }
  },
});

Deno.test({
  name: "a node that stopped and saved its sessions is adopted by a node that starts later",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const options = { url: redis.url, nodeTtlMs: 500, log: silentLogger, resumeTtlMs: 60_000 };
    const stopping = new RedisCluster({ ...options, nodeId: "stopping" });
    await stopping.start(adoptingInbox().inbox);
    await stopping.registry.sessionOpened({ sessionId: S1, userId: null, name: "Ada" }, 1);
    const state: SessionState = {
      sessionId: S1,
      userId: null,
      name: "Ada",
      connectedAt: 1,
      secretHash: "",
      rooms: [],
      peers: [],
      incoming: [],
      outgoing: [],
      frames: [],
      lastOffsets: {},
      // Away for most of its window already.
      awayUntil: Date.now() + 5_000,
    };
    await stopping.handover.evacuate([state]);
    // Nobody hears it leave: the deployment was this node alone.
    await stopping.close();

    const later = new RedisCluster({ ...options, nodeId: "later" });
    const { inbox, adopted } = adoptingInbox();
    try {
      await later.start(inbox);
      // A live node reaps a silent one within its NODE_TTL_MS.
      const states = await within(adopted, 3000, "adoption");
      assert.deepEqual(states.map((s) => s.sessionId), [S1]);
      assert.equal(states[0].awayUntil, state.awayUntil, "its window does not start again");
    } finally {
      await later.close();
    }
  },
});

Deno.test({
  name:
    "a node that is stopping itself does not adopt the sessions of another that stops: they wait for a node that stays",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const options = { url: redis.url, nodeTtlMs: 500, log: silentLogger, resumeTtlMs: 60_000 };
    const first = new RedisCluster({ ...options, nodeId: "first" });
    const second = new RedisCluster({ ...options, nodeId: "second" });
    await first.start(adoptingInbox().inbox);
    await second.start(adoptingInbox().inbox);
    // Both were told to stop at once; the first is still saving its own sessions.
    first.handover.stop();
    await second.registry.sessionOpened({ sessionId: S1, userId: null, name: "Ada" }, 1);
    await second.handover.evacuate([{
      sessionId: S1,
      userId: null,
      name: "Ada",
      connectedAt: 1,
      secretHash: "",
      rooms: [],
      peers: [],
      incoming: [],
      outgoing: [],
      frames: [],
      lastOffsets: {},
    }]);
    await second.close();

    // Orphans are claimed by one node only: the one that stays gets it only if the first did not.
    const stays = new RedisCluster({ ...options, nodeId: "stays" });
    const { inbox, adopted } = adoptingInbox();
    try {
      await stays.start(inbox);
      const states = await within(adopted, 3000, "adoption");
      assert.deepEqual(states.map((s) => s.sessionId), [S1]);
    } finally {
      await stays.close();
      await first.close();
    }
  },
});
