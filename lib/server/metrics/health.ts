/**
 * Readiness: whether this node should be sent clients. It is not while it shuts down, nor, in a
 * deployment over Redis, while Redis is down or any of its subscriptions is missing: a node that
 * is connected but not subscribed takes clients and silently loses what other nodes send them.
 *
 * @module
 */

import type { Cluster } from "../../cluster/seam.ts";
import type { RedisCluster } from "../../cluster/redis/mod.ts";

/** What readiness reads: the services' shutdown flag and the hub's cluster. */
export interface ReadinessSource {
  readonly closing?: boolean;
  readonly hub: { readonly cluster: Cluster };
}

/** Redis as this node sees it; undefined for the in-memory default. */
export interface RedisHealth {
  /** Both connections (commands and pub/sub) are up. */
  connected: boolean;
  /** Its own channel, the control channel and every local room's channel are subscribed. */
  subscribed: boolean;
}

export function redisHealth(cluster: Cluster): RedisHealth | undefined {
  // A type-only import, so that a node without Redis never loads its client (27 MiB resident).
  if (cluster.kind !== "redis") return undefined;
  const { broker } = cluster as RedisCluster;
  return { connected: !broker.connection.down, subscribed: broker.subscribed };
}

/** Why the node is not ready, in a few words; undefined when it is. */
export function notReady(source: ReadinessSource): string | undefined {
  if (source.closing) return "shutting down";
  const redis = redisHealth(source.hub.cluster);
  if (redis && !redis.connected) return "redis disconnected";
  if (redis && !redis.subscribed) return "redis subscriptions missing";
  return undefined;
}
