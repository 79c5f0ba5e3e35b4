/**
 * What one server process holds for its routes: configuration, logger, hub and open sockets.
 * A middleware puts it on `ctx.state`, so routes never reach for module-level singletons and tests
 * can run several servers side by side in one process.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { ConnectionContext } from "../edge/connection.ts";
import type { Cluster } from "../cluster/seam.ts";
import { LocalCluster } from "../cluster/local.ts";
import { Hub } from "../hub/hub.ts";
import { createLogger, type Logger } from "./log.ts";
import { CLOSE_CODES } from "../protocol/mod.ts";
import { EdgeCounts } from "./metrics/counts.ts";
import { MetricsExporter } from "./metrics/exporter.ts";
import { type ConnectionCount, createConnectionCount } from "../edge/capacity.ts";
import { ApiCounts } from "./api/counts.ts";
import { type Bus, LocalBus } from "../edge/socketio/bus.ts";
import { createVerifier } from "../auth/verify.ts";

export interface Services extends ConnectionContext {
  /** `/metrics`: reads the edge's counts, the hub and the cluster when asked. */
  exporter: MetricsExporter;
  /** WebSocket connections held, against `MAX_CONNECTIONS` or the limit derived in its place. */
  connections: ConnectionCount;
  /** The server API's calls, for `/metrics`. */
  api: ApiCounts;
  /**
   * Makes the Socket.IO edge's bus (`lib/edge/socketio/bus.ts`): over Redis in a deployment, a
   * no-op otherwise. Chosen here, where the Redis client is loaded only when it is needed.
   */
  socketIoBus(): Bus;
  /**
   * Run first when the server stops, before the hub leaves: an edge whose sessions cannot be
   * resumed (`lib/edge/socketio/`) ends them, so they are not handed to another node.
   */
  readonly stopping: Set<(code: number) => void>;
  /**
   * Closes every socket with `code` (1001 by default; 1012 tells clients to reconnect at once and
   * resume elsewhere), stops the hub's timers and leaves the cluster.
   */
  close(code?: number): Promise<void>;
}

/**
 * This node's name when `NODE_ID` is unset: the host name when the process may read it (it helps
 * whoever reads the logs or Redis keys), else `node`; then the pid and a random part, so that two
 * processes on one host, or a restarted one, never share a name. The permission is asked about,
 * not tried: `deno task start` has no `--allow-sys`, and trying would throw, or prompt on a TTY.
 */
function madeUpNodeId(): string {
  const sys = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted";
  const host = sys ? Deno.hostname() : "node";
  return `${host}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/**
 * Builds the hub and its companions for `config`; the heartbeat starts at once. With `redisUrl`
 * set the hub is one node of a Redis-joined deployment; call `hub.start()` before serving.
 *
 * The Redis cluster is imported only then: its client holds about 27 MiB resident once loaded,
 * which the in-memory default has no use for.
 */
export async function createServices(
  config: Config,
  log: Logger = createLogger(config.logLevel, { format: config.logFormat }),
): Promise<Services> {
  const cluster: Cluster = config.redisUrl
    ? new (await import("../cluster/redis/mod.ts")).RedisCluster({
      url: config.redisUrl,
      password: config.redisPassword || undefined,
      nodeId: config.nodeId || madeUpNodeId(),
      nodeTtlMs: config.nodeTtlMs,
      log,
      historySize: config.historySize,
      historyTtlMs: config.historyTtlMs,
      resumeTtlMs: config.resumeTtlMs,
    })
    : new LocalCluster({ historySize: config.historySize, historyTtlMs: config.historyTtlMs });
  const hub = new Hub({
    heartbeatMs: config.heartbeatMs,
    dmRequestTtlMs: config.dmRequestTtlMs,
    presenceLimit: config.presenceLimit,
    resumeTtlMs: config.resumeTtlMs,
    resumeBuffer: config.resumeBuffer,
    cluster,
  });
  hub.startHeartbeat();
  let socketIoBus = (): Bus => new LocalBus();
  if (config.redisUrl) {
    const { RedisBus } = await import("../edge/socketio/bus_redis.ts");
    socketIoBus = () => {
      const bus = new RedisBus({
        url: config.redisUrl,
        password: config.redisPassword || undefined,
        nodeId: hub.cluster.nodeId,
        log,
      });
      bus.start();
      return bus;
    };
  }
  const sockets = new Set<WebSocket>();
  const counts = new EdgeCounts();
  const api = new ApiCounts();
  const exporter = new MetricsExporter({ hub, sockets, counts, api });
  const stopping = new Set<(code: number) => void>();
  let closing = false;
  return {
    config,
    log,
    hub,
    verifier: createVerifier(config),
    metrics: { messagesIn: 0, messagesOut: 0, counts },
    exporter,
    sockets,
    connections: createConnectionCount(config.maxConnections, log),
    api,
    socketIoBus,
    stopping,
    get closing() {
      return closing;
    },
    close(code = CLOSE_CODES.goingAway) {
      closing = true;
      for (const stop of stopping) stop(code);
      exporter.stop();
      // The hub goes first, so that closing sockets does not announce each departure one by one:
      // the cluster announces the whole node's departure at once.
      const leaving = hub.close();
      for (const socket of sockets) {
        try {
          socket.close(code, "Server shutting down");
        } catch {
          // Already closing: nothing left to tell this client.
        }
      }
      sockets.clear();
      return leaving;
    },
  };
}
