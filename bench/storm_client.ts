/**
 * The resume storm's client side, inside a generator process (`generator.ts` passes it the
 * `storm_*` commands): sessions opened on one node, each joined to a room and keeping the resume
 * token of its `welcome`; then, once armed with another node's address, every socket that closes
 * reconnects to that node at once with `/ws?resume=<token>`, as a client told 1012 would, and
 * records when it closed and when the second `welcome` came and whether it was the same session.
 * Raw WebSockets and the hub's JSON frames, so the client costs what the rest of the generator
 * costs.
 *
 * @module
 */

import type { StormRecord } from "./storm_summary.ts";

/** Epoch milliseconds with sub-millisecond precision, comparable between processes. */
const now = () => performance.timeOrigin + performance.now();

export type StormCommand =
  | {
    cmd: "storm_open";
    /** `ws://host:port` of the node to open the sessions on. */
    url: string;
    count: number;
    room: string;
    concurrency?: number;
    timeoutMs?: number;
  }
  /** From now on a close reconnects to `url` (another node) with the session's token. */
  | { cmd: "storm_arm"; url: string }
  /** Resolves once every session has an outcome, or after `timeoutMs`. */
  | { cmd: "storm_wait"; timeoutMs: number };

export interface StormOpenResult {
  opened: number;
  failed: number;
  errors: string[];
}

export interface StormWaitResult {
  records: StormRecord[];
}

interface Session {
  sessionId: string;
  token: string;
  first: WebSocket;
  second?: WebSocket;
  record: StormRecord;
  done: boolean;
}

const sessions: Session[] = [];
let resumeTo: string | undefined;
let finished = 0;
let onFinished: (() => void) | undefined;

function finish(session: Session, outcome: StormRecord["outcome"], detail?: string): void {
  if (session.done) return;
  session.done = true;
  session.record.outcome = outcome;
  if (detail !== undefined) session.record.detail = detail;
  finished++;
  if (finished === sessions.length) onFinished?.();
}

/** The `data` of the frame if it is a `welcome`. */
function welcomeOf(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== "string" || !text.startsWith(`{"type":"welcome"`)) return undefined;
  return JSON.parse(text).data;
}

/** The second connection, to the other node, carrying the session's token. */
function resume(session: Session, base: string): void {
  const ws = new WebSocket(`${base}/ws?resume=${encodeURIComponent(session.token)}`);
  session.second = ws;
  ws.onmessage = (event) => {
    const welcome = welcomeOf(event.data);
    if (!welcome) return;
    session.record.welcomeAt = now();
    // Replayed events and heartbeats that follow are of no interest here.
    ws.onmessage = null;
    if (welcome.resumed === true && welcome.sessionId === session.sessionId) {
      finish(session, "resumed");
    } else {
      finish(
        session,
        "new",
        welcome.resumed === true ? "resumed another session" : "welcome with resumed false",
      );
    }
  };
  ws.onclose = (event) => finish(session, "failed", `resume closed ${event.code} before welcome`);
  ws.onerror = () => {};
}

/** One session on `url`: its welcome, then `join` of `room`. */
function openOne(url: string, room: string, timeoutMs: number): Promise<Session> {
  const ws = new WebSocket(`${url}/ws`);
  const { promise, resolve, reject } = Promise.withResolvers<Session>();
  const timer = setTimeout(() => {
    reject(new Error("not joined in time"));
    ws.close();
  }, timeoutMs);
  let session: Session | undefined;
  ws.onmessage = (event) => {
    if (!session) {
      const welcome = welcomeOf(event.data);
      if (!welcome) return;
      session = {
        sessionId: String(welcome.sessionId),
        token: String(welcome.resumeToken),
        first: ws,
        record: { code: 0, closeAt: 0, welcomeAt: 0, outcome: "open" },
        done: false,
      };
      if (session.token === "") {
        reject(new Error("welcome has no resume token: resume is off (RESUME_TTL_MS=0?)"));
        ws.close();
        return;
      }
      ws.send(JSON.stringify({ type: "join", id: 1, data: { room } }));
      return;
    }
    const text = event.data as string;
    if (!text.startsWith(`{"type":"reply"`)) return;
    const reply = JSON.parse(text);
    if (reply.id !== 1) return;
    clearTimeout(timer);
    // Presence and heartbeats from now on are of no interest.
    ws.onmessage = null;
    if (reply.ok) resolve(session);
    else reject(new Error(`join: ${reply.error?.code ?? "error"}`));
  };
  ws.onclose = (event) => {
    clearTimeout(timer);
    if (!session || ws.onmessage !== null) {
      reject(new Error(`closed ${event.code} before joined`));
      return;
    }
    const s = session;
    if (s.done || s.record.closeAt !== 0) return;
    s.record.code = event.code;
    s.record.closeAt = now();
    if (resumeTo === undefined) finish(s, "failed", `closed ${event.code} before the storm`);
    else resume(s, resumeTo);
  };
  ws.onerror = () => {};
  return promise;
}

async function open(
  command: Extract<StormCommand, { cmd: "storm_open" }>,
): Promise<StormOpenResult> {
  const errors: string[] = [];
  let opened = 0, failed = 0, started = 0;
  const one = async () => {
    while (started < command.count) {
      started++;
      try {
        sessions.push(await openOne(command.url, command.room, command.timeoutMs ?? 15_000));
        opened++;
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }
  };
  const concurrency = Math.min(command.concurrency ?? 50, command.count);
  await Promise.all(Array.from({ length: concurrency }, one));
  return { opened, failed, errors };
}

function wait(timeoutMs: number): Promise<StormWaitResult> {
  const { promise, resolve } = Promise.withResolvers<void>();
  onFinished = resolve;
  if (finished === sessions.length) resolve();
  const timer = setTimeout(resolve, timeoutMs);
  return promise.then(() => {
    clearTimeout(timer);
    onFinished = undefined;
    for (const s of sessions) {
      if (s.done) continue;
      if (s.record.closeAt === 0) finish(s, "open", "first connection still open at the end");
      else finish(s, "failed", `no welcome within ${timeoutMs} ms`);
    }
    return { records: sessions.map((s) => s.record) };
  });
}

/** Runs one `storm_*` command. */
export async function stormCommand(command: StormCommand): Promise<unknown> {
  switch (command.cmd) {
    case "storm_open":
      return await open(command);
    case "storm_arm":
      resumeTo = command.url;
      return { armed: sessions.length };
    case "storm_wait":
      return await wait(command.timeoutMs);
  }
}
