/**
 * The handover reading what other processes left in Redis, which is input like any other: one bad
 * entry costs that entry, never the rest.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import type { ClusterInbox, SessionState, Signal } from "../seam.ts";
import { silentLogger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";
import { inboxKey, NODES, nodeSessions, nodeStates, SESSIONS } from "./keys.ts";

/** Session ids, as every session has one. */
const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";
const S2 = "01JAAAAAAAAAAAAAAAAAAAAAA2";
const GOOD = "01JAAAAAAAAAAAAAAAAAAAAAA3";
const BROKEN = "01JAAAAAAAAAAAAAAAAAAAAAA4";

function adoptingInbox() {
  const adopted = Promise.withResolvers<SessionState[]>();
  const inbox: ClusterInbox = {
    room() {},
    signal() {},
    renamed() {},
    gone() {},
    resynced() {},
    snapshot: () => [],
    release: () => Promise.resolve(null),
    adopt: (states) => Promise.resolve(adopted.resolve(states)),
    abandon() {},
  };
  return { inbox, adopted: adopted.promise };
}

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

const options = { nodeTtlMs: 500, log: silentLogger, resumeTtlMs: 60_000 };

Deno.test({
  name: "signals kept for a session that moved: a malformed one is skipped, the others delivered",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const node = new RedisCluster({ ...options, url: redis.url, nodeId: "n" });
    try {
      await node.start(adoptingInbox().inbox);
      const signal: Signal = { kind: "dm_away", to: S1, from: S2 };
      await admin.rPush(inboxKey(S1), ["{not json", "null", JSON.stringify(signal)]);
      assert.deepEqual(await node.handover.drain(S1), [signal]);
    } finally {
      await node.close();
      await admin.close();
    }
  },
});

Deno.test({
  name: "a stopped node's saved state that does not parse loses that one session, not the others",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const good: SessionState = {
      sessionId: GOOD,
      name: "Ada",
      connectedAt: 1,
      secretHash: "",
      rooms: [],
      peers: [],
      incoming: [],
      outgoing: [],
      frames: [],
      lastOffsets: {},
    };
    await admin.multi()
      .zAdd(NODES, { score: 0, value: "stopped" })
      .hSet(SESSIONS, { [GOOD]: "stopped", [BROKEN]: "stopped" })
      .hSet(nodeSessions("stopped"), { [GOOD]: "Ada", [BROKEN]: "Bea" })
      .hSet(nodeStates("stopped"), { [GOOD]: JSON.stringify(good), [BROKEN]: "{" })
      .exec();
    const node = new RedisCluster({ ...options, url: redis.url, nodeId: "n" });
    const { inbox, adopted } = adoptingInbox();
    try {
      await node.start(inbox);
      const states = await within(adopted, 3000, "adoption");
      assert.ok(states.some((s) => s.sessionId === GOOD));
    } finally {
      await node.close();
      await admin.close();
    }
  },
});
