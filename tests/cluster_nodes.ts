/**
 * A deployment for end-to-end tests: its own `redis-server` on a random loopback port and hub
 * processes joined by it, stopped together when disposed.
 */

import { Redis, redisMissing } from "./redis_server.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

export interface Cluster extends AsyncDisposable {
  redis: Redis;
  nodes: ServerProcess[];
}

/** Starts Redis and `size` nodes `node-0`... with `env` on top of test-friendly defaults. */
export async function startCluster(
  size: number,
  env: Record<string, string> = {},
  nodeTtlMs = 1500,
): Promise<Cluster> {
  const redis = new Redis();
  await redis.start();
  const nodes = await Promise.all(
    Array.from({ length: size }, (_, i) =>
      spawnServer({
        REDIS_URL: redis.url,
        NODE_ID: `node-${i}`,
        NODE_TTL_MS: String(nodeTtlMs),
        CHAT_RATE: "0",
        LOG_LEVEL: "info",
        ...env,
      })),
  );
  return {
    redis,
    nodes,
    async [Symbol.asyncDispose]() {
      await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
      await redis.stop();
    },
  };
}

/** `/api/stats` `count` of one node. */
export async function statsCount(node: ServerProcess): Promise<number> {
  const response = await fetch(`${node.origin}/api/stats`);
  return (await response.json()).count;
}

/** Registers a test that needs `redis-server` (skipped outside CI when it is missing). */
export const clusterTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: redisMissing, fn });
