/**
 * One load-generator process of `deno task bench`. The harness starts several, so that the client
 * side is not held to one core, and drives each through JSON lines: one command on stdin, one
 * answer on stdout. The process keeps a pool of raw WebSockets between commands and exits when
 * stdin closes, so it never outlives the harness.
 *
 * Commands: `connect` (open sockets, optionally join a room), `rpc` (random requests, by count or
 * for a duration), `publish` (chat to a room at a fixed rate, open loop), `burst` (chat with a
 * fixed window in flight), `fanout` (what this process's sockets received, per phase), `close`;
 * the resume storm's `storm_open`, `storm_arm` and `storm_wait` (`storm_client.ts`); and the
 * scale workloads' `probe`, `probe_start` and `probe_stop`, a fresh client pinging on a schedule
 * (`probe_client.ts`).
 *
 * @module
 */

import { Histogram, type HistogramData } from "../tools/load/histogram.ts";
import { lines } from "./lines.ts";
import { PhaseLatencies } from "./phases.ts";
import { type ProbeCommand, probeCommand } from "./probe_client.ts";
import { type StormCommand, stormCommand } from "./storm_client.ts";
import { type Dialect, type DialectName, DIALECTS, type Incoming } from "./wire.ts";

/** Epoch milliseconds with sub-millisecond precision, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();

export type Command =
  | {
    cmd: "connect";
    url: string;
    dialect: DialectName;
    count: number;
    concurrency?: number;
    room?: string;
    timeoutMs?: number;
    /** Appended to the endpoint's path, e.g. `?token=…` (the API workload's token checks). */
    query?: string;
  }
  | { cmd: "rpc"; inflight: number; count?: number; durationMs?: number; timeoutMs?: number }
  | { cmd: "publish"; room: string; phase: string; rate: number; durationMs: number }
  | { cmd: "burst"; room: string; phase: string; window: number; durationMs: number }
  | { cmd: "fanout"; phase: string }
  | { cmd: "close" }
  | StormCommand
  | ProbeCommand;

export interface ConnectResult {
  opened: number;
  failed: number;
  total: number;
  startMs: number;
  endMs: number;
  errors: string[];
}

export interface RpcResult {
  completed: number;
  wrong: number;
  lost: number;
  startMs: number;
  endMs: number;
  latency: HistogramData;
}

export interface PublishResult {
  sent: number;
  /** Answered ok. */
  acked: number;
  /** Refused with an error reply (`rate_limited` while the room is too far behind). */
  refused?: number;
  startMs: number;
  endMs: number;
  /** How late the open-loop sends were against their schedule, worst case, in ms. */
  maxLagMs: number;
}

export interface FanoutResult {
  received: number;
  firstMs: number;
  lastMs: number;
  latency: HistogramData;
}

type ReplyHandler = (conn: Conn, id: number, data: unknown, error: string | undefined) => void;

class Conn {
  readonly ws: WebSocket;
  readonly ready: Promise<void>;
  nextId = 1;
  /** Request id → send time, in send order. */
  pending = new Map<number, number>();
  onReply: ReplyHandler = () => {};
  onEvent: (name: string, data: unknown) => void = () => {};

  /** `query`: what follows the dialect's path, e.g. `?token=…`. */
  constructor(url: string, readonly dialect: Dialect, query = "") {
    this.ws = new WebSocket(url + dialect.path + query);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.ready = promise;
    this.ws.onmessage = (event: MessageEvent) => {
      const { incoming, respond } = dialect.decode(event.data as string);
      if (respond !== undefined) this.ws.send(respond);
      this.#dispatch(incoming, resolve);
    };
    this.ws.onclose = (event) => reject(new Error(`closed ${event.code} before ready`));
    this.ws.onerror = () => {};
  }

  #dispatch(incoming: Incoming, resolve: () => void): void {
    switch (incoming.kind) {
      case "reply":
        return this.onReply(this, incoming.id, incoming.data, incoming.error);
      case "event":
        return this.onEvent(incoming.name, incoming.data);
      case "ready":
        return resolve();
    }
  }

  send(name: string, data: unknown): number {
    const id = this.nextId++;
    this.pending.set(id, performance.now());
    this.ws.send(this.dialect.request(id, name, data));
    return id;
  }

  /** One request, awaited (setup only: join). */
  call(name: string, data: unknown, timeoutMs = 10_000): Promise<unknown> {
    const previous = this.onReply;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no reply`)), timeoutMs);
      const id = this.send(name, data);
      this.onReply = (conn, replyId, replyData, error) => {
        if (replyId !== id) return previous(conn, replyId, replyData, error);
        conn.pending.delete(id);
        clearTimeout(timer);
        this.onReply = previous;
        if (error) reject(new Error(`${name}: ${error}`));
        else resolve(replyData);
      };
    });
  }
}

const pool: Conn[] = [];
/** Per phase: what the sockets of this process received from the publisher. */
const phases = new PhaseLatencies();

function onChat(_name: string, data: unknown): void {
  const text = (data as { text?: string }).text ?? "";
  const bar = text.indexOf("|");
  phases.record(text.slice(0, bar), Number(text.slice(bar + 1)), now());
}

async function connect(command: Extract<Command, { cmd: "connect" }>): Promise<ConnectResult> {
  const dialect = DIALECTS[command.dialect];
  const concurrency = command.concurrency ?? 100;
  const timeoutMs = command.timeoutMs ?? 15_000;
  const errors: string[] = [];
  let opened = 0, failed = 0, started = 0;
  const startMs = now();
  const one = async () => {
    while (started < command.count) {
      started++;
      const conn = new Conn(command.url, dialect, command.query);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          conn.ready,
          new Promise((_, reject) =>
            timer = setTimeout(() => reject(new Error("not ready in time")), timeoutMs)
          ),
        ]);
        conn.onEvent = onChat;
        if (command.room !== undefined) await conn.call("join", { room: command.room });
        pool.push(conn);
        opened++;
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
        conn.ws.close();
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, command.count) }, one));
  return { opened, failed, total: pool.length, startMs, endMs: now(), errors };
}

function rpc(command: Extract<Command, { cmd: "rpc" }>): Promise<RpcResult> {
  const { inflight } = command;
  const timeoutMs = command.timeoutMs ?? 10_000;
  const hist = new Histogram();
  let completed = 0, wrong = 0;
  let remaining = command.count ?? Infinity;
  const startMs = now();
  const stopAt = command.durationMs === undefined
    ? Infinity
    : performance.now() + command.durationMs;
  let endMs = startMs;
  let active = pool.length;
  const { promise, resolve } = Promise.withResolvers<RpcResult>();
  const texts = new Map<Conn, string>();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(guard);
    let lost = 0;
    for (const conn of pool) {
      lost += conn.pending.size;
      conn.pending.clear();
      conn.onReply = () => {};
    }
    resolve({ completed, wrong, lost, startMs, endMs, latency: hist.toJSON() });
  };
  const next = (conn: Conn) => {
    if (remaining > 0 && performance.now() < stopAt) {
      remaining--;
      conn.send("random", { text: texts.get(conn)! });
    } else if (conn.pending.size === 0 && --active === 0) finish();
  };
  const onReply: ReplyHandler = (conn, id, data, error) => {
    const sentAt = conn.pending.get(id);
    if (sentAt === undefined) return;
    conn.pending.delete(id);
    const t = performance.now();
    hist.recordMs(t - sentAt);
    const reply = data as { text?: string; n?: number } | undefined;
    if (error || reply?.text !== `${texts.get(conn)} ${reply?.n}`) wrong++;
    completed++;
    endMs = now();
    next(conn);
  };
  const guard = setTimeout(finish, (command.durationMs ?? 600_000) + timeoutMs);
  pool.forEach((conn, i) => {
    texts.set(conn, `bench-${i}`);
    conn.onReply = onReply;
  });
  if (pool.length === 0) finish();
  for (const conn of pool) {
    for (let i = 0; i < inflight; i++) {
      if (remaining > 0 && performance.now() < stopAt) {
        remaining--;
        conn.send("random", { text: texts.get(conn)! });
      }
    }
    if (conn.pending.size === 0 && --active === 0) finish();
  }
  return promise;
}

/** Chat to `room` from the first socket; `schedule` decides when each next message goes. */
function chatLoop(
  room: string,
  phase: string,
  durationMs: number,
  mode: { rate: number } | { window: number },
): Promise<PublishResult> {
  const conn = pool[0];
  const { promise, resolve } = Promise.withResolvers<PublishResult>();
  let sent = 0, acked = 0, refused = 0, maxLagMs = 0;
  const startMs = now();
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearTimeout(guard);
    conn.onReply = () => {};
    conn.pending.clear();
    resolve({ sent, acked, refused, startMs, endMs: now(), maxLagMs });
  };
  const sending = () => performance.now() - start < durationMs;
  const publish = () => {
    sent++;
    conn.send("chat", { room, text: `${phase}|${now()}` });
  };
  conn.onReply = (c, id, _data, error) => {
    if (!c.pending.delete(id)) return;
    if (error) refused++;
    else acked++;
    if ("window" in mode && sending()) publish();
    else if (!sending() && c.pending.size === 0) finish();
  };
  // Open loop: message i leaves at start + i / rate, whatever the server does.
  const tick = () => {
    if (!sending()) {
      if (conn.pending.size === 0) finish();
      return;
    }
    const due = start + (sent * 1000) / (mode as { rate: number }).rate;
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    publish();
    const nextDue = start + (sent * 1000) / (mode as { rate: number }).rate;
    timer = setTimeout(tick, Math.max(0, nextDue - performance.now()));
  };
  const guard = setTimeout(finish, durationMs + 30_000);
  if ("rate" in mode) tick();
  else for (let i = 0; i < mode.window; i++) publish();
  return promise;
}

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "connect":
      return await connect(command);
    case "rpc":
      return await rpc(command);
    case "publish":
      return await chatLoop(command.room, command.phase, command.durationMs, {
        rate: command.rate,
      });
    case "burst":
      return await chatLoop(command.room, command.phase, command.durationMs, {
        window: command.window,
      });
    case "fanout":
      return phases.result(command.phase);
    case "close":
      for (const conn of pool) conn.ws.close();
      pool.length = 0;
      return {};
    case "storm_open":
    case "storm_arm":
    case "storm_wait":
      return await stormCommand(command);
    case "probe":
    case "probe_start":
    case "probe_stop":
      return await probeCommand(command);
  }
}

if (import.meta.main) {
  for await (const line of lines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    let answer: unknown;
    try {
      answer = { ok: true, result: await run(JSON.parse(line)) };
    } catch (err) {
      answer = { ok: false, error: (err as Error).stack ?? String(err) };
    }
    console.log(JSON.stringify(answer));
  }
  Deno.exit(0);
}
