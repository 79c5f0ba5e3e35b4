/**
 * The edge with a stand-in socket and a clock stepped by hand, for timing rules that a real socket
 * cannot be steered through: the flood and slow-consumer graces, what each request is charged, and
 * what happens to a dropped session.
 */

import assert from "node:assert/strict";
import { DEFAULTS } from "../server/config.ts";
import {
  attachSocket,
  CLOSE_LINGER_MS,
  CLOSE_QUIET_MS,
  FLOOD_GRACE_MS,
  MAX_WAITING,
  SLOW_GRACE_MS,
  SLOW_HARD_FACTOR,
} from "./connection.ts";
import type { Clock, TimerId } from "./clock.ts";
import { Hub } from "../hub/hub.ts";
import { Deployment } from "../hub/testing/deployment.ts";
import { silentLogger } from "../server/log.ts";
import { CLOSE_CODES, type RequestData, type RequestType } from "../protocol/mod.ts";
import { REQUESTS } from "../protocol/requests.ts";

/** Just enough of a server-side WebSocket: handlers, a settable `bufferedAmount`, a close log. */
class FakeSocket {
  readyState: number = WebSocket.CONNECTING;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  open() {
    this.readyState = WebSocket.OPEN;
    this.onopen?.();
  }
  receive(data: unknown) {
    this.onmessage?.({ data });
  }
  send(frame: string) {
    this.sent.push(frame);
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = WebSocket.CLOSING;
  }
  /** The last frame sent, parsed. */
  last() {
    return JSON.parse(this.sent.at(-1)!);
  }
}

/** A clock that moves only when told to, running each timer as its time is passed. */
class ManualClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers = new Map<TimerId, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }
  clearTimeout(id: TimerId | undefined): void {
    if (id !== undefined) this.#timers.delete(id);
  }
  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }
  /** Moves time on by `ms`, running due timers in order, each at its own time. */
  advance(ms: number): void {
    const until = this.#now + ms;
    while (true) {
      let due: [TimerId, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = until;
  }
}

function setup(overrides: { maxBufferedBytes?: number; rateLimit?: number; chatRate?: number }) {
  const hub = new Hub({ heartbeatMs: 1000, dmRequestTtlMs: 1000 });
  const config = { ...DEFAULTS, chatRate: 0, ...overrides };
  const sockets = new Set<WebSocket>();
  const clock = new ManualClock();
  const attach = () => {
    const socket = new FakeSocket();
    const context = {
      hub,
      config,
      log: silentLogger,
      sockets,
      metrics: { messagesIn: 0, messagesOut: 0 },
    };
    attachSocket(socket as unknown as WebSocket, context, { clock });
    socket.open();
    return socket;
  };
  return { hub, sockets, clock, attach };
}

/**
 * A chat frame. The default text is long enough that one delivery alone passes the edge's upper
 * bound on unread bytes, so the edge reads `bufferedAmount` on it whatever was sent before.
 */
const chat = (id: number, text = "hi ".repeat(200)) =>
  JSON.stringify({ type: "chat", id, data: { room: "lobby", text } });

Deno.test("a queue over the limit for the whole grace drops the client with 4008", () => {
  const { hub, sockets, clock, attach } = setup({ maxBufferedBytes: 1000 });
  const slow = attach();
  const other = attach();
  slow.bufferedAmount = 5000; // over 1000, under the hard factor
  other.receive(chat(1));
  clock.advance(SLOW_GRACE_MS - 1);
  assert.equal(slow.closedWith, undefined, "no verdict before the grace");
  assert.equal(hub.count, 2);
  clock.advance(1);
  assert.equal(slow.closedWith, CLOSE_CODES.slowConsumer);
  assert.equal(hub.count, 1, "the session ends at once, not when the close completes");
  assert.equal(sockets.size, 1);
  assert.equal(other.closedWith, undefined);
});

Deno.test("a queue that drains within the grace is forgiven, and can be timed again", () => {
  const { hub, clock, attach } = setup({ maxBufferedBytes: 1000 });
  const bursty = attach();
  const other = attach();
  bursty.bufferedAmount = 5000;
  other.receive(chat(1));
  bursty.bufferedAmount = 0;
  clock.advance(SLOW_GRACE_MS);
  assert.equal(bursty.closedWith, undefined);
  assert.equal(hub.count, 2);
  assert.equal(clock.pending, 0);
  // A later backlog starts a grace of its own.
  bursty.bufferedAmount = 5000;
  other.receive(chat(2));
  assert.equal(clock.pending, 1);
  clock.advance(SLOW_GRACE_MS);
  assert.equal(bursty.closedWith, CLOSE_CODES.slowConsumer);
});

Deno.test("a queue past the hard factor is dropped at once, and its grace timer cleared", () => {
  const { hub, clock, attach } = setup({ maxBufferedBytes: 1000 });
  const slow = attach();
  const other = attach();
  slow.bufferedAmount = 5000;
  other.receive(chat(1));
  assert.equal(clock.pending, 1, "the grace started");
  slow.bufferedAmount = 1000 * SLOW_HARD_FACTOR + 1;
  other.receive(chat(2));
  assert.equal(slow.closedWith, CLOSE_CODES.slowConsumer);
  assert.equal(hub.count, 1);
  assert.equal(clock.pending, 0, "a dropped client leaves no timer behind");
  // Nothing more is sent to a dropped client.
  const before = slow.sent.length;
  other.receive(chat(3, "again ".repeat(100)));
  assert.equal(slow.sent.length, before);
});

Deno.test("a flood is refused until the grace runs out, then ends its session and closes with 1008", () => {
  // A burst of 4 at 2 frames a second: with a frame every 100 ms, four in five are refused.
  const { hub, clock, attach } = setup({ rateLimit: 2 });
  const flooder = attach();
  const bystander = attach();
  let id = 0;
  const ping = () => flooder.receive(JSON.stringify({ type: "ping", id: id++ }));
  for (let i = 0; i < 4; i++) ping();
  assert.equal(flooder.last().ok, true, "the burst passes");
  const start = clock.now();
  ping();
  assert.equal(flooder.last().error.code, "rate_limited");
  assert.equal(flooder.last().id, id - 1, "the refusal carries the request id");
  while (hub.count === 2 && clock.now() - start < FLOOD_GRACE_MS * 2) {
    clock.advance(100);
    ping();
  }
  // Decided by the first refusal once the grace is over: the frame at 5000 ms took a token.
  assert.equal(clock.now() - start, FLOOD_GRACE_MS + 100);
  assert.equal(hub.count, 1, "the session ends with the verdict");
  // The close frame waits for the flooder to go quiet (see the tests below).
  assert.equal(flooder.closedWith, undefined);
  clock.advance(CLOSE_QUIET_MS);
  assert.equal(flooder.closedWith, CLOSE_CODES.policyViolation);
  // The bystander's own bucket is untouched.
  bystander.receive(JSON.stringify({ type: "ping", id: 1 }));
  assert.equal(bystander.last().ok, true);
});

/** A client flooded past its grace at 2 frames a second: the verdict is in, the close pending. */
function convicted() {
  const context = setup({ rateLimit: 2 });
  const flooder = context.attach();
  let id = 0;
  const ping = () => flooder.receive(JSON.stringify({ type: "ping", id: id++ }));
  ping();
  while (context.hub.count === 1) {
    context.clock.advance(100);
    ping();
  }
  return { ...context, flooder, ping };
}

Deno.test("bad input: frames after a flood verdict are ignored, and the 1008 close waits until the client is quiet", () => {
  // The client's unread input must not be queued when the server drops the TCP connection, or
  // the kernel answers it with a reset and the close frame is lost.
  const { clock, flooder, ping } = convicted();
  const sent = flooder.sent.length;
  for (let t = 0; t < CLOSE_LINGER_MS - CLOSE_QUIET_MS; t += CLOSE_QUIET_MS / 2) {
    ping();
    clock.advance(CLOSE_QUIET_MS / 2);
  }
  assert.equal(flooder.sent.length, sent, "no reply after the verdict");
  assert.equal(flooder.closedWith, undefined, "still sending: no close yet");
  clock.advance(CLOSE_QUIET_MS);
  assert.equal(flooder.closedWith, CLOSE_CODES.policyViolation);
  assert.equal(clock.pending, 0);
});

Deno.test("bad input: a client that never stops flooding is closed CLOSE_LINGER_MS after the verdict", () => {
  const { clock, flooder, ping } = convicted();
  const verdict = clock.now();
  while (flooder.closedWith === undefined && clock.now() - verdict < CLOSE_LINGER_MS * 2) {
    ping();
    clock.advance(10);
  }
  assert.equal(flooder.closedWith, CLOSE_CODES.policyViolation);
  assert.ok(clock.now() - verdict <= CLOSE_LINGER_MS + CLOSE_QUIET_MS, "closed too late");
  assert.ok(clock.now() - verdict >= CLOSE_LINGER_MS, "closed before the linger ran out");
});

Deno.test("a client that closes while its 1008 waits leaves no timer behind", () => {
  const { clock, flooder, sockets } = convicted();
  assert.equal(clock.pending, 1);
  flooder.readyState = WebSocket.CLOSED;
  flooder.onclose?.({ code: 1006 });
  assert.equal(clock.pending, 0);
  assert.equal(sockets.size, 0);
  clock.advance(CLOSE_LINGER_MS);
  assert.equal(flooder.closedWith, undefined);
});

Deno.test("a flood that pauses for a second is forgiven", () => {
  const { clock, attach } = setup({ rateLimit: 2 });
  const bursty = attach();
  let id = 0;
  // Refused for most of the grace, then quiet for over a second, then refused again.
  for (let t = 0; t < FLOOD_GRACE_MS - 100; t += 100) {
    bursty.receive(JSON.stringify({ type: "ping", id: id++ }));
    clock.advance(100);
  }
  clock.advance(1001);
  for (let i = 0; i < 10; i++) bursty.receive(JSON.stringify({ type: "ping", id: id++ }));
  assert.equal(bursty.last().error.code, "rate_limited");
  assert.equal(bursty.closedWith, undefined);
});

/** Valid data for every request type, so each can be sent through the edge. */
const SAMPLES: { [T in RequestType]: RequestData<T> } = {
  server_time: {},
  client_time: {},
  num_clients: {},
  ping: {},
  rooms: {},
  history: { room: "lobby" },
  watch_rooms: {},
  unwatch_rooms: {},
  random: { text: "x" },
  set_name: { name: "x" },
  join: { room: "lobby" },
  leave: { room: "elsewhere" },
  chat: { room: "lobby", text: "x" },
  dm_request: { to: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
  dm_accept: { from: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
  dm_decline: { from: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
  dm: { to: "01ARZ3NDEKTSV4RRFFQ69G5FAV", text: "x" },
  dm_close: { with: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
  refresh: { token: "x" },
};

Deno.test("every request that notifies others (and refresh, a signature check) is charged to CHAT_RATE, and no other", () => {
  const notify = Object.entries(REQUESTS).filter(([, spec]) => spec.cost === "notify");
  assert.deepEqual(
    notify.map(([type]) => type).sort(),
    ["chat", "dm", "dm_request", "join", "leave", "refresh", "set_name"],
  );
  for (const type of Object.keys(SAMPLES) as RequestType[]) {
    // A burst of 2 at 1 a second: the third frame at the same instant finds the bucket empty.
    const { attach } = setup({ chatRate: 1 });
    const socket = attach();
    for (let id = 1; id <= 3; id++) {
      socket.receive(JSON.stringify({ type, id, data: SAMPLES[type] }));
    }
    const third = socket.sent.map((f) => JSON.parse(f)).find((f) => f.id === 3);
    if (REQUESTS[type].cost === "notify") {
      assert.equal(third?.error?.code, "rate_limited", type);
      assert.equal(third.error.message, `Over 1 ${type} frames per second`);
    } else {
      // A refusal by rate would have been sent at once, before any handler's promise settles.
      assert.notEqual(third?.error?.code, "rate_limited", type);
    }
  }
});

Deno.test("frames after a drop are ignored; close after a drop is harmless", () => {
  const { hub, clock, attach } = setup({});
  const socket = attach();
  // Bad input: a 70,000-byte frame against the default 65,536 limit.
  socket.receive(JSON.stringify({ type: "random", id: 1, data: { text: "x".repeat(70_000) } }));
  assert.equal(hub.count, 0);
  clock.advance(CLOSE_QUIET_MS);
  assert.equal(socket.closedWith, CLOSE_CODES.tooBig);
  const sent = socket.sent.length;
  socket.receive(JSON.stringify({ type: "ping", id: 2 }));
  assert.equal(socket.sent.length, sent);
  socket.onclose?.({ code: 1006 });
  assert.equal(hub.count, 0);
});

Deno.test("an unexpected error inside the hub becomes an internal reply, not a crash", () => {
  const { hub, attach } = setup({});
  const socket = attach();
  hub.handle = () => {
    throw new Error("boom");
  };
  socket.receive(JSON.stringify({ type: "ping", id: 9 }));
  const reply = socket.last();
  assert.deepEqual(reply.error.code, "internal");
  assert.equal(reply.id, 9);
  assert.equal(socket.closedWith, undefined);
});

/** Lets every callback queued behind a claim's promises run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a socket that closes while its resume is claimed from another node leaves the session resumable with the same token, replay whole", async () => {
  const net = new Deployment();
  const n0 = await net.node();
  const n1 = await net.node();
  const sent: string[] = [];
  const a = n0.hub.connect((frame) => sent.push(frame));
  const b = n0.hub.connect(() => {});
  const token = JSON.parse(sent[0]).data.resumeToken;
  n0.hub.detach(a.id, a.link!, false);
  await n0.hub.handle(b.id, { type: "chat", id: 1, data: { room: "lobby", text: "missed" } });
  const context = {
    hub: n1.hub,
    config: DEFAULTS,
    log: silentLogger,
    sockets: new Set<WebSocket>(),
    metrics: { messagesIn: 0, messagesOut: 0 },
  };
  const attach = () => {
    const socket = new FakeSocket();
    attachSocket(socket as unknown as WebSocket, context, { resumeToken: token });
    socket.open();
    return socket;
  };

  n1.cluster.claiming.close();
  const first = attach();
  first.readyState = WebSocket.CLOSED;
  first.onclose?.({ code: 1006 });
  n1.cluster.claiming.open();
  await settle();
  assert.deepEqual(first.sent, [], "nothing goes to a socket that is gone");

  const again = attach();
  await settle();
  const frames = again.sent.map((f) => JSON.parse(f));
  assert.equal(frames[0]?.type, "welcome");
  assert.equal(frames[0].data.sessionId, a.id);
  assert.equal(frames[0].data.resumed, true);
  assert.deepEqual(frames.slice(1).map((f) => f.data.text), ["missed"]);
});

Deno.test("a socket that closes while its resume is claimed: with 1000 the session ends; with a token that resumes nothing no session stays behind", async () => {
  const net = new Deployment();
  const n0 = await net.node();
  const n1 = await net.node();
  const sent: string[] = [];
  const a = n0.hub.connect((frame) => sent.push(frame));
  const token = JSON.parse(sent[0]).data.resumeToken as string;
  n0.hub.detach(a.id, a.link!, false);
  const context = {
    hub: n1.hub,
    config: DEFAULTS,
    log: silentLogger,
    sockets: new Set<WebSocket>(),
    metrics: { messagesIn: 0, messagesOut: 0 },
  };
  const closedDuringClaim = async (resumeToken: string, code: number) => {
    n1.cluster.claiming.close();
    const socket = new FakeSocket();
    attachSocket(socket as unknown as WebSocket, context, { resumeToken });
    socket.open();
    socket.readyState = WebSocket.CLOSED;
    socket.onclose?.({ code });
    n1.cluster.claiming.open();
    await settle();
  };

  await closedDuringClaim(`${a.id}.forged`, 1006);
  assert.deepEqual(n1.hub.roomNames(), [], "no session waits for a client that never had it");
  await closedDuringClaim(token, CLOSE_CODES.normal);
  assert.equal(n0.hub.session(a.id) ?? n1.hub.session(a.id), undefined);
  assert.deepEqual(n1.hub.roomNames(), []);
});

Deno.test("bad input: frames past MAX_WAITING while a resume is claimed get rate_limited with their id; the rest run after welcome", async () => {
  const net = new Deployment();
  const n0 = await net.node();
  const n1 = await net.node();
  const sent: string[] = [];
  const a = n0.hub.connect((frame) => sent.push(frame));
  const token = JSON.parse(sent[0]).data.resumeToken;
  n0.hub.detach(a.id, a.link!, false);
  const context = {
    hub: n1.hub,
    config: DEFAULTS,
    log: silentLogger,
    sockets: new Set<WebSocket>(),
    metrics: { messagesIn: 0, messagesOut: 0 },
  };
  n1.cluster.claiming.close();
  const socket = new FakeSocket();
  attachSocket(socket as unknown as WebSocket, context, { resumeToken: token });
  socket.open();
  // Pipelined behind the resume: ten more frames than wait, the last one with no id.
  const total = MAX_WAITING + 10;
  for (let id = 1; id < total; id++) socket.receive(JSON.stringify({ type: "ping", id }));
  socket.receive(JSON.stringify({ type: "ping" }));
  const early = socket.sent.map((f) => JSON.parse(f));
  assert.deepEqual(
    early.map((f) => [f.id, f.error?.code]),
    [...Array.from({ length: 9 }, (_, i) => [MAX_WAITING + 1 + i, "rate_limited"]), [
      null,
      "rate_limited",
    ]],
    "the frames past the bound are refused at once",
  );
  n1.cluster.claiming.open();
  await settle();
  const frames = socket.sent.map((f) => JSON.parse(f));
  const welcome = frames.findIndex((f) => f.type === "welcome");
  assert.equal(frames[welcome].data.resumed, true);
  const replies = frames.filter((f) => f.type === "reply" && f.id !== null);
  assert.deepEqual(
    replies.map((f) => f.id).sort((x, y) => x - y),
    Array.from({ length: total - 1 }, (_, i) => i + 1),
    "every frame with an id got exactly one reply",
  );
  assert.ok(frames.slice(welcome).filter((f) => f.type === "reply").every((f) => f.ok));
});

Deno.test("a connection's place under USER_CONNECTION_LIMIT goes back once: just after its welcome, or at a close before one", async () => {
  const net = new Deployment();
  const node = await net.node();
  const context = {
    hub: node.hub,
    config: DEFAULTS,
    log: silentLogger,
    sockets: new Set<WebSocket>(),
    metrics: { messagesIn: 0, messagesOut: 0 },
  };
  const attach = () => {
    const place = { released: 0, release: () => void place.released++ };
    const socket = new FakeSocket();
    attachSocket(socket as unknown as WebSocket, context, { admission: place });
    return { socket, place };
  };

  // Welcomed: the place goes just after the welcome, and not again when the socket closes.
  const welcomed = attach();
  welcomed.socket.open();
  assert.equal(JSON.parse(welcomed.socket.sent[0]).type, "welcome");
  await settle();
  assert.equal(welcomed.place.released, 1);
  welcomed.socket.onclose?.({ code: 1000 });
  assert.equal(welcomed.place.released, 1);

  // Closed while its welcome waits for the other nodes to count the session.
  node.cluster.opening.close();
  const waiting = attach();
  waiting.socket.open();
  assert.deepEqual([waiting.socket.sent, waiting.place.released], [[], 0]);
  waiting.socket.onclose?.({ code: 1006 });
  assert.equal(waiting.place.released, 1);
  node.cluster.opening.open();
  await settle();
  assert.equal(waiting.place.released, 1);

  // Closed before it ever opened.
  const never = attach();
  never.socket.onclose?.({ code: 1006 });
  assert.equal(never.place.released, 1);
});
