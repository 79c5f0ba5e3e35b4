/**
 * Claims between nodes over a real Redis: a state that arrives after the claimer stopped waiting
 * is not dropped, since the node that sent it has already let the session go; a claim that waits
 * for another node's adoption waits at a measured pace.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import type { SessionState } from "../seam.ts";
import { quietInbox } from "../testing/inbox.ts";
import { silentLogger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";
import { NODES, SESSIONS } from "./keys.ts";
import { createClient } from "redis";

/** A session id, as every session has one. */
const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";

const inbox = quietInbox;

const state: SessionState = {
  sessionId: S1,
  userId: null,
  name: "Ada",
  connectedAt: 1,
  secretHash: "",
  rooms: ["lobby"],
  peers: [],
  incoming: [],
  outgoing: [],
  frames: [],
  lastOffsets: {},
};

Deno.test({
  name: "a session handed over after the claimer stopped waiting is adopted there, not lost",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const options = { url: redis.url, nodeTtlMs: 10_000, log: silentLogger, resumeTtlMs: 60_000 };
    const handing = Promise.withResolvers<SessionState | null>();
    const adopted = Promise.withResolvers<SessionState[]>();
    const holder = new RedisCluster({ ...options, nodeId: "holder" });
    const claimer = new RedisCluster({ ...options, nodeId: "claimer" });
    try {
      await holder.start(inbox({ release: () => handing.promise }));
      await claimer.start(inbox({ adopt: (states) => Promise.resolve(adopted.resolve(states)) }));
      const answer = await claimer.broker.claim("holder", S1, "secret");
      assert.notEqual(typeof answer, "object", "the claimer gave up waiting");
      // The holder lets the session go only now.
      handing.resolve(state);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const states = await Promise.race([
        adopted.promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("The late state was dropped")), 3000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(states.map((s) => s.sessionId), [S1]);
    } finally {
      await claimer.close();
      await holder.close();
    }
  },
});

Deno.test({
  name:
    "a claim for a session whose dead node another node is adopting waits for it without hammering Redis",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    // Another node claimed the dead one and is still taking its sessions in: they are routed
    // to the dead node until it has.
    await admin.multi()
      .hSet(SESSIONS, S1, "dead")
      .zAdd(NODES, { score: 1, value: "dead" })
      .exec();
    const options = { url: redis.url, nodeTtlMs: 10_000, log: silentLogger, resumeTtlMs: 60_000 };
    const claimer = new RedisCluster({ ...options, nodeId: "claimer" });
    try {
      await claimer.start(inbox());
      const before = await evalCalls(admin);
      const claimed = claimer.handover.claim(S1, "secret");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The adopter is done: it took the session over to here.
      await admin.hSet(SESSIONS, S1, "claimer");
      assert.equal(await claimed, "local");
      const scripts = await evalCalls(admin) - before;
      assert.ok(scripts < 20, `${scripts} script calls in one second of waiting`);
    } finally {
      await claimer.close();
      await admin.close();
    }
  },
});

/** Script calls Redis has run so far. */
async function evalCalls(admin: { info(section: string): Promise<string> }): Promise<number> {
  const info = await admin.info("commandstats");
  return [...info.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)]
    .reduce((sum, [, calls]) => sum + Number(calls), 0);
}
