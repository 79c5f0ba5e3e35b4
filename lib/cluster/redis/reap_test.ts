/**
 * What stays in Redis after a node is gone: nothing of its own once it is reaped.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import { SCRIPTS } from "./scripts.ts";
import { nodeMembers, NODES, nodeSeen, nodeSessions, roomKey, ROOMS, SESSIONS } from "./keys.ts";

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
        .hSet(SESSIONS, "s1", "dead")
        .hSet(nodeSessions("dead"), "s1", "Bea")
        .sAdd(nodeMembers("dead"), "ops\ns1")
        .hSet(roomKey("ops"), "s1", "dead\nBea")
        .hSet(ROOMS, "ops", 1)
        .hSet(nodeSeen("dead"), "ops", "3 epoch")
        .exec();
      const gone = await client.hubReap({ node: "dead", claim: true, aliveSince: Date.now() });
      assert.deepEqual(gone, [{ sessionId: "s1", name: "Bea", rooms: ["ops"] }]);
      assert.deepEqual(await client.keys("hub:*"), []);
    } finally {
      await client.close();
    }
  },
});
