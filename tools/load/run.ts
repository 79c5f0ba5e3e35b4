/**
 * The load client's engine: opens `connections` raw WebSockets to a hub, sends `messages` `random`
 * requests with at most `inflight` unanswered per connection, and checks every reply. It keeps
 * one byte of state per request and a latency histogram, so memory does not grow with the
 * length of a run beyond that. `tools/load.ts` is the command line around it.
 *
 * ```ts ignore
 * const report = await runLoad({ url: "ws://127.0.0.1:8000/ws", messages: 10_000 });
 * console.log(report.passed, report.msgsPerSec, report.latencyMs.p99);
 * ```
 *
 * @module
 */

import { checkRandomReply, loadText, randomFrame, type ReplyLike } from "./check.ts";
import { Histogram } from "./histogram.ts";

export interface LoadOptions {
  /** `ws://host:port/ws` of the hub. */
  url: string;
  /** Requests to send in all. Default 10,000. */
  messages?: number;
  /** Sockets to spread them over. Default 1. */
  connections?: number;
  /** Unanswered requests allowed per connection. Default 1. */
  inflight?: number;
  /** `Origin` header for the upgrade (servers refuse foreign origins). */
  origin?: string;
  /** A reply later than this (or a connection slower to open) counts as missing. Default 10,000. */
  timeoutMs?: number;
  /** Called about every `progressMs` while requests are being sent, and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** Default 250. */
  progressMs?: number;
  /** Stops the run early; what was not answered counts as missing. */
  signal?: AbortSignal;
}

/** Counts so far. */
export interface Progress {
  messages: number;
  sent: number;
  received: number;
  failed: number;
  missing: number;
  elapsedMs: number;
}

/** Latency figures in milliseconds. */
export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Most ids and problems a report lists; the counts are always complete. */
export const LIST_LIMIT = 100;

export interface LoadReport {
  url: string;
  messages: number;
  connections: number;
  inflight: number;
  timeoutMs: number;
  /** Requests written to a socket. */
  sent: number;
  /** Replies to our requests that came in time, right or wrong. */
  received: number;
  /** Replies that were right: `received - ok` of them were wrong. */
  ok: number;
  /** Wrong replies (error replies, wrong text or `n`) plus replies to ids never sent. */
  failed: number;
  /** Second and later replies to the same request. */
  duplicated: number;
  /** Replies that came before the reply to an earlier request on the same connection. */
  outOfOrder: number;
  /** Requests with no reply within `timeoutMs` (including those whose socket closed). */
  missing: number;
  /** Of the missing, those whose reply came after all, too late. */
  late: number;
  /** Requests never sent because their connection failed or the run was aborted. */
  unsent: number;
  /** From the first request to the last reply, with every connection already open. */
  elapsedMs: number;
  /** Right replies per second. */
  msgsPerSec: number;
  latencyMs: LatencySummary;
  /** Ids of missing requests, in the order they were found missing (at most {@link LIST_LIMIT}). */
  missingIds: number[];
  /** What was wrong, one line per problem (at most {@link LIST_LIMIT}). */
  problems: string[];
  /** True when every request got exactly one right reply in time. */
  passed: boolean;
}

/** Where each request stands, one byte per request id. */
const State = { Unsent: 0, Pending: 1, Answered: 2, Missing: 3, Late: 4 } as const;

interface Conn {
  index: number;
  ws: WebSocket;
  /** Requests this connection still has to send. */
  quota: number;
  /** Unanswered request id → send time; insertion order is send order. */
  pending: Map<number, number>;
  /** Highest id answered on this connection, to notice replies out of order. */
  lastAnswered: number;
  finished: boolean;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  return value;
}

const ms = (micros: number) => Math.round(micros) / 1000;

/**
 * Runs the load and resolves with the report; it never rejects for anything the server does.
 *
 * @throws {RangeError} for option values that cannot be used.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const messages = positive("messages", options.messages ?? 10_000);
  const connections = positive("connections", options.connections ?? 1);
  const inflight = positive("inflight", options.inflight ?? 1);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  const url = options.url;

  const states = new Uint8Array(messages + 1);
  const histogram = new Histogram();
  const missingIds: number[] = [];
  const problems: string[] = [];
  const counts = {
    sent: 0,
    received: 0,
    ok: 0,
    failed: 0,
    duplicated: 0,
    outOfOrder: 0,
    missing: 0,
    late: 0,
    unsent: 0,
  };
  const problem = (line: string) => {
    if (problems.length < LIST_LIMIT) problems.push(line);
  };
  let nextId = 1;
  let startedAt = 0;
  let lastReplyAt = 0;
  let open = 0;
  let finished = 0;
  const { promise: allFinished, resolve: finishAll } = Promise.withResolvers<void>();
  const { promise: allOpen, resolve: openAll } = Promise.withResolvers<void>();
  let sending = false;

  const markMissing = (id: number, why: string) => {
    states[id] = State.Missing;
    counts.missing++;
    if (missingIds.length < LIST_LIMIT) missingIds.push(id);
    problem(`id ${id}: ${why}`);
  };

  const finish = (conn: Conn) => {
    if (conn.finished) return;
    conn.finished = true;
    if (++finished === connections) finishAll();
  };

  const fill = (conn: Conn) => {
    if (!sending || conn.finished) return;
    while (conn.pending.size < inflight && conn.quota > 0) {
      const id = nextId++;
      conn.quota--;
      states[id] = State.Pending;
      conn.pending.set(id, performance.now());
      conn.ws.send(randomFrame(id));
      counts.sent++;
    }
    if (conn.quota === 0 && conn.pending.size === 0) finish(conn);
  };

  /** The connection can send nothing more: its unanswered requests are missing. */
  const abandon = (conn: Conn, why: string) => {
    if (conn.finished) return;
    for (const id of conn.pending.keys()) markMissing(id, why);
    conn.pending.clear();
    counts.unsent += conn.quota;
    conn.quota = 0;
    finish(conn);
  };

  const onReply = (conn: Conn, reply: ReplyLike) => {
    const id = reply.id;
    if (typeof id !== "number" || !(id >= 1 && id <= messages) || !Number.isInteger(id)) {
      counts.failed++;
      problem(`reply to an id never sent: ${JSON.stringify(id)}`);
      return;
    }
    const state = states[id];
    if (state === State.Pending && conn.pending.has(id)) {
      const now = performance.now();
      histogram.recordMs(now - conn.pending.get(id)!);
      conn.pending.delete(id);
      states[id] = State.Answered;
      counts.received++;
      lastReplyAt = now;
      const wrong = checkRandomReply(loadText(id), reply);
      if (wrong === null) counts.ok++;
      else {
        counts.failed++;
        problem(`id ${id}: ${wrong}`);
      }
      if (id < conn.lastAnswered) counts.outOfOrder++;
      else conn.lastAnswered = id;
      fill(conn);
    } else if (state === State.Missing) {
      states[id] = State.Late;
      counts.late++;
      problem(`id ${id}: reply came after the ${timeoutMs} ms timeout`);
    } else if (state === State.Answered || state === State.Late) {
      counts.duplicated++;
      problem(`id ${id}: duplicate reply`);
    } else {
      counts.failed++;
      problem(`reply to id ${id}, which this connection did not send`);
    }
  };

  const per = Math.floor(messages / connections);
  const extra = messages % connections;
  const conns: Conn[] = [];
  for (let index = 0; index < connections; index++) {
    const ws = options.origin === undefined
      ? new WebSocket(url)
      // Deno's WebSocket takes handshake headers in its second argument; the DOM types do not.
      : new WebSocket(url, { headers: { origin: options.origin } } as unknown as string[]);
    const conn: Conn = {
      index,
      ws,
      quota: per + (index < extra ? 1 : 0),
      pending: new Map(),
      lastAnswered: 0,
      finished: false,
    };
    conns.push(conn);
    if (conn.quota === 0) finish(conn);
    let opened = false;
    ws.onopen = () => {
      opened = true;
      if (++open === connections) openAll();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") {
        counts.failed++;
        problem(`connection ${index}: binary frame`);
        return;
      }
      // Only replies matter; events (welcome, heartbeat, presence) are skipped unparsed.
      if (!event.data.startsWith(`{"type":"reply"`)) {
        let frame: ReplyLike;
        try {
          frame = JSON.parse(event.data);
        } catch {
          counts.failed++;
          problem(`connection ${index}: frame is not JSON: ${event.data.slice(0, 80)}`);
          return;
        }
        if (frame.type !== "reply") return;
        return onReply(conn, frame);
      }
      onReply(conn, JSON.parse(event.data));
    };
    ws.onclose = (event: CloseEvent) => {
      const why = opened
        ? `connection ${index} closed (${event.code} ${event.reason})`.trim()
        : `connection ${index} could not open`;
      if (!conn.finished) problem(why);
      if (!opened && ++open === connections) openAll();
      abandon(conn, why);
    };
  }

  const connectTimer = setTimeout(openAll, timeoutMs);
  const aborted = () => {
    for (const conn of conns) abandon(conn, "run aborted");
    openAll();
  };
  options.signal?.addEventListener("abort", aborted, { once: true });
  if (options.signal?.aborted) aborted();
  await allOpen;
  clearTimeout(connectTimer);
  for (const conn of conns) {
    if (conn.ws.readyState !== WebSocket.OPEN) {
      abandon(conn, `connection ${conn.index} timed out opening`);
    }
  }

  startedAt = performance.now();
  sending = true;
  const progress = (): Progress => ({
    messages,
    sent: counts.sent,
    received: counts.received,
    failed: counts.failed,
    missing: counts.missing,
    elapsedMs: performance.now() - startedAt,
  });
  for (const conn of conns) fill(conn);

  // Requests are sent in order per connection, so the oldest unanswered one is first in `pending`.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const conn of conns) {
      if (conn.finished) continue;
      for (const [id, sentAt] of conn.pending) {
        if (now - sentAt <= timeoutMs) break;
        conn.pending.delete(id);
        markMissing(id, `no reply within ${timeoutMs} ms`);
      }
      fill(conn);
    }
  }, Math.max(5, Math.min(100, timeoutMs / 4)));
  const progressTimer = options.onProgress
    ? setInterval(() => options.onProgress!(progress()), options.progressMs ?? 250)
    : undefined;

  await allFinished;
  clearInterval(sweep);
  clearInterval(progressTimer);
  options.signal?.removeEventListener("abort", aborted);
  const endedAt = lastReplyAt > startedAt ? lastReplyAt : performance.now();
  options.onProgress?.(progress());

  await Promise.all(conns.map((conn) => closeSocket(conn.ws)));

  const elapsedMs = Math.max(endedAt - startedAt, 0.001);
  const passed = counts.sent === messages && counts.ok === messages && counts.failed === 0 &&
    counts.duplicated === 0 && counts.missing === 0;
  return {
    url,
    messages,
    connections,
    inflight,
    timeoutMs,
    ...counts,
    elapsedMs: Math.round(elapsedMs * 1000) / 1000,
    msgsPerSec: Math.round(counts.ok / (elapsedMs / 1000)),
    latencyMs: {
      min: ms(histogram.min),
      mean: ms(histogram.mean),
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    },
    missingIds,
    problems,
    passed,
  };
}

/** Closes a socket and waits (briefly) for the close handshake, so no socket outlives a run. */
function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = setTimeout(resolve, 1000);
  ws.addEventListener("close", () => {
    clearTimeout(timer);
    resolve();
  });
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
  return promise;
}
