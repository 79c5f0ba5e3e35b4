/**
 * A load-generator process that holds many idle connections on raw sockets (`raw_ws.ts`), for the
 * scale workloads: up to about 19,800 per process (the open-file limit here is 20,000), from a
 * source address of its own. Driven like `generator.ts`, one JSON command per line on stdin and
 * one answer per line on stdout; it exits when stdin closes, resetting its sockets.
 *
 * Commands: `connect` (open sockets, each ready once welcomed, and joined to a room if asked),
 * `tally` (sockets open and closed, heartbeats per socket and frames by type since the last mark),
 * `fanout` (the chat messages of one phase its sockets received, with their latency), `close`
 * (reset every socket). Frames are classified by the few bytes after `{"type":"`; only chat
 * frames are decoded.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ConnectResult } from "./generator.ts";
import { lines } from "./lines.ts";
import { PhaseLatencies } from "./phases.ts";
import { type RawHandler, type RawTarget, RawWebSocket } from "./raw_ws.ts";

/** Epoch milliseconds with sub-millisecond precision, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();

export type RawCommand =
  | {
    cmd: "connect";
    host: string;
    port: number;
    path: string;
    count: number;
    localAddress?: string;
    concurrency?: number;
    room?: string;
    timeoutMs?: number;
  }
  | { cmd: "tally"; mark?: boolean }
  | { cmd: "fanout"; phase: string }
  | { cmd: "close" };

export interface Tally {
  open: number;
  closed: number;
  /** Heartbeats per open socket since the last mark. */
  beats: { min: number; max: number; total: number };
  /** Frames by type since the last mark. */
  frames: Record<string, number>;
  /** Why sockets closed, a few of each. */
  errors: string[];
}

/** The byte after `{"type":"` names a frame's type well enough here. */
const TYPES: Record<number, string> = {
  0x77: "welcome",
  0x72: "reply",
  0x68: "heartbeat",
  0x63: "chat",
  0x70: "presence",
};
const TYPE_AT = 9;
const JOIN_ID = 1;

const sockets = new Set<RawWebSocket>();
/** Sockets still connecting, and what completes them. */
const connecting = new Map<RawWebSocket, { room?: string; done: (error?: string) => void }>();
const frames: Record<string, number> = {};
const errors: string[] = [];
let closed = 0;
const phases = new PhaseLatencies();

const TEXT = Buffer.from('"text":"');

/**
 * Records a chat frame's latency from its text, `<phase>|<send time>`, read straight from the
 * bytes: at 40,000 frames a second, decoding and parsing each frame would cost this process more
 * than the server spends sending them.
 */
function chat(data: Buffer, start: number, end: number): void {
  const at0 = data.indexOf(TEXT, start);
  if (at0 < 0 || at0 >= end) return;
  const from = at0 + TEXT.length;
  const to = data.indexOf(0x22, from); // the closing quote; the benchmark's texts have no escapes
  if (to < 0 || to > end) return;
  const text = data.toString("latin1", from, to);
  const bar = text.indexOf("|");
  if (bar < 0) return;
  phases.record(text.slice(0, bar), Number(text.slice(bar + 1)), now());
}

const handler: RawHandler = {
  open() {},
  frame(conn, _opcode, data, start, end) {
    const type = TYPES[data[start + TYPE_AT]] ?? "other";
    frames[type] = (frames[type] ?? 0) + 1;
    if (type === "heartbeat") conn.beats++;
    else if (type === "chat" && data[start + TYPE_AT + 1] === 0x68) chat(data, start, end);
    const waiting = connecting.get(conn);
    if (!waiting) return;
    if (type === "welcome") {
      if (waiting.room === undefined) return waiting.done();
      conn.sendText(
        `{"type":"join","id":${JOIN_ID},"data":{"room":${JSON.stringify(waiting.room)}}}`,
      );
    } else if (type === "reply" && waiting.room !== undefined) {
      const reply = JSON.parse(data.toString("utf8", start, end));
      waiting.done(reply.ok ? undefined : `join: ${reply.error?.code}`);
    }
  },
  closed(conn, error) {
    if (sockets.delete(conn)) closed++;
    if (error && errors.length < 10) errors.push(error);
    connecting.get(conn)?.done(error ?? "closed before ready");
  },
};

async function connect(command: Extract<RawCommand, { cmd: "connect" }>): Promise<ConnectResult> {
  const target: RawTarget = {
    host: command.host,
    port: command.port,
    path: command.path,
    localAddress: command.localAddress,
  };
  const timeoutMs = command.timeoutMs ?? 20_000;
  const failures: string[] = [];
  let opened = 0, failed = 0, started = 0;
  const startMs = now();
  const one = async () => {
    while (started < command.count) {
      started++;
      const conn = new RawWebSocket(target, handler);
      sockets.add(conn);
      const error = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve("not ready in time"), timeoutMs);
        connecting.set(conn, {
          room: command.room,
          done: (why) => {
            clearTimeout(timer);
            resolve(why);
          },
        });
      });
      connecting.delete(conn);
      if (error === undefined) opened++;
      else {
        failed++;
        if (failures.length < 5) failures.push(error);
        conn.reset();
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(command.concurrency ?? 64, command.count) }, one),
  );
  return { opened, failed, total: sockets.size, startMs, endMs: now(), errors: failures };
}

function tally(mark: boolean): Tally {
  let min = Infinity, max = 0, total = 0;
  for (const conn of sockets) {
    min = Math.min(min, conn.beats);
    max = Math.max(max, conn.beats);
    total += conn.beats;
    if (mark) conn.beats = 0;
  }
  const result: Tally = {
    open: sockets.size,
    closed,
    beats: { min: sockets.size === 0 ? 0 : min, max, total },
    frames: { ...frames },
    errors: [...errors],
  };
  if (mark) { for (const type of Object.keys(frames)) delete frames[type]; }
  return result;
}

/** Resets every socket and waits (up to 5 s) for them to be gone. */
async function closeAll(): Promise<{ reset: number }> {
  const reset = sockets.size;
  for (const conn of [...sockets]) conn.reset();
  const deadline = performance.now() + 5000;
  while (sockets.size > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { reset };
}

async function run(command: RawCommand): Promise<unknown> {
  switch (command.cmd) {
    case "connect":
      return await connect(command);
    case "tally":
      return tally(command.mark === true);
    case "fanout":
      return phases.result(command.phase);
    case "close":
      return await closeAll();
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
  await closeAll();
  Deno.exit(0);
}
