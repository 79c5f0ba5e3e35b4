/**
 * Socket.IO v5 over one Engine.IO session: the namespaces it is connected to, multiplexed; the
 * packets it reads (binary ones are put back together from their attachments); the connect
 * timeout; and the flood control every packet passes through, with the `/ws` edge's limits.
 *
 * A packet that breaks the protocol (an unknown type, a payload its type does not take, a bad ack
 * id, an event for a namespace the client is not connected to) closes this connection only, as
 * Socket.IO closes it. Namespaces refuse what is valid Socket.IO but bad input to them, and may
 * refuse a CONNECT (a bad token) with CONNECT_ERROR, as Socket.IO's middlewares do.
 *
 * It runs past 300 lines because a connection's namespaces, its packets and its limits share its
 * state; the packet codec and the sockets are already apart (`sio_packets.ts`, `sio_socket.ts`).
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import { FLOOD_GRACE_MS } from "../connection.ts";
import { Offence, TokenBucket } from "../rate_limit.ts";
import type { Logger } from "../../server/log.ts";
import type { ErrorCode } from "../../protocol/mod.ts";
import type { Bytes } from "./engine_packets.ts";
import type { CloseReason, EngineSocket } from "./engine_socket.ts";
import { newId } from "./engine_server.ts";
import {
  decodePacket,
  type Encoded,
  encodeRaw,
  reconstruct,
  SIO,
  type SioPacket,
} from "./sio_packets.ts";
import { type Charge, SioSocket, type SocketCarrier } from "./sio_socket.ts";

export type { Charge };

/** An event as a namespace gets it. */
export interface SioEvent {
  name: string | number;
  args: unknown[];
  /** The client's ack id, when it asked for one. */
  ack: number | undefined;
  /** Whether the event came with attachments. */
  binary: boolean;
}

/**
 * What a namespace does with its sockets. A throw is logged with its stack and closes that one
 * connection, never the server.
 */
export interface Namespace {
  /**
   * Decides, before a CONNECT is acknowledged, whether it gets in: answers the grant `connect` is
   * then given, or throws {@link ConnectRefused}, whose message the client's CONNECT_ERROR carries.
   * A namespace without it lets everyone in. An answer that is no promise opens the namespace at
   * once, so that CONNECTs are acknowledged in the order they came.
   */
  authorize?(auth: Record<string, unknown>): unknown;
  /**
   * A grant `authorize` answered after the connection had ended, so that `connect` never gets it:
   * whatever it holds is given back.
   */
  unused?(grant: unknown): void;
  /**
   * A socket connected; `auth` is the CONNECT payload, `{}` when there was none, and `grant`
   * what `authorize` answered.
   */
  connect(socket: SioSocket, auth: Record<string, unknown>, grant?: unknown): void;
  event(socket: SioSocket, event: SioEvent): void;
  /** The socket left: the client's DISCONNECT, the server's, or the connection's end. */
  disconnect(socket: SioSocket, reason: string): void;
}

/** A CONNECT that `Namespace.authorize` turns away; the message goes to the client. */
export class ConnectRefused extends Error {
  constructor(message: string, readonly data?: Record<string, unknown>) {
    super(message);
    this.name = "ConnectRefused";
  }
}

/** The limits of one connection, as `Config` names them. */
export interface Limits {
  rateLimit: number;
  chatRate: number;
}

/** What a connection counts for `/api/stats` and `/metrics`. */
export interface SioMetrics {
  messagesIn: number;
  messagesOut: number;
  counts?: { error(code: ErrorCode): void; rateLimited(): void };
}

export interface ConnectionOptions {
  namespaces: ReadonlyMap<string, Namespace>;
  connectTimeout: number;
  /** The most bytes one packet's attachments may hold together (`maxPayload`). */
  maxPayload: number;
  limits: Limits;
  clock: Clock;
  log: Logger;
  metrics: SioMetrics;
}

export class SioConnection implements SocketCarrier {
  readonly clock: Clock;
  readonly #engine: EngineSocket;
  readonly #options: ConnectionOptions;
  readonly #sockets = new Map<string, SioSocket>();
  #binary: { packet: SioPacket; buffers: Bytes[]; bytes: number } | undefined;
  #connectTimer: TimerId | undefined;
  /** Namespaces whose CONNECT is being authorized: a second one meanwhile is ignored. */
  readonly #authorizing = new Set<string>();
  #ended = false;
  readonly #frames: TokenBucket;
  readonly #notify: TokenBucket;
  readonly #flood = new Offence(FLOOD_GRACE_MS);

  constructor(engine: EngineSocket, options: ConnectionOptions) {
    this.#engine = engine;
    this.#options = options;
    this.clock = options.clock;
    const { rateLimit, chatRate } = options.limits;
    this.#frames = new TokenBucket(rateLimit, rateLimit * 2);
    this.#notify = new TokenBucket(chatRate, chatRate * 2);
    engine.onMessage = (data) => this.#guarded(data);
    engine.onClose = (reason) => this.#closed(reason);
    this.#connectTimer = this.clock.setTimeout(
      () => engine.close("forced close", "No namespace connected in time"),
      options.connectTimeout,
    );
  }

  /** The Engine.IO session underneath. */
  get engine(): EngineSocket {
    return this.#engine;
  }

  /** One message; an unexpected throw is logged with its stack and closes this connection only. */
  #guarded(data: string | Bytes): void {
    try {
      this.#message(data);
    } catch (err) {
      this.#options.log.error("Socket.IO packet failed", { error: err as Error });
      this.#engine.close("forced close", "Internal error");
    }
  }

  #protocolError(reason: string): void {
    this.#options.log.debug("closed Socket.IO connection", { sid: this.#engine.sid, reason });
    this.#engine.close("parse error", reason);
  }

  #message(data: string | Bytes): void {
    this.#options.metrics.messagesIn++;
    if (typeof data !== "string") {
      const binary = this.#binary;
      if (!binary) return this.#protocolError("Binary packet with no packet to attach it to");
      binary.buffers.push(data);
      binary.bytes += data.byteLength;
      // Attachments wait in memory until the last: together they are one packet's worth.
      if (binary.bytes > this.#options.maxPayload) {
        return this.#protocolError("Attachments over maxPayload together");
      }
      if (binary.buffers.length < binary.packet.attachments) return;
      this.#binary = undefined;
      let payload: unknown;
      try {
        payload = reconstruct(binary.packet.data, binary.buffers);
      } catch (err) {
        return this.#protocolError((err as Error).message);
      }
      return this.#dispatch({ ...binary.packet, data: payload }, true);
    }
    if (this.#binary) return this.#protocolError("Text packet while attachments were expected");
    const decoded = decodePacket(data);
    if (!decoded.ok) return this.#protocolError(decoded.reason);
    const packet = decoded.packet;
    if (packet.attachments > 0) {
      this.#binary = { packet, buffers: [], bytes: 0 };
      return;
    }
    this.#dispatch(packet, packet.type === SIO.binaryEvent || packet.type === SIO.binaryAck);
  }

  #dispatch(packet: SioPacket, binary: boolean): void {
    const { nsp } = packet;
    switch (packet.type) {
      case SIO.connect:
        // A connect to `/` tells the lobby (presence), so connecting costs what notifying does.
        if (!this.admit("notify")) {
          return this.send({
            text: encodeRaw(SIO.connectError, nsp, undefined, '{"message":"Rate limit exceeded"}'),
            attachments: [],
          });
        }
        return this.#connect(nsp, (packet.data ?? {}) as Record<string, unknown>);
      case SIO.disconnect: {
        const socket = this.#sockets.get(nsp);
        if (socket) this.#remove(socket, "client namespace disconnect");
        return;
      }
      case SIO.event:
      case SIO.binaryEvent: {
        const socket = this.#sockets.get(nsp);
        if (!socket) return this.#protocolError(`Event for ${nsp}, which is not connected`);
        // Indexing, not destructuring: a rest element walks the iterator protocol.
        const data = packet.data as unknown[];
        const event = {
          name: data[0] as string | number,
          args: data.slice(1),
          ack: packet.id,
          binary,
        };
        return this.#options.namespaces.get(nsp)!.event(socket, event);
      }
      default: // ack
        return this.#sockets.get(nsp)?.acked(packet.id, packet.data as unknown[]);
    }
  }

  #connect(nsp: string, auth: Record<string, unknown>): void {
    const namespace = this.#options.namespaces.get(nsp);
    if (!namespace) {
      return this.send({
        text: encodeRaw(SIO.connectError, nsp, undefined, '{"message":"Invalid namespace"}'),
        attachments: [],
      });
    }
    const socket = this.#sockets.get(nsp);
    if (socket) {
      // Connected already: the client is told so again, and nothing else happens.
      return this.send({
        text: encodeRaw(SIO.connect, nsp, undefined, `{"sid":"${socket.id}"}`),
        attachments: [],
      });
    }
    if (this.#authorizing.has(nsp)) return;
    let grant: unknown;
    try {
      grant = namespace.authorize?.(auth);
    } catch (err) {
      return this.#refused(nsp, err);
    }
    if (!(grant instanceof Promise)) return this.#open(nsp, namespace, auth, grant);
    this.#authorizing.add(nsp);
    grant.then(
      (grant) => {
        this.#authorizing.delete(nsp);
        if (!this.#ended) this.#open(nsp, namespace, auth, grant);
        else namespace.unused?.(grant);
      },
      (err) => {
        this.#authorizing.delete(nsp);
        if (!this.#ended) this.#refused(nsp, err);
      },
    );
  }

  /** Answers a CONNECT that `authorize` turned away (or failed on) with CONNECT_ERROR. */
  #refused(nsp: string, err: unknown): void {
    if (!(err instanceof ConnectRefused)) {
      this.#options.log.error("Socket.IO connect failed", { error: err as Error });
    }
    const body: Record<string, unknown> = {
      message: err instanceof ConnectRefused ? err.message : "Internal error",
    };
    if (err instanceof ConnectRefused && err.data) body.data = err.data;
    this.send({
      text: encodeRaw(SIO.connectError, nsp, undefined, JSON.stringify(body)),
      attachments: [],
    });
  }

  #open(nsp: string, namespace: Namespace, auth: Record<string, unknown>, grant: unknown): void {
    this.clock.clearTimeout(this.#connectTimer);
    const socket = new SioSocket(newId(), nsp, this);
    this.#sockets.set(nsp, socket);
    this.send({
      text: encodeRaw(SIO.connect, nsp, undefined, `{"sid":"${socket.id}"}`),
      attachments: [],
    });
    namespace.connect(socket, auth, grant);
  }

  #remove(socket: SioSocket, reason: string): void {
    if (this.#sockets.get(socket.nsp) !== socket) return;
    this.#sockets.delete(socket.nsp);
    socket.detached();
    const namespace = this.#options.namespaces.get(socket.nsp)!;
    try {
      namespace.disconnect(socket, reason);
    } catch (err) {
      this.#options.log.error("Socket.IO disconnect failed", { error: err as Error });
    }
  }

  #closed(reason: CloseReason): void {
    this.#ended = true;
    this.clock.clearTimeout(this.#connectTimer);
    this.#binary = undefined;
    for (const socket of [...this.#sockets.values()]) this.#remove(socket, reason);
  }

  // SocketCarrier.

  send(packet: Encoded): void {
    this.#options.metrics.messagesOut++;
    this.#engine.send(packet.text);
    for (const attachment of packet.attachments) this.#engine.send(attachment);
  }

  sendEngine(packet: string): void {
    this.#options.metrics.messagesOut++;
    this.#engine.sendPacket(packet);
  }

  leave(socket: SioSocket): void {
    this.send({ text: encodeRaw(SIO.disconnect, socket.nsp, undefined, ""), attachments: [] });
    this.#remove(socket, "server namespace disconnect");
  }

  /** Ends the whole connection from the server's side, e.g. for flooding. */
  close(reason: string): void {
    this.#engine.close("forced close", reason);
  }

  /**
   * Charges one packet: a frame token, and for `notify` a chat token too. False when refused: the
   * caller tells the client `rate_limited`, unless this returns with the connection closed for
   * flooding too long.
   */
  admit(charge: Charge): boolean {
    const { rateLimit, chatRate } = this.#options.limits;
    if (rateLimit === 0 && (chatRate === 0 || charge === "frame")) return true;
    const now = this.clock.now();
    if (this.#frames.take(now) && (charge === "frame" || this.#notify.take(now))) return true;
    this.#options.metrics.counts?.rateLimited();
    if (this.#flood.rejected(now)) this.close("Rate limit exceeded");
    return false;
  }

  /** Why `admit` refused, for the client. */
  refusalMessage(charge: Charge, event: string | number): string {
    const { rateLimit, chatRate } = this.#options.limits;
    return charge === "notify"
      ? `Over ${rateLimit} packets or ${chatRate} ${String(event).slice(0, 64)} events per second`
      : `Over ${rateLimit} packets per second`;
  }

  /** Counts an error told to a client, for `/metrics`. */
  countError(code: ErrorCode): void {
    this.#options.metrics.counts?.error(code);
  }
}
