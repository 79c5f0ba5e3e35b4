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
 * @module
 */

import { createClient } from "redis";
import type { Broker, Cluster, ClusterInbox, GoneSession, Registry, Signal } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import type { Member } from "../../protocol/mod.ts";

export interface RedisClusterOptions {
  url: string;
  password?: string;
  nodeId: string;
  /** A node silent for longer than this is gone; see {@link RedisCluster} for the timing. */
  nodeTtlMs: number;
  log: Logger;
}

type Client = ReturnType<typeof createClient>;

const PREFIX = "hub:";
const NODES = `${PREFIX}nodes`;
const SESSIONS = `${PREFIX}sessions`;
const ROOMS = `${PREFIX}rooms`;
const CONTROL = `${PREFIX}ctl`;
const nodeSessions = (node: string) => `${PREFIX}node:${node}:sessions`;
const nodeMembers = (node: string) => `${PREFIX}node:${node}:members`;
const roomKey = (room: string) => `${PREFIX}room:${room}`;
const ROOM_CHANNEL_PREFIX = `${PREFIX}room:`;
const roomChannel = (room: string) => `${ROOM_CHANNEL_PREFIX}${room}`;
const nodeChannel = (node: string) => `${PREFIX}node:${node}`;

/** Control messages every node hears. */
type Control =
  | { kind: "renamed"; node: string; sessionId: string; name: string; rooms: string[] }
  | { kind: "gone"; node: string; sessions: GoneSession[] };

// Scripts take "now - deadAfter" as the oldest heartbeat that still counts as alive.

/** KEYS: nodes. ARGV: self, alive-since. Sum of sessions on other live nodes. */
const COUNT_SCRIPT = `
local total = 0
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do
  if node ~= ARGV[1] then
    total = total + redis.call('HLEN', '${PREFIX}node:' .. node .. ':sessions')
  end
end
return total`;

/** KEYS: nodes, room. ARGV: self, alive-since. Flat [id, name, ...] of other live nodes' members. */
const MEMBERS_SCRIPT = `
local live = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do live[node] = true end
local out = {}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local cut = string.find(value, '\\n', 1, true)
  local node = string.sub(value, 1, cut - 1)
  if node ~= ARGV[1] and live[node] then
    out[#out + 1] = entries[i]
    out[#out + 1] = string.sub(value, cut + 1)
  end
end
return out`;

/** KEYS: sessions, nodes. ARGV: session, self, alive-since. Whether it is on another live node. */
const LOCATE_SCRIPT = `
local node = redis.call('HGET', KEYS[1], ARGV[1])
if not node or node == ARGV[2] then return 0 end
local seen = redis.call('ZSCORE', KEYS[2], node)
if seen and tonumber(seen) >= tonumber(ARGV[3]) then return 1 end
return 0`;

/** KEYS: room. ARGV: session, value. Renames a listed member; never adds one. */
const RENAME_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`;

/** KEYS: room, rooms, members-of-node. ARGV: session, node, name, room. */
const JOIN_SCRIPT = `
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\\n' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
redis.call('SADD', KEYS[3], ARGV[4] .. '\\n' .. ARGV[1])
return 1`;

/** KEYS: room, rooms, members-of-node. ARGV: session, room. */
const LEAVE_SCRIPT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
end
redis.call('SREM', KEYS[3], ARGV[2] .. '\\n' .. ARGV[1])
return 1`;

/**
 * KEYS: nodes, sessions, rooms. ARGV: node, claim (1: only if it is still listed with a heartbeat
 * older than ARGV[3], as the reaper of a dead node does, so a node that refreshed in the meantime
 * is spared; 0: unconditionally, as a node wiping its own entries does), alive-since.
 * Removes everything the node owns and returns it as a flat list of
 * [id, name, room-count, room...] per session.
 */
const REAP_SCRIPT = `
local node = ARGV[1]
if ARGV[2] == '1' then
  local seen = redis.call('ZSCORE', KEYS[1], node)
  if not seen or tonumber(seen) >= tonumber(ARGV[3]) then return {} end
end
redis.call('ZREM', KEYS[1], node)
local sessionsKey = '${PREFIX}node:' .. node .. ':sessions'
local membersKey = '${PREFIX}node:' .. node .. ':members'
local names = redis.call('HGETALL', sessionsKey)
local rooms = {}
for _, entry in ipairs(redis.call('SMEMBERS', membersKey)) do
  local cut = string.find(entry, '\\n', 1, true)
  local room = string.sub(entry, 1, cut - 1)
  local id = string.sub(entry, cut + 1)
  if redis.call('HDEL', '${PREFIX}room:' .. room, id) == 1 then
    if redis.call('HINCRBY', KEYS[3], room, -1) <= 0 then redis.call('HDEL', KEYS[3], room) end
  end
  rooms[id] = rooms[id] or {}
  table.insert(rooms[id], room)
end
local out = {}
for i = 1, #names, 2 do
  local id = names[i]
  redis.call('HDEL', KEYS[2], id)
  local list = rooms[id] or {}
  out[#out + 1] = id
  out[#out + 1] = names[i + 1]
  out[#out + 1] = tostring(#list)
  for _, room in ipairs(list) do out[#out + 1] = room end
end
redis.call('DEL', sessionsKey, membersKey)
return out`;

function parseGone(flat: string[]): GoneSession[] {
  const sessions: GoneSession[] = [];
  for (let i = 0; i < flat.length;) {
    const sessionId = flat[i++];
    const name = flat[i++];
    const count = Number(flat[i++]);
    sessions.push({ sessionId, name, rooms: flat.slice(i, i + count) });
    i += count;
  }
  return sessions;
}

/** How long a start waits for Redis before serving local clients alone. */
const START_WAIT_MS = 3000;
/** How long a clean stop may spend telling the deployment. */
const CLOSE_WAIT_MS = 1000;

/** Rejects when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error("timed out")), ms)),
  ]).finally(() => clearTimeout(timer));
}

/** The longest a caller waits on a write, e.g. a `welcome` held until the session is counted. */
const WRITE_WAIT_MS = 1000;

/** How many session-to-node answers to remember; sessions never move, so entries never go stale. */
const LOCATION_CACHE = 10_000;

/**
 * Timing, with `nodeTtlMs` = T: each node refreshes its heartbeat every T/5; a node whose
 * heartbeat is older than 3T/5 counts as gone in every read, and the reaper, which runs every T/5
 * on every node, removes it. So a killed node disappears from every view within T.
 */
export class RedisCluster implements Cluster, Broker, Registry {
  readonly nodeId: string;
  readonly broker: Broker = this;
  readonly registry: Registry = this;
  readonly #options: RedisClusterOptions;
  readonly #client: Client;
  readonly #subscriber: Client;
  readonly #deadAfterMs: number;
  readonly #localRooms = new Map<string, number>();
  /** Room channels this node is subscribed to; may lag #localRooms while Redis is down. */
  readonly #subscribed = new Set<string>();
  readonly #locations = new Map<string, string>();
  #inbox: ClusterInbox | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Each connection's state; the cluster is up only when both are ready. */
  readonly #ready = { client: false, subscriber: false };
  #outageLogged = false;
  #started = false;
  #closed = false;

  constructor(options: RedisClusterOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#deadAfterMs = Math.round(options.nodeTtlMs * 3 / 5);
    this.#client = createClient({
      url: options.url,
      password: options.password,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries: number) =>
          Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
      },
    });
    this.#subscriber = this.#client.duplicate();
    for (
      const [name, client] of [["client", this.#client], ["subscriber", this.#subscriber]] as const
    ) {
      client.on("ready", () => this.#health(name, true));
      // Errors also come from listeners and single commands on a healthy connection, so only
      // the connection's own events decide whether it is up.
      client.on("error", (err: Error) => this.#outage(err));
      client.on("reconnecting", () => this.#health(name, false));
      client.on("end", () => this.#health(name, false));
    }
  }

  get #down(): boolean {
    return !(this.#ready.client && this.#ready.subscriber);
  }

  /** Tracks both connections; when both are back after an outage, rewrites this node's state. */
  #health(name: "client" | "subscriber", ready: boolean): void {
    const wasDown = this.#down;
    this.#ready[name] = ready;
    if (!wasDown || this.#down || !this.#started || this.#closed) return;
    if (this.#outageLogged) {
      this.#options.log.info("redis back; resynchronizing", { node: this.nodeId });
      this.#outageLogged = false;
    }
    void this.#resync();
  }

  /**
   * Connects and joins the deployment. When Redis cannot be reached, the node starts anyway after
   * {@link START_WAIT_MS}, serving its own clients, and joins as soon as Redis answers.
   */
  async start(inbox: ClusterInbox): Promise<void> {
    this.#inbox = inbox;
    this.#started = true;
    const joining = (async () => {
      await Promise.all([this.#client.connect(), this.#subscriber.connect()]);
      await this.#subscriber.subscribe(nodeChannel(this.nodeId), this.#onSignal);
      await this.#subscriber.subscribe(CONTROL, this.#onControl);
      await this.#resync();
      this.#options.log.info("joined cluster", { node: this.nodeId });
    })();
    joining.catch((err: Error) => this.#outage(err));
    const tick = Math.max(50, Math.round(this.#options.nodeTtlMs / 5));
    this.#timer = setInterval(() => void this.#tick(), tick);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      joining.catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, START_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  /** Messages from other nodes are input like any other: a bad one is logged and dropped. */
  #guard(what: string, handle: (message: string, channel: string) => void) {
    return (message: string, channel: string) => {
      try {
        handle(message, channel);
      } catch (err) {
        this.#options.log.warn("dropped a malformed cluster message", {
          channel,
          what,
          error: err as Error,
        });
      }
    };
  }

  readonly #onSignal = this.#guard("signal", (message) => {
    const signal = JSON.parse(message) as Signal;
    if (typeof signal?.to !== "string" || typeof signal.from !== "string") {
      throw new Error("a signal needs string to and from");
    }
    this.#inbox!.signal(signal);
  });

  readonly #onControl = this.#guard("control", (message) => this.#control(message));

  /** One listener for every room channel, so no channel can end up with two of them. */
  readonly #onRoom = this.#guard("room frame", (message, channel) => {
    const room = channel.slice(ROOM_CHANNEL_PREFIX.length);
    const cut = message.indexOf("\n");
    if (cut < 0) throw new Error("a room frame needs a node id line");
    // Frames this node published were delivered locally already; a room with no local member
    // left may still be subscribed after an outage.
    if (message.slice(0, cut) === this.nodeId || !this.#localRooms.has(room)) return;
    this.#inbox!.room(room, message.slice(cut + 1));
  });

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const clients = [this.#client, this.#subscriber];
    if (!this.#down) {
      try {
        // Leaving at once, rather than waiting to be reaped: peers hear of it now.
        await withTimeout(this.#reap(this.nodeId, false), CLOSE_WAIT_MS);
        await withTimeout(Promise.allSettled(clients.map((c) => c.close())), CLOSE_WAIT_MS);
      } catch {
        // Redis went away meanwhile: the other nodes will reap this one when they can.
      }
    }
    // Whatever is still queued (e.g. an unsubscribe from an outage) must not keep us running.
    for (const client of clients) {
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // Already gone.
      }
    }
  }

  sessionOpened(sessionId: string, name: string): Promise<void> {
    return this.#write(() =>
      this.#client.multi()
        .hSet(SESSIONS, sessionId, this.nodeId)
        .hSet(nodeSessions(this.nodeId), sessionId, name)
        .exec()
    );
  }

  sessionRenamed(sessionId: string, name: string, rooms: string[]): void {
    this.#write(() => {
      const multi = this.#client.multi().hSet(nodeSessions(this.nodeId), sessionId, name);
      for (const room of rooms) {
        // Only where the membership is listed: a bare HSET would list it without counting it.
        multi.eval(RENAME_SCRIPT, {
          keys: [roomKey(room)],
          arguments: [sessionId, `${this.nodeId}\n${name}`],
        });
      }
      const control: Control = { kind: "renamed", node: this.nodeId, sessionId, name, rooms };
      return multi.publish(CONTROL, JSON.stringify(control)).exec();
    });
  }

  sessionClosed(sessionId: string): void {
    this.#write(() =>
      this.#client.multi()
        .hDel(SESSIONS, sessionId)
        .hDel(nodeSessions(this.nodeId), sessionId)
        .exec()
    );
  }

  async joined(room: string, sessionId: string, name: string): Promise<void> {
    const written = this.#write(() => this.#joinScript(room, sessionId, name));
    this.#localRooms.set(room, (this.#localRooms.get(room) ?? 0) + 1);
    await Promise.all([written, this.#subscribe(room)]);
  }

  left(room: string, sessionId: string): Promise<void> {
    const written = this.#write(() =>
      this.#client.eval(LEAVE_SCRIPT, {
        keys: [roomKey(room), ROOMS, nodeMembers(this.nodeId)],
        arguments: [sessionId, room],
      })
    );
    const count = (this.#localRooms.get(room) ?? 1) - 1;
    if (count > 0) {
      this.#localRooms.set(room, count);
      return written;
    }
    this.#localRooms.delete(room);
    if (this.#subscribed.delete(room)) {
      this.#subscriber.unsubscribe(roomChannel(room)).catch((err: Error) => this.#outage(err));
    }
    return written;
  }

  /** Subscribes to a room's channel once, however many local members it has. */
  async #subscribe(room: string): Promise<void> {
    if (this.#subscribed.has(room) || this.#down) return;
    this.#subscribed.add(room);
    try {
      await this.#subscriber.subscribe(roomChannel(room), this.#onRoom);
    } catch (err) {
      // Not subscribed after all; the resync after the outage tries again.
      this.#subscribed.delete(room);
      this.#outage(err as Error);
    }
  }

  publish(room: string, frame: string): void {
    this.#write(() => this.#client.publish(roomChannel(room), `${this.nodeId}\n${frame}`));
  }

  signal(signal: Signal): void {
    this.#write(async () => {
      const node = await this.#nodeOf(signal.to);
      if (node && node !== this.nodeId) {
        await this.#client.publish(nodeChannel(node), JSON.stringify(signal));
      }
    });
  }

  remoteCount(): Promise<number> {
    return this.#read(0, async () =>
      Number(
        await this.#client.eval(COUNT_SCRIPT, {
          keys: [NODES],
          arguments: [this.nodeId, String(this.#aliveSince())],
        }),
      ));
  }

  remoteMembers(room: string): Promise<Member[]> {
    return this.#read([], async () => {
      const flat = await this.#client.eval(MEMBERS_SCRIPT, {
        keys: [NODES, roomKey(room)],
        arguments: [this.nodeId, String(this.#aliveSince())],
      }) as string[];
      const members: Member[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        members.push({ sessionId: flat[i], name: flat[i + 1] });
      }
      return members;
    });
  }

  remoteRooms(): Promise<Map<string, number>> {
    return this.#read(new Map(), async () => {
      const all = await this.#client.hGetAll(ROOMS) as Record<string, string>;
      const sizes = new Map<string, number>();
      for (const [room, size] of Object.entries(all)) {
        const remote = Number(size) - (this.#localRooms.get(room) ?? 0);
        if (remote > 0) sizes.set(room, remote);
      }
      return sizes;
    });
  }

  locate(sessionId: string): Promise<boolean> {
    // Not from the location cache: a session that closed is still cached.
    return this.#read(false, async () =>
      await this.#client.eval(LOCATE_SCRIPT, {
        keys: [SESSIONS, NODES],
        arguments: [sessionId, this.nodeId, String(this.#aliveSince())],
      }) === 1);
  }

  #aliveSince(): number {
    return Date.now() - this.#deadAfterMs;
  }

  async #nodeOf(sessionId: string): Promise<string | null> {
    const cached = this.#locations.get(sessionId);
    if (cached) return cached;
    const node = await this.#client.hGet(SESSIONS, sessionId) as string | null;
    if (node) {
      if (this.#locations.size >= LOCATION_CACHE) {
        this.#locations.delete(this.#locations.keys().next().value!);
      }
      this.#locations.set(sessionId, node);
    }
    return node;
  }

  #joinScript(room: string, sessionId: string, name: string) {
    return this.#client.eval(JOIN_SCRIPT, {
      keys: [roomKey(room), ROOMS, nodeMembers(this.nodeId)],
      arguments: [sessionId, this.nodeId, name, room],
    });
  }

  #control(message: string): void {
    const control = JSON.parse(message) as Control;
    if (control.kind === "gone") {
      if (!Array.isArray(control.sessions)) throw new Error("gone needs a sessions list");
      for (const gone of control.sessions) this.#locations.delete(gone.sessionId);
      if (control.node !== this.nodeId) this.#inbox!.gone(control.sessions);
    } else if (control.kind === "renamed") {
      if (!Array.isArray(control.rooms) || typeof control.name !== "string") {
        throw new Error("renamed needs a name and a rooms list");
      }
      if (control.node !== this.nodeId) {
        this.#inbox!.renamed(control.sessionId, control.name, control.rooms);
      }
    } else {
      throw new Error(`unknown control kind`);
    }
  }

  /** Heartbeat, and reaping of nodes whose heartbeat stopped. */
  async #tick(): Promise<void> {
    // The heartbeat needs only the command connection: a node that can still write stays alive.
    if (!this.#ready.client || this.#closed) return;
    try {
      const added = await this.#client.zAdd(NODES, { score: Date.now(), value: this.nodeId });
      // Listed anew: this node was reaped (a long pause) or Redis lost its data.
      if (added === 1) {
        await this.#client.zRem(NODES, this.nodeId);
        await this.#resync();
      }
      const dead = await this.#client.zRangeByScore(NODES, "-inf", this.#aliveSince() - 1);
      for (const node of dead) if (node !== this.nodeId) await this.#reap(node, true);
    } catch (err) {
      this.#outage(err as Error);
    }
  }

  /** Removes a node's entries and tells every node which sessions went with it. */
  async #reap(node: string, claim: boolean): Promise<void> {
    const flat = await this.#client.eval(REAP_SCRIPT, {
      keys: [NODES, SESSIONS, ROOMS],
      arguments: [node, claim ? "1" : "0", String(this.#aliveSince())],
    }) as string[];
    const sessions = parseGone(flat);
    if (claim) this.#options.log.warn("reaped silent node", { node, sessions: sessions.length });
    if (sessions.length === 0 && claim) return;
    const control: Control = { kind: "gone", node, sessions };
    await this.#client.publish(CONTROL, JSON.stringify(control));
  }

  /** Rewrites this node's whole state, after an outage or after being reaped. */
  async #resync(): Promise<void> {
    try {
      // Missing from the node list: reaped, or Redis lost its data. Either way other nodes may
      // have been told this node's sessions are gone.
      const reaped = await this.#client.zScore(NODES, this.nodeId) === null;
      // Rooms first joined while Redis was down have no subscription yet. Subscribing comes
      // before this node is listed again, so whoever sees it counted can also reach its members.
      await Promise.all([...this.#localRooms.keys()].map((room) => this.#subscribe(room)));
      // Entries from before the outage may be stale; start from nothing, without telling anyone.
      await this.#client.eval(REAP_SCRIPT, {
        keys: [NODES, SESSIONS, ROOMS],
        arguments: [this.nodeId, "0", "0"],
      });
      const multi = this.#client.multi();
      multi.zAdd(NODES, { score: Date.now(), value: this.nodeId });
      for (const session of this.#inbox!.snapshot()) {
        multi.hSet(SESSIONS, session.sessionId, this.nodeId);
        multi.hSet(nodeSessions(this.nodeId), session.sessionId, session.name);
      }
      await multi.exec();
      await Promise.all(
        this.#inbox!.snapshot().flatMap((s) =>
          s.rooms.map((room) => this.#joinScript(room, s.sessionId, s.name))
        ),
      );
      this.#inbox!.resynced(reaped);
    } catch (err) {
      this.#outage(err as Error);
    }
  }

  /** Logs the first failure of an outage; the rest of it is quiet. */
  #outage(err: Error): void {
    if (this.#closed || this.#outageLogged) return;
    this.#outageLogged = true;
    this.#options.log.warn("redis unavailable; serving local clients only", {
      node: this.nodeId,
      error: err,
    });
  }

  /**
   * Runs a write; while Redis is down the write is dropped and the resync makes up for it. The
   * promise resolves when the write is done, failed, or has taken {@link WRITE_WAIT_MS}, so a
   * caller that waits on it is never held up by Redis for long.
   */
  #write(command: () => Promise<unknown>): Promise<void> {
    if (this.#down) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, WRITE_WAIT_MS);
    command().catch((err: Error) => this.#outage(err)).finally(() => {
      clearTimeout(timer);
      resolve();
    });
    return promise;
  }

  /** Runs a read; while Redis is down it answers `fallback`. */
  async #read<T>(fallback: T, query: () => Promise<T>): Promise<T> {
    if (this.#down) return fallback;
    try {
      return await query();
    } catch (err) {
      this.#outage(err as Error);
      return fallback;
    }
  }
}
