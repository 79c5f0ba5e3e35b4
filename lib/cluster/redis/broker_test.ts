/**
 * The broker with a stand-in Redis connection, for what it keeps in memory between messages.
 *
 * @module
 */

import assert from "node:assert/strict";
import { silentLogger } from "../../server/log.ts";
import { RedisBroker } from "./broker.ts";
import type { RedisConnection } from "./connection.ts";

/** Just enough of a connection: lookups answer `node`, and every call is counted. */
function fakeRedis(node: string) {
  const calls = { hGet: 0, published: [] as string[] };
  const client = {
    hGet: () => Promise.resolve((calls.hGet++, node)),
    publish: (channel: string) => Promise.resolve((calls.published.push(channel), 1)),
  };
  const redis = {
    down: false,
    client,
    fireAndForget: (reply: Promise<unknown>) => void reply,
    failed: () => {},
  };
  return { redis: redis as unknown as RedisConnection, calls };
}

Deno.test("where sessions moved is remembered for a bounded number of them, oldest forgotten first", async () => {
  const { redis, calls } = fakeRedis("n1");
  const broker = new RedisBroker({ redis, nodeId: "me", log: silentLogger, inboxTtlMs: 1000 });
  const ids = Array.from({ length: 50_000 }, (_, i) => `s${i}`);
  // Every session another node took over, for as long as this node runs.
  for (let i = 0; i < ids.length; i += 1000) broker.moved("n2", ids.slice(i, i + 1000));

  broker.signal({ kind: "dm_away", to: ids[0], from: "x" });
  await Promise.resolve();
  assert.equal(calls.hGet, 1, "the oldest was forgotten, so it is looked up again");
  broker.signal({ kind: "dm_away", to: ids.at(-1)!, from: "x" });
  await Promise.resolve();
  assert.equal(calls.hGet, 1, "the newest is still known");
  assert.equal(calls.published.at(-1), "hub:node:n2");
});
