/**
 * One Engine.IO v4 session: the transport that carries it (long-polling or a WebSocket), the
 * upgrade from the first to the second, the heartbeat and the close. What the packets mean is the
 * owner's business: it gets message packets through {@link EngineSocket.onMessage} and the end
 * through {@link EngineSocket.onClose}, once.
 *
 * The heartbeat's deadline is kept as a time as well as a timer: every request checks it, so a
 * session past its ping timeout is gone at the exact deadline even when the timer runs late.
 *
 * It runs past 300 lines because the upgrade, the heartbeat and the close each act on both
 * transports at once (a close answers the waiting GET and closes the probe and the socket); split
 * apart, every piece would reach into the others' state.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import type { Logger } from "../../server/log.ts";
import {
  type Bytes,
  CLOSE_PACKET,
  decodeText,
  type EnginePacket,
  NOOP_PACKET,
  PACKET,
  PING_PACKET,
} from "./engine_packets.ts";
import { type Answer, Polling, type PollingLimits } from "./polling.ts";

export interface EngineTimings {
  pingInterval: number;
  pingTimeout: number;
  /** How long a WebSocket may take from its probe to the upgrade packet. */
  upgradeTimeout: number;
}

export interface EngineSocketOptions {
  sid: string;
  timings: EngineTimings;
  limits: PollingLimits;
  clock: Clock;
  log: Logger;
  /** Called once the session is closed, so the server forgets its sid. */
  forget(sid: string): void;
}

/** Why a session ended, as Engine.IO names it. */
export type CloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close"
  | "server shutting down";

const encoder = new TextEncoder();

/** How long a GET that the client's close overtook may still come for its noop. */
const CLIENT_CLOSE_LINGER_MS = 1000;

/** Whether a WebSocket message is larger than `limit` bytes. */
function frameOverLimit(data: string | ArrayBuffer, limit: number): boolean {
  if (typeof data !== "string") return data.byteLength > limit;
  if (data.length * 3 <= limit) return false;
  return data.length > limit || encoder.encode(data).byteLength > limit;
}

export class EngineSocket {
  readonly sid: string;
  /** Message packets from the client: text (without the type digit) or bytes. */
  onMessage: (data: string | Bytes) => void = () => {};
  /** The session ended; called once. */
  onClose: (reason: CloseReason) => void = () => {};
  /** Unsent bytes of a WebSocket transport grew too large or stayed large; the owner decides. */
  onSlow: (reason: string) => void = (reason) => this.close("forced close", reason);

  readonly #options: EngineSocketOptions;
  readonly #clock: Clock;
  #polling: Polling | undefined;
  #socket: WebSocket | undefined;
  /** A WebSocket that sent its probe and waits for the upgrade packet. */
  #probe: WebSocket | undefined;
  #upgradeTimer: TimerId | undefined;
  #pingTimer: TimerId | undefined;
  #deadline = Infinity;
  #closed = false;
  /**
   * Set when a closed polling session still owes its client a last answer: what is queued and
   * `1` after a close of the server's, or `6` for a GET already on its way when the client closed.
   */
  #lingering: string | undefined;
  #lingerTimer: TimerId | undefined;
  #slowTimer: TimerId | undefined;

  constructor(options: EngineSocketOptions) {
    this.sid = options.sid;
    this.#options = options;
    this.#clock = options.clock;
    // Armed before the open packet goes out, so the deadline a client counts from is never early.
    this.#schedulePing();
  }

  /** The transport that carries the session now. */
  get transport(): "polling" | "websocket" {
    return this.#socket ? "websocket" : "polling";
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a long-polling GET is waiting for packets. */
  get polling(): boolean {
    return !this.#closed && !this.#socket && this.#polling?.waiting === true;
  }

  /** Whether the session is over, counting a deadline passed with the timer not yet run. */
  expired(): boolean {
    if (!this.#closed && this.#clock.now() >= this.#deadline) this.close("ping timeout");
    return this.#closed;
  }

  // Transports.

  /** Starts on long-polling. */
  startPolling(): void {
    const closed = () => this.#closed;
    this.#polling = new Polling({
      receive: (packet: EnginePacket) => this.#receive(packet),
      fail: (reason: string) => this.close("parse error", reason),
      aborted: () => this.close("transport error", "The poll request was aborted"),
      overflow: (reason: string) => this.close("forced close", reason),
      get open() {
        return !closed();
      },
    }, this.#options.limits);
  }

  /** Starts on an open WebSocket. */
  startSocket(socket: WebSocket): void {
    this.#socket = socket;
    this.#listen(socket);
  }

  /** A GET of the polling transport; `null` when it must be refused (a second GET, or upgraded). */
  poll(signal: AbortSignal): Answer | Promise<Answer> | null {
    if (this.#lingering !== undefined) {
      const answer = this.#polling!.last(this.#lingering);
      this.#finish();
      return answer;
    }
    const polling = this.#polling;
    if (!polling || this.#socket || this.#closed) return null;
    if (polling.waiting) {
      // Two GETs at once: the client is broken. The first gets the close packet.
      this.close("transport error", "Overlapping GET requests");
      return null;
    }
    return polling.get(signal, this.#clock.now());
  }

  /** A POST of the polling transport; `null` when it must be refused. */
  post(req: Request): Promise<Answer> | null {
    if (!this.#polling || this.#socket || this.#closed) return null;
    return this.#polling.post(req);
  }

  /** Whether a WebSocket may upgrade this session: it is on polling with no upgrade under way. */
  get upgradable(): boolean {
    return !this.#closed && !this.#socket && !this.#probe;
  }

  /** A WebSocket that opened with this session's sid, to probe and then carry it. */
  probe(socket: WebSocket): void {
    if (!this.upgradable) {
      socket.close(1000, "Session already upgraded");
      return;
    }
    this.#probe = socket;
    this.#upgradeTimer = this.#clock.setTimeout(
      () => this.#abandonProbe(socket, "Upgrade timed out"),
      this.#options.timings.upgradeTimeout,
    );
    socket.onmessage = (event: MessageEvent) => {
      const data = event.data;
      if (data === "2probe") {
        socket.send("3probe");
        this.#polling?.hold();
      } else if (data === "5") {
        this.#upgraded(socket);
      } else {
        this.#abandonProbe(socket, "Unexpected packet during the upgrade");
      }
    };
    socket.onclose = () => this.#abandonProbe(socket);
  }

  #abandonProbe(socket: WebSocket, reason?: string): void {
    if (this.#probe !== socket) return;
    this.#probe = undefined;
    this.#clock.clearTimeout(this.#upgradeTimer);
    this.#polling?.resume();
    if (reason && socket.readyState === WebSocket.OPEN) socket.close(1002, reason);
  }

  #upgraded(socket: WebSocket): void {
    this.#probe = undefined;
    this.#clock.clearTimeout(this.#upgradeTimer);
    const queued = this.#polling?.drain() ?? [];
    this.#socket = socket;
    this.#listen(socket);
    for (const packet of queued) this.#write(socket, packet);
  }

  #listen(socket: WebSocket): void {
    const maxPayload = this.#options.limits.maxPayload;
    socket.onmessage = (event: MessageEvent) => {
      if (this.#closed) return;
      const data = event.data as string | ArrayBuffer;
      if (frameOverLimit(data, maxPayload)) {
        return this.close("parse error", "Packet over maxPayload");
      }
      if (typeof data !== "string") {
        return this.#receive({ type: PACKET.message, data: new Uint8Array(data) });
      }
      // Messages are nearly all the traffic: they skip the packet object.
      if (data.charCodeAt(0) === 52) return this.onMessage(data.slice(1));
      const packet = decodeText(data);
      if (packet === null) return this.close("parse error", "Malformed packet");
      this.#receive(packet);
    };
    socket.onclose = () => this.close("transport close");
    socket.onerror = () => {};
  }

  // Packets.

  #receive(packet: EnginePacket): void {
    switch (packet.type) {
      case PACKET.message:
        return this.onMessage(packet.data);
      case PACKET.pong:
        return this.#schedulePing();
      case PACKET.ping:
        // Engine.IO v4 clients do not ping; an old habit is answered rather than punished.
        return this.sendPacket(`3${packet.data}`);
      case PACKET.close:
        return this.close("transport close");
      case PACKET.noop:
        return;
      default:
        // open and upgrade come only from the server, or on a probe socket.
        return this.close("parse error", `Unexpected packet type ${packet.type}`);
    }
  }

  /** Sends a message packet: text (without the type digit) or bytes. */
  send(data: string | Bytes): void {
    this.sendPacket(typeof data === "string" ? `4${data}` : data);
  }

  /** Sends an encoded packet as it is: text with its type digit, or the bytes of a message. */
  sendPacket(packet: string | Bytes): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (socket) this.#write(socket, packet);
    else this.#polling!.push(packet, this.#clock.now());
  }

  // Reading `bufferedAmount` crosses into the runtime, so, as on `/ws`, it is read only when the
  // queue could have passed the limit: its last reading plus an upper bound on the bytes sent since.
  #lastBuffered = 0;
  #sentSince = 0;

  #write(socket: WebSocket, packet: string | Bytes): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(packet);
    const limits = this.#options.limits;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.#sentSince += typeof packet === "string" ? packet.length * 3 : packet.byteLength;
    if (this.#lastBuffered + this.#sentSince <= limits.maxQueuedBytes) return;
    const buffered = this.#lastBuffered = socket.bufferedAmount;
    this.#sentSince = 0;
    if (buffered <= limits.maxQueuedBytes) return;
    if (buffered > limits.maxQueuedBytes * limits.hardFactor) {
      return this.onSlow("Slow consumer: too much unread data");
    }
    this.#slowTimer ??= this.#clock.setTimeout(() => {
      this.#slowTimer = undefined;
      if (socket.bufferedAmount > limits.maxQueuedBytes) {
        this.onSlow("Slow consumer: unread data stayed over the limit");
      }
    }, limits.slowGraceMs);
  }

  // Heartbeat.

  #schedulePing(): void {
    if (this.#closed) return;
    const { pingInterval, pingTimeout } = this.#options.timings;
    this.#clock.clearTimeout(this.#pingTimer);
    this.#deadline = this.#clock.now() + pingInterval + pingTimeout;
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.sendPacket(PING_PACKET);
      this.#pingTimer = this.#clock.setTimeout(
        () => this.close("ping timeout"),
        Math.max(0, this.#deadline - this.#clock.now()),
      );
    }, pingInterval);
  }

  // Closing.

  /**
   * Ends the session; the owner hears of it once. A client's own close releases a waiting GET with
   * a noop. A close of the server's own (`forced close`) first delivers what is queued: at once on
   * a WebSocket, and on polling to the next GET if none waits (for at most one ping timeout).
   */
  close(reason: CloseReason, detail?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimeout(this.#pingTimer);
    this.#clock.clearTimeout(this.#upgradeTimer);
    this.#clock.clearTimeout(this.#slowTimer);
    const probe = this.#probe;
    this.#probe = undefined;
    if (probe && probe.readyState === WebSocket.OPEN) probe.close(1000, "Session closed");
    const socket = this.#socket;
    if (socket) {
      if (socket.readyState === WebSocket.OPEN) {
        socket.close(reason === "transport close" ? 1000 : 1001, detail?.slice(0, 120) ?? reason);
      }
      this.#finish();
    } else if (this.#polling) {
      const polling = this.#polling;
      const last = reason === "transport close" ? NOOP_PACKET : CLOSE_PACKET;
      const answered = polling.end(last);
      if (!answered && reason === "transport close") {
        // The client's own close may overtake its GET on another connection (the official
        // suite sends both at once): that GET still gets its noop, and only that one.
        this.#linger(NOOP_PACKET, CLIENT_CLOSE_LINGER_MS);
      } else if (
        !answered && polling.pending &&
        (reason === "forced close" || reason === "server shutting down")
      ) {
        this.#linger(CLOSE_PACKET, this.#options.timings.pingTimeout);
      } else {
        this.#finish();
      }
    } else {
      this.#finish();
    }
    try {
      this.onClose(reason);
    } catch (err) {
      this.#options.log.error("closing a Socket.IO connection failed", { error: err as Error });
    }
  }

  /** Closes the session for good, owing nothing more, as shutdown does. */
  discard(): void {
    this.close("server shutting down");
    if (this.#lingering !== undefined) this.#finish();
  }

  #linger(last: string, ms: number): void {
    this.#lingering = last;
    this.#lingerTimer = this.#clock.setTimeout(() => this.#finish(), ms);
  }

  #finish(): void {
    this.#lingering = undefined;
    this.#clock.clearTimeout(this.#lingerTimer);
    this.#options.forget(this.sid);
  }
}
