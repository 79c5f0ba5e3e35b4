/**
 * A {@link Cluster} over Redis: several hub processes form one deployment. Pub/sub carries
 * traffic (room frames, signals, control messages); hashes hold who is where, written only by the
 * node that owns the entry; a sorted set of node heartbeats tells live nodes from dead ones. A node
 * that stops refreshing its heartbeat is reaped by whichever live node notices first, so a killed
 * node's sessions vanish from everyone's view without that node's help. `docs/scaling.md` lists
 * the keys, channels and the messages each operation costs.
 *
 * Redis being down is never the client's problem: every command here fails fast (no offline
 * queue), failures are logged once per outage, and reads answer for this node alone until Redis
 * is back. On return the node rewrites its whole state, so counts are exact again.
 *
 * The parts, one job each: `connection.ts` (the two connections, health, outages), `broker.ts`
 * (delivery), `registry.ts` (who is where), `streams.ts` (numbered room streams and history),
 * `handover.ts` (sessions moving between nodes), `idempotency.ts` (the server API's keys), `liveness.ts` (heartbeats, reaping, resync),
 * `keys.ts` (names), `scripts.ts` with `scripts/*.lua` (the atomic steps), `control.ts` (the
 * control channel's messages).
 *
 * @module
 */

import type { Cluster, ClusterInbox } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import { RedisConnection } from "./connection.ts";
import { RedisBroker } from "./broker.ts";
import { RedisRegistry } from "./registry.ts";
import { Liveness } from "./liveness.ts";
import { RedisStreams } from "./streams.ts";
import { RedisHandover } from "./handover.ts";
import { RedisIdempotency } from "./idempotency.ts";
import { MemoryStreams } from "../memory_streams.ts";
import { HISTORY_DEFAULTS } from "../local.ts";

export interface RedisClusterOptions {
  url: string;
  password?: string;
  nodeId: string;
  /** A node silent for longer than this is gone; see `liveness.ts` for the timing. */
  nodeTtlMs: number;
  log: Logger;
  /** Messages kept per room for `history` (`HISTORY_SIZE`). */
  historySize?: number;
  /** How long a room's history outlives its last message (`HISTORY_TTL_MS`). */
  historyTtlMs?: number;
  /**
   * How long an away session waits to be resumed (`RESUME_TTL_MS`). With it on, the sessions of
   * a node that stops or dies are adopted by another node rather than gone.
   */
  resumeTtlMs?: number;
}

/** How long a start waits for Redis before serving local clients alone. */
const START_WAIT_MS = 3000;

export class RedisCluster implements Cluster {
  readonly nodeId: string;
  readonly kind = "redis";
  readonly broker: RedisBroker;
  readonly registry: RedisRegistry;
  readonly streams: RedisStreams;
  readonly handover: RedisHandover;
  readonly idempotency: RedisIdempotency;
  readonly #fallback: MemoryStreams;
  readonly #log: Logger;
  readonly #redis: RedisConnection;
  readonly #liveness: Liveness;
  #closing = false;

  constructor(options: RedisClusterOptions) {
    const { nodeId, nodeTtlMs, log } = options;
    this.nodeId = nodeId;
    this.#log = log;
    const redis = new RedisConnection(options);
    this.#redis = redis;
    this.idempotency = new RedisIdempotency(redis);
    const resumeTtlMs = options.resumeTtlMs ?? 0;
    // Signals that reached no node wait as long as their session may wait to be resumed.
    const inboxTtlMs = Math.max(resumeTtlMs, 1000);
    this.broker = new RedisBroker({
      redis,
      nodeId,
      log,
      inboxTtlMs,
      keepSignals: resumeTtlMs > 0,
      position: (room) => this.streams.position(room),
    });
    this.handover = new RedisHandover({
      redis,
      broker: this.broker,
      nodeId,
      log,
      resumeTtlMs,
      aliveSince: () => this.#liveness.aliveSince(),
      reap: (node, claim) => this.#liveness.reap(node, claim),
    });
    this.#liveness = new Liveness({
      redis,
      broker: this.broker,
      nodeId,
      nodeTtlMs,
      log,
      adopt: resumeTtlMs > 0 ? (orphans) => this.handover.adoptOrphans(orphans) : undefined,
      evacuated: () => this.handover.evacuated,
      stopping: () => this.handover.stopping,
    });
    this.broker.onLeaving = (node) => {
      this.#liveness.reap(node, false).catch(redis.failed);
    };
    this.registry = new RedisRegistry({
      redis,
      broker: this.broker,
      nodeId,
      aliveSince: this.#liveness.aliveSince,
      resumable: resumeTtlMs > 0,
    });
    const history = {
      historySize: options.historySize ?? HISTORY_DEFAULTS.historySize,
      historyTtlMs: options.historyTtlMs ?? HISTORY_DEFAULTS.historyTtlMs,
    };
    this.#fallback = new MemoryStreams(history);
    this.streams = new RedisStreams({
      redis,
      fallback: this.#fallback,
      refused: (what, where, error) => this.broker.refused(what, where, error),
      ...history,
    });
  }

  /**
   * Connects and joins the deployment. When Redis cannot be reached, the node starts anyway after
   * {@link START_WAIT_MS}, serving its own clients, and joins as soon as Redis answers.
   */
  async start(inbox: ClusterInbox): Promise<void> {
    this.broker.attach(inbox);
    this.handover.attach(inbox);
    this.#fallback.attach((room, frame) => inbox.room(room, frame));
    this.#liveness.attach(inbox);
    const joining = (async () => {
      await this.#redis.connect(() => void this.#liveness.resync());
      await this.broker.listen();
      await this.#liveness.resync();
      this.#log.info("joined cluster", { node: this.nodeId });
    })();
    joining.catch(this.#redis.failed);
    this.#liveness.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      joining.catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, START_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#redis.markClosed();
    this.#liveness.stop();
    await this.#redis.close(() => this.#liveness.leave());
  }
}
