/**
 * The cluster's Lua scripts against a real `redis-server`: they are loaded once per connection and
 * then run by SHA, a call after `SCRIPT FLUSH` still works (by text once, by SHA again after), and
 * their answers are right: counts, member lists, `locate`, renames and a reap, read by one node
 * about another.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import type { ClusterInbox, GoneSession } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";
import { SCRIPTS } from "./scripts.ts";

const SCRIPT_COUNT = Object.keys(SCRIPTS).length;
/** A session id, as every session has one: other nodes refuse messages naming anything else. */
const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";

/** An inbox with no sessions of its own that hands on what other nodes announce. */
function recordingInbox() {
  const renamed = Promise.withResolvers<{ sessionId: string; name: string; rooms: string[] }>();
  const gone = Promise.withResolvers<GoneSession[]>();
  const inbox: ClusterInbox = {
    room() {},
    signal() {},
    renamed: (sessionId, name, rooms) => renamed.resolve({ sessionId, name, rooms }),
    gone: (sessions) => gone.resolve(sessions),
    resynced() {},
    snapshot: () => [],
    release: () => Promise.resolve(null),
    adopt: () => Promise.resolve(),
    abandon() {},
  };
  return { inbox, renamed: renamed.promise, gone: gone.promise };
}

/** A logger that keeps warnings and errors, so a test can insist there were none. */
function recordingLogger(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const keep = (message: string, fields?: Record<string, unknown>) =>
    problems.push(`${message} ${String(fields?.error ?? "")}`);
  return { problems, debug() {}, info() {}, warn: keep, error: keep };
}

/** Calls per command in the text of `INFO commandstats`, by name, e.g. `evalsha`, `script|load`. */
function commandStats(info: string): Map<string, { calls: number; failed: number }> {
  const stats = new Map<string, { calls: number; failed: number }>();
  const lines = info.matchAll(/^cmdstat_(\S+):calls=(\d+),.*failed_calls=(\d+)/gm);
  for (const [, name, calls, failed] of lines) {
    stats.set(name, { calls: Number(calls), failed: Number(failed) });
  }
  return stats;
}

const calls = (stats: Map<string, { calls: number }>, name: string) => stats.get(name)?.calls ?? 0;

Deno.test({
  name: "cluster scripts: loaded once per connection, run by SHA, and still run after SCRIPT FLUSH",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const log = recordingLogger();
    const a = new RedisCluster({ url: redis.url, nodeId: "a", nodeTtlMs: 10_000, log });
    const b = new RedisCluster({ url: redis.url, nodeId: "b", nodeTtlMs: 10_000, log });
    const atA = recordingInbox();
    try {
      await a.start(atA.inbox);
      await b.start(recordingInbox().inbox);

      await b.registry.sessionOpened({ sessionId: S1, userId: "bea", name: "Bea" }, 1);
      await b.registry.joined("ops", { sessionId: S1, userId: "bea", name: "Bea" });
      assert.equal(await a.registry.remoteCount(), 1);
      assert.deepEqual(await a.registry.remoteMembers("ops"), [{
        sessionId: S1,
        userId: "bea",
        name: "Bea",
      }]);
      assert.deepEqual(await a.registry.remoteRooms(), new Map([["ops", 1]]));
      assert.equal(await a.registry.locate(S1), true);
      assert.equal(await b.registry.locate(S1), false, "b's own session is not remote to b");
      assert.deepEqual(await a.registry.userSessions("bea"), [
        { sessionId: S1, name: "Bea", connectedAt: 1, away: false },
      ]);

      // Each node's command connection loaded every script once; no call needed the text.
      let stats = commandStats(await admin.info("commandstats"));
      assert.equal(calls(stats, "script|load"), 2 * SCRIPT_COUNT);
      assert.equal(calls(stats, "eval"), 0);
      assert.ok(calls(stats, "evalsha") >= 6, "the calls above ran by SHA");
      assert.equal(stats.get("evalsha")?.failed, 0, "no NOSCRIPT");

      // Redis forgets every script: the next call sends the text once, and the one after runs
      // by SHA again.
      await admin.scriptFlush();
      assert.equal(await a.registry.remoteCount(), 1);
      stats = commandStats(await admin.info("commandstats"));
      assert.equal(calls(stats, "eval"), 1);
      const bySha = calls(stats, "evalsha");
      assert.equal(await a.registry.remoteCount(), 1);
      stats = commandStats(await admin.info("commandstats"));
      assert.equal(calls(stats, "eval"), 1);
      assert.equal(calls(stats, "evalsha"), bySha + 1);

      // A fire-and-forget script call meets the flushed cache too, and gets through.
      await admin.scriptFlush();
      b.registry.sessionRenamed({ sessionId: S1, userId: "bea", name: "Bee" }, ["ops"]);
      assert.deepEqual(await atA.renamed, {
        sessionId: S1,
        name: "Bee",
        rooms: ["ops"],
      });
      assert.deepEqual(await a.registry.remoteMembers("ops"), [{
        sessionId: S1,
        userId: "bea",
        name: "Bee",
      }]);

      // b leaves: its entries are reaped at once and a hears which sessions went, with their rooms.
      await b.close();
      assert.deepEqual(await atA.gone, [{
        sessionId: S1,
        userId: "bea",
        name: "Bee",
        rooms: ["ops"],
      }]);
      assert.equal(await a.registry.remoteCount(), 0);
      assert.deepEqual(await a.registry.remoteRooms(), new Map());
      assert.equal(await a.registry.locate(S1), false);
      assert.deepEqual(await a.registry.userSessions("bea"), []);
      assert.equal(await admin.exists("hub:user:bea"), 0, "the reap took the user's entry too");
      assert.deepEqual(log.problems, []);
    } finally {
      await b.close();
      await a.close();
      await admin.close();
    }
  },
});
