/**
 * Idempotency keys over a real `redis-server`: one node's claim is seen by another as pending,
 * then as the stored answer; a released key can be claimed again; keys expire with their TTL; and
 * with Redis gone a node keeps claiming and answering from its own memory, as the seam promises.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import { quietInbox } from "../testing/inbox.ts";
import { silentLogger } from "../../server/log.ts";
import { RedisCluster } from "./mod.ts";

const inbox = quietInbox();

Deno.test({
  name:
    "idempotency keys in Redis: claimed once across nodes, answered, released, expired; memory while Redis is down",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const node = (nodeId: string) =>
      new RedisCluster({ url: redis.url, nodeId, nodeTtlMs: 10_000, log: silentLogger });
    const [a, b] = [node("a"), node("b")];
    try {
      await a.start(inbox);
      await b.start(inbox);
      const ttl = 60_000;
      assert.deepEqual(await a.idempotency.claim("publish:k1", ttl), { kind: "claimed" });
      assert.deepEqual(await b.idempotency.claim("publish:k1", ttl), { kind: "pending" });
      await a.idempotency.settle("publish:k1", '{"answer":1}', ttl);
      assert.deepEqual(await b.idempotency.claim("publish:k1", ttl), {
        kind: "done",
        answer: '{"answer":1}',
      });

      assert.deepEqual(await b.idempotency.claim("publish:k2", ttl), { kind: "claimed" });
      await b.idempotency.release("publish:k2");
      assert.deepEqual(await a.idempotency.claim("publish:k2", ttl), { kind: "claimed" });

      assert.deepEqual(await a.idempotency.claim("publish:short", 50), { kind: "claimed" });
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(await b.idempotency.claim("publish:short", ttl), { kind: "claimed" });

      await redis.stop();
      // The first command after the stop may fail before the connection knows; either way the
      // node answers from memory.
      assert.deepEqual(await a.idempotency.claim("publish:k3", ttl), { kind: "claimed" });
      assert.deepEqual(await a.idempotency.claim("publish:k3", ttl), { kind: "pending" });
      await a.idempotency.settle("publish:k3", '{"answer":3}', ttl);
      assert.deepEqual(await a.idempotency.claim("publish:k3", ttl), {
        kind: "done",
        answer: '{"answer":3}',
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
});
