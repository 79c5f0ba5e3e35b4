/**
 * `Registry.admit`, the place a connection holds under `USER_CONNECTION_LIMIT` until its session
 * counts: the same steps and the same answers with the in-memory cluster and with Redis, on one
 * node and across two. Admissions that race get no more places than the limit leaves; a place
 * goes back when released; away sessions and the session a resume takes over do not count; in
 * Redis, a place its node never gave back (it died) lapses.
 */

import assert from "node:assert/strict";
import { Redis, redisMissing } from "../../tests/redis_server.ts";
import { eventually } from "../../tests/helpers.ts";
import { silentLogger } from "../server/log.ts";
import { LocalCluster } from "./local.ts";
import { RedisCluster } from "./redis/mod.ts";
import type { Admission, Cluster } from "./seam.ts";
import { quietInbox } from "./testing/inbox.ts";
import { createClient } from "redis";
import { SCRIPTS } from "./redis/scripts.ts";
import { admitKey } from "./redis/keys.ts";

const S1 = "01JAAAAAAAAAAAAAAAAAAAAAA1";

/** Admits `count` connections of `userId` at once, alternating between `nodes`. */
async function race(nodes: Cluster[], userId: string, limit: number, count: number) {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) => nodes[i % nodes.length].registry.admit(userId, limit)),
  );
  return answers.filter((a): a is Admission => a !== null);
}

/** The steps, with `nodes` one cluster or two of one deployment. */
async function admissionSteps(nodes: Cluster[]) {
  const [a, b] = [nodes[0], nodes.at(-1)!];
  // Nobody connected: of six at once, three get a place under a limit of three.
  const places = await race(nodes, "ada", 3, 6);
  assert.equal(places.length, 3);
  assert.equal(await b.registry.admit("ada", 3), null);
  // Another user has places of her own.
  const bea = await a.registry.admit("bea", 1);
  assert.ok(bea);
  // A place released, twice even, makes room for one more, and only one.
  places[0].release();
  places[0].release();
  const again = await race(nodes, "ada", 3, 4);
  assert.equal(again.length, 1);
  for (const place of [...places, ...again, bea]) place.release();

  // A session counts once it is registered: with it, one place is left under a limit of two.
  await a.registry.sessionOpened({ sessionId: S1, userId: "ada", name: "Ada" }, Date.now());
  const beside = await race(nodes, "ada", 2, 4);
  assert.equal(beside.length, 1);
  beside[0].release();
  // The connection that resumes it takes it over rather than adding to it.
  assert.equal(await b.registry.admit("ada", 1), null);
  const resuming = await b.registry.admit("ada", 1, S1);
  assert.ok(resuming);
  resuming.release();
  // Away, it waits for its own client and counts for nobody.
  a.registry.sessionAway(S1);
  await eventually(async () => {
    const place = await b.registry.admit("ada", 1);
    assert.ok(place, "an away session still counted");
    place.release();
  });
  a.registry.sessionClosed(S1);
}

Deno.test("admissions in memory: racing connections get no more places than the limit", async () => {
  const cluster = new LocalCluster();
  await cluster.start(quietInbox());
  await admissionSteps([cluster]);
});

Deno.test({
  name: "admissions over Redis, one node: the same steps, the same answers",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const node = new RedisCluster({
      url: redis.url,
      nodeId: "a",
      nodeTtlMs: 10_000,
      log: silentLogger,
    });
    try {
      await node.start(quietInbox());
      await admissionSteps([node]);
    } finally {
      await node.close();
    }
  },
});

Deno.test({
  name: "admissions over Redis, two nodes: the same steps, admissions racing on both",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const node = (nodeId: string) =>
      new RedisCluster({ url: redis.url, nodeId, nodeTtlMs: 10_000, log: silentLogger });
    const nodes = [node("a"), node("b")];
    try {
      for (const n of nodes) await n.start(quietInbox());
      await admissionSteps(nodes);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  },
});

Deno.test({
  name: "admissions over Redis: a place its node never gave back lapses, and takes its key along",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const node = new RedisCluster({
      url: redis.url,
      nodeId: "a",
      nodeTtlMs: 10_000,
      log: silentLogger,
    });
    // A node that holds a place and dies before giving it back, with a short hold.
    const dying = createClient({ url: redis.url, scripts: SCRIPTS });
    try {
      await node.start(quietInbox());
      await dying.connect();
      const place = { userId: "ada", limit: 1, id: "dead-node-place", ttlMs: 200 };
      assert.equal(await dying.hubAdmit(0, place), true);
      assert.equal(await dying.hubAdmit(0, { ...place, id: "second" }), false);
      await dying.close();
      assert.equal(await node.registry.admit("ada", 1), null);
      await eventually(async () => {
        const admitted = await node.registry.admit("ada", 1);
        assert.ok(admitted, "the dead node's place still held");
        admitted.release();
      });
      // Given back, the last place leaves no key behind; a lapsed one was removed on the way.
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await eventually(async () => assert.equal(await admin.exists(admitKey("ada")), 0));
      await admin.close();
    } finally {
      await node.close();
    }
  },
});
