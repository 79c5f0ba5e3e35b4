/**
 * The long-polling transport of one Engine.IO session: packets for the client wait in a queue
 * until a GET takes them all at once, and a POST delivers the client's packets. One GET may wait
 * at a time; packets queued within one tick go out in one answer.
 *
 * The queue is bounded twice: in packets, and in bytes over time, as the `/ws` edge bounds a
 * socket's unsent data (a client that stops polling is a slow consumer like one that stops
 * reading). Either way the session's owner is told, and closes it.
 *
 * @module
 */

import {
  type Bytes,
  decodePayload,
  encodePayload,
  type EnginePacket,
  NOOP_PACKET,
  SEPARATOR,
} from "./engine_packets.ts";

/** What a polling transport tells its session. */
export interface PollingOwner {
  /** One packet from a POST, in order. */
  receive(packet: EnginePacket): void;
  /** The client broke the protocol or the limits: the session closes with `reason`. */
  fail(reason: string): void;
  /** A waiting GET ended on the client's side before it was answered. */
  aborted(): void;
  /** The queue grew too large or stayed large too long. */
  overflow(reason: string): void;
  /** Whether the session is still open; a POST to a closed one is refused. */
  readonly open: boolean;
}

export interface PollingLimits {
  /** The largest packet, in bytes (`maxPayload`). */
  maxPayload: number;
  /** The largest POST body, in bytes; older clients batch several packets past `maxPayload`. */
  maxBody: number;
  /** Packets the queue may hold. */
  maxQueued: number;
  /** Bytes the queue may hold for long: past it, the client must poll within `slowGraceMs`. */
  maxQueuedBytes: number;
  slowGraceMs: number;
  /** Past this multiple of `maxQueuedBytes` the client is dropped at once. */
  hardFactor: number;
}

/** An answer to a GET or POST: its body and status; the caller adds the headers. */
export interface Answer {
  status: number;
  body: string;
}

const OK: Answer = { status: 200, body: "ok" };
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads a body of at most `limit` bytes; null when it is larger. */
async function readBody(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** The UTF-8 size of a text packet, computed only when the cheap bounds cannot decide. */
function overLimit(packet: EnginePacket, limit: number): boolean {
  if (typeof packet.data !== "string") return packet.data.byteLength > limit;
  const text = packet.data;
  if (text.length * 3 < limit) return false;
  return text.length >= limit || encoder.encode(text).byteLength + 1 > limit;
}

export class Polling {
  readonly #owner: PollingOwner;
  readonly #limits: PollingLimits;
  #queue: (string | Bytes)[] = [];
  #bytes = 0;
  #waiting: ((answer: Answer) => void) | undefined;
  #flushing = false;
  /** While an upgrade is under way: GETs get a noop at once and the queue waits for the socket. */
  #holding = false;
  #posting = false;
  #slowSince = -1;

  constructor(owner: PollingOwner, limits: PollingLimits) {
    this.#owner = owner;
    this.#limits = limits;
  }

  /** Queues a packet: text already encoded (type digit first), or the bytes of a binary message. */
  push(packet: string | Bytes, now: number): void {
    this.#queue.push(packet);
    this.#bytes += typeof packet === "string" ? packet.length : packet.byteLength * 1.34;
    if (this.#waiting && !this.#holding && !this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
    this.#check(now);
  }

  /** Whether the queue broke a limit: too many packets, far too many bytes, or too many for long. */
  #check(now: number): void {
    const limits = this.#limits;
    if (this.#queue.length > limits.maxQueued) {
      return this.#owner.overflow(`More than ${limits.maxQueued} packets queued`);
    }
    if (this.#bytes <= limits.maxQueuedBytes) {
      this.#slowSince = -1;
      return;
    }
    if (this.#bytes > limits.maxQueuedBytes * limits.hardFactor) {
      return this.#owner.overflow("Slow consumer: too much unread data");
    }
    if (this.#slowSince < 0) this.#slowSince = now;
    else if (now - this.#slowSince >= limits.slowGraceMs) {
      this.#owner.overflow("Slow consumer: unread data stayed over the limit");
    }
  }

  #flush(): void {
    this.#flushing = false;
    const waiting = this.#waiting;
    if (!waiting || this.#holding || this.#queue.length === 0) return;
    this.#waiting = undefined;
    waiting({ status: 200, body: this.#take() });
  }

  #take(): string {
    const body = encodePayload(this.#queue);
    this.#queue = [];
    this.#bytes = 0;
    this.#slowSince = -1;
    return body;
  }

  /** Whether a GET is waiting. */
  get waiting(): boolean {
    return this.#waiting !== undefined;
  }

  /**
   * A GET: answered at once when packets are queued, otherwise when the next one comes. `signal`
   * is the request's: a GET the client gave up on ends the session. A second GET while one waits
   * is the caller's to refuse.
   */
  get(signal: AbortSignal, now: number): Answer | Promise<Answer> {
    if (this.#holding) return { status: 200, body: NOOP_PACKET };
    this.#check(now);
    if (this.#queue.length > 0) return { status: 200, body: this.#take() };
    const { promise, resolve } = Promise.withResolvers<Answer>();
    const onAbort = () => {
      if (this.#waiting !== answer) return;
      this.#waiting = undefined;
      this.#owner.aborted();
    };
    const answer = (a: Answer) => {
      signal.removeEventListener("abort", onAbort);
      resolve(a);
    };
    this.#waiting = answer;
    signal.addEventListener("abort", onAbort, { once: true });
    return promise;
  }

  /** A POST: its packets go to the owner in order; a malformed or oversized one fails the session. */
  async post(req: Request): Promise<Answer> {
    if (this.#posting) {
      this.#owner.fail("Overlapping POST requests");
      return { status: 400, body: "Overlapping POST requests" };
    }
    this.#posting = true;
    let body: Uint8Array | null;
    try {
      body = await readBody(req, this.#limits.maxBody);
    } catch {
      // The client went away mid-body.
      body = new Uint8Array();
    } finally {
      this.#posting = false;
    }
    if (!this.#owner.open) return { status: 400, body: "Session closed" };
    if (body === null) {
      this.#owner.fail("Payload too large");
      return { status: 413, body: "Payload too large" };
    }
    let packets: EnginePacket[] | null;
    try {
      packets = decodePayload(decoder.decode(body));
    } catch {
      packets = null; // not UTF-8
    }
    if (packets === null) {
      this.#owner.fail("Malformed payload");
      return { status: 400, body: "Malformed payload" };
    }
    for (const packet of packets) {
      if (overLimit(packet, this.#limits.maxPayload)) {
        this.#owner.fail("Packet over maxPayload");
        return { status: 413, body: "Packet over maxPayload" };
      }
    }
    for (const packet of packets) {
      if (!this.#owner.open) break;
      this.#owner.receive(packet);
    }
    return OK;
  }

  /** An upgrade starts: a waiting GET gets a noop, and so does every GET until it ends. */
  hold(): void {
    this.#holding = true;
    this.#answer(NOOP_PACKET);
  }

  /** The upgrade failed: polling carries the session again. */
  resume(): void {
    this.#holding = false;
    if (this.#waiting && this.#queue.length > 0) this.#flush();
  }

  /** The upgrade is done: hands over what is queued, for the socket to send in order. */
  drain(): (string | Bytes)[] {
    const queued = this.#queue;
    this.#queue = [];
    this.#bytes = 0;
    this.#answer(NOOP_PACKET);
    return queued;
  }

  /**
   * The session ends: a waiting GET gets what is queued followed by `last` (`1` when the server
   * closes, `6` when the client did). Returns whether a GET was waiting.
   */
  end(last: string): boolean {
    if (!this.#waiting) return false;
    const body = this.#queue.length > 0 ? `${this.#take()}${SEPARATOR}${last}` : last;
    this.#answer(body);
    return true;
  }

  /** Whether anything waits to be sent. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Takes what is queued followed by `last`, for the last GET of a closing session. */
  last(last: string): Answer {
    const body = this.#queue.length > 0 ? `${this.#take()}${SEPARATOR}${last}` : last;
    return { status: 200, body };
  }

  #answer(body: string): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ status: 200, body });
  }
}
