/**
 * The handover reading what other processes left in Redis, which is input like any other: one bad
 * entry costs that entry, never the rest.
 *
 * @module
 */

import assert from "node:assert/strict";
import { quietInbox } from "../testing/inbox.ts";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import type { ClusterInbox, SessionState, Signal } from "../seam.ts";
import { silentLogger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";
import {
  inboxKey,
  nodeChannel,
  NODES,
  nodeSessions,
  nodeSignals,
  nodeStates,
  SESSIONS,
} from "./keys.ts";
import { eventually } from "../../../tests/helpers.ts";

/** Session ids, as every session has one. */
const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";
const S2 = "01JAAAAAAAAAAAAAAAAAAAAAA2";
const GOOD = "01JAAAAAAAAAAAAAAAAAAAAAA3";
const BROKEN = "01JAAAAAAAAAAAAAAAAAAAAAA4";

function adoptingInbox() {
  const adopted = Promise.withResolvers<SessionState[]>();
  const inbox = quietInbox({
    adopt: (states: SessionState[]) => Promise.resolve(adopted.resolve(states)),
  });
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

/** A DM from S2 to S1. */
const dm = (text: string): Signal => ({
  kind: "dm",
  to: S1,
  from: S2,
  userId: null,
  name: "Bea",
  text,
  msgId: "01JAAAAAAAAAAAAAAAAAAAAAA5",
  ts: 1,
});

Deno.test({
  name: "a signal that a node heard but never handled (it hung, or died before Redis saw its " +
    "connection close) reaches its session on the node that adopts it",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    // The node that hangs: Redis still counts its subscription, but nothing handles what comes.
    const hung = createClient({ url: redis.url });
    await hung.connect();
    const heard = Promise.withResolvers<void>();
    await hung.subscribe(nodeChannel("hung"), () => heard.resolve());
    await admin.multi()
      // Alive until the test says otherwise.
      .zAdd(NODES, { score: Date.now() + 60_000, value: "hung" })
      .hSet(SESSIONS, S1, "hung")
      .hSet(nodeSessions("hung"), S1, "Ada")
      .exec();
    const node = new RedisCluster({ ...options, url: redis.url, nodeId: "n" });
    // What the hub does as it takes each adopted session in: drain what was kept for it.
    const taken = Promise.withResolvers<[string[], Signal[]]>();
    const inbox: ClusterInbox = {
      ...adoptingInbox().inbox,
      adopt: async (states) => {
        const ids = states.map((s) => s.sessionId);
        taken.resolve([ids, await node.handover.drain(S1)]);
      },
    };
    try {
      await node.start(inbox);
      const sent = dm("are you there?");
      node.broker.signal(sent);
      await within(heard.promise, 3000, "signal heard");
      await admin.zAdd(NODES, { score: 0, value: "hung" });
      assert.deepEqual(await within(taken.promise, 3000, "adoption"), [[S1], [sent]]);
    } finally {
      await node.close();
      await hung.close();
      await admin.close();
    }
  },
});

Deno.test({
  name: "a node takes each signal it handled out of what it keeps for an adopter, so none is " +
    "replayed twice",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.hSet(SESSIONS, S1, "receiver");
    const handled = Promise.withResolvers<Signal>();
    const receiver = new RedisCluster({ ...options, url: redis.url, nodeId: "receiver" });
    const sender = new RedisCluster({ ...options, url: redis.url, nodeId: "sender" });
    try {
      await receiver.start({ ...adoptingInbox().inbox, signal: handled.resolve });
      await sender.start(adoptingInbox().inbox);
      const sent = dm("hello");
      sender.broker.signal(sent);
      assert.deepEqual(await within(handled.promise, 3000, "signal"), sent);
      await eventually(async () => assert.equal(await admin.lLen(nodeSignals("receiver")), 0));
      assert.equal(await admin.exists(inboxKey(S1)), 0);
    } finally {
      await sender.close();
      await receiver.close();
      await admin.close();
    }
  },
});
