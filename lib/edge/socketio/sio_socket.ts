/**
 * One Socket.IO socket: a client's connection to one namespace, multiplexed with its others over
 * one Engine.IO session. It emits events, sends acks, and emits events that ask for an ack with a
 * timeout. What the namespace keeps per socket goes in {@link SioSocket.state}.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import { type Encoded, encodePacket, encodeRaw, SIO } from "./sio_packets.ts";

/** How a packet is charged: every packet is a frame; those that tell others also `notify`. */
export type Charge = "frame" | "notify";

/** What a socket needs from its connection: sending, leaving and the flood control they share. */
export interface SocketCarrier {
  /** Sends a Socket.IO packet's text (the Engine.IO type digit is added) and its attachments. */
  send(packet: Encoded): void;
  /** Sends an Engine.IO packet as it is: `4` plus a Socket.IO packet, encoded once for many. */
  sendEngine(packet: string): void;
  /** The server ends this socket's namespace connection. */
  leave(socket: SioSocket): void;
  /** The server ends the whole connection, every namespace with it; the client reconnects. */
  close(reason: string): void;
  /**
   * Charges one packet against the connection's limits; false when refused (the connection may
   * have been closed for flooding too long).
   */
  admit(charge: Charge): boolean;
  /** Why `admit` refused, for the client. */
  refusalMessage(charge: Charge, event: string | number): string;
  readonly clock: Clock;
}

/** An ack's outcome: the client's arguments, or an error when it timed out or the socket left. */
export type AckCallback = (err: Error | null, args: unknown[]) => void;

interface Pending {
  timer: TimerId;
  callback: AckCallback;
}

export class SioSocket<S = unknown> {
  /** The namespace's own state for this socket. */
  state: S | undefined;
  readonly #carrier: SocketCarrier;
  readonly #acks = new Map<number, Pending>();
  #nextAck = 0;
  #connected = true;

  constructor(readonly id: string, readonly nsp: string, carrier: SocketCarrier) {
    this.#carrier = carrier;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The connection this socket shares with the client's other namespaces. */
  get connection(): SocketCarrier {
    return this.#carrier;
  }

  /** Emits an event with `args`; bytes among them go as attachments. */
  emit(event: string, ...args: unknown[]): void {
    if (!this.#connected) return;
    this.#carrier.send(encodePacket(SIO.event, this.nsp, undefined, [event, ...args]));
  }

  /** Emits an event whose `[name, ...args]` array is already JSON. */
  emitJson(json: string): void {
    if (!this.#connected) return;
    this.#carrier.sendEngine(`4${encodeRaw(SIO.event, this.nsp, undefined, json)}`);
  }

  /** Sends an Engine.IO packet encoded once for many sockets of this namespace. */
  sendEngine(packet: string): void {
    if (this.#connected) this.#carrier.sendEngine(packet);
  }

  /** Answers the client's ack `id` with `args`. */
  ack(id: number, args: unknown[]): void {
    if (!this.#connected) return;
    this.#carrier.send(encodePacket(SIO.ack, this.nsp, id, args));
  }

  /** Answers the client's ack `id` with an arguments array that is already JSON. */
  ackJson(id: number, json: string): void {
    if (!this.#connected) return;
    this.#carrier.sendEngine(`4${encodeRaw(SIO.ack, this.nsp, id, json)}`);
  }

  /**
   * Emits an event that asks for an ack; `callback` gets the client's arguments, or an error when
   * none came within `timeoutMs` or the socket left first. The event's `[name, ...args]` is given
   * as JSON, encoded once for every recipient.
   */
  emitWithAck(json: string, timeoutMs: number, callback: AckCallback): void {
    if (!this.#connected) return callback(new Error("Socket is disconnected"), []);
    const id = this.#nextAck++;
    const timer = this.#carrier.clock.setTimeout(() => {
      this.#acks.delete(id);
      callback(new Error("Operation has timed out"), []);
    }, timeoutMs);
    this.#acks.set(id, { timer, callback });
    this.#carrier.send({ text: encodeRaw(SIO.event, this.nsp, id, json), attachments: [] });
  }

  /** The client answered ack `id`; an id with nothing waiting is ignored, as Socket.IO does. */
  acked(id: number | undefined, args: unknown[]): void {
    if (id === undefined) return;
    const pending = this.#acks.get(id);
    if (!pending) return;
    this.#acks.delete(id);
    this.#carrier.clock.clearTimeout(pending.timer);
    pending.callback(null, args);
  }

  /** The server ends this namespace connection: the client gets DISCONNECT. */
  disconnect(): void {
    if (this.#connected) this.#carrier.leave(this);
  }

  /** The socket is gone: acks still waiting fail. Called by the connection, once. */
  detached(): void {
    this.#connected = false;
    const acks = [...this.#acks.values()];
    this.#acks.clear();
    for (const { timer, callback } of acks) {
      this.#carrier.clock.clearTimeout(timer);
      callback(new Error("Socket is disconnected"), []);
    }
  }
}
