/**
 * What the Socket.IO edge carries between nodes beyond hub sessions: the seeds' broadcasts to
 * `/chat` and `/user` (whose sockets are not hub sessions), `new-user` and the goodbye event to a
 * room's Socket.IO members, and seed 001's direct messages. Hub traffic (rooms, counts, consented
 * DMs) crosses nodes through the cluster seam like every edge's; only these names, which the hub
 * does not know, need their own bus. With one node the bus carries nothing (`LocalBus`); with
 * Redis, `bus_redis.ts`.
 *
 * Delivery is at most once and fire-and-forget, as the cluster's broker: while Redis is down,
 * messages are dropped.
 *
 * @module
 */

/** One message; packets are Engine.IO packets, encoded once by the node that publishes. */
export type BusMessage =
  /** For every local socket of `nsp` (`/chat`'s `new-message`). */
  | { kind: "nsp"; nsp: string; packet: string }
  /** `new-user` for every local `/user` socket, each asked for an ack; `json` is its arguments. */
  | { kind: "user"; json: string }
  /** For every local Socket.IO session in `room`. */
  | { kind: "room"; room: string; packet: string }
  /** Seed 001's direct message for session `to`; its node answers `dm_ok` to `node`. */
  | { kind: "dm"; to: string; packet: string; node: string; req: number }
  /** The node of a `dm`'s target delivered it. */
  | { kind: "dm_ok"; node: string; req: number };

export interface Bus {
  /** This node's id in the deployment. */
  readonly nodeId: string;
  /** Hands a message to every other node. */
  publish(message: BusMessage): void;
  /** Messages from other nodes; set by the edge. */
  onMessage: (message: BusMessage) => void;
  close(): Promise<void>;
}

/** A deployment of one node: there is nobody to tell. */
export class LocalBus implements Bus {
  readonly nodeId = "local";
  onMessage: (message: BusMessage) => void = () => {};
  publish(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const str = (value: unknown): value is string => typeof value === "string";
const int = (value: unknown): value is number => Number.isSafeInteger(value);

/** Reads a message from another node: the message, or null when it is not one. */
export function parseBusMessage(text: string): BusMessage | null {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== "object" || m === null) return null;
  switch (m.kind) {
    case "nsp":
      return str(m.nsp) && str(m.packet) ? m as BusMessage : null;
    case "user":
      return str(m.json) ? m as BusMessage : null;
    case "room":
      return str(m.room) && str(m.packet) ? m as BusMessage : null;
    case "dm":
      return str(m.to) && str(m.packet) && str(m.node) && int(m.req) ? m as BusMessage : null;
    case "dm_ok":
      return str(m.node) && int(m.req) ? m as BusMessage : null;
    default:
      return null;
  }
}
