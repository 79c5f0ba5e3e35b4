/**
 * The two wire formats the benchmark generator speaks over raw WebSocket, so that the client's
 * cost is the same whichever server it drives:
 *
 * - `hub`: the hub's JSON frames (docs/protocol.md); the echo peer speaks them too.
 * - `socketio`: Engine.IO v4 and Socket.IO v5 packets, as Socket.IO 4 and Flask-SocketIO 5 speak
 *   them: `0{…}` open, `40` connect, `2`/`3` ping and pong, `42id["event",data]` an event that
 *   wants an ack, `43id[data]` the ack, `42["event",data]` a server event.
 *
 * @module
 */

/** What one incoming frame means to the generator. */
export type Incoming =
  | { kind: "ready" }
  | { kind: "reply"; id: number; data: unknown; error?: string }
  | { kind: "event"; name: string; data: unknown }
  | { kind: "other" };

export interface Dialect {
  name: "hub" | "socketio";
  /** Appended to `ws://host:port` to open a socket. */
  path: string;
  /** A request that wants exactly one reply carrying `id`. */
  request(id: number, name: string, data: unknown): string;
  /** Reads a frame; `respond` is a frame to send back at once (handshake, pong), if any. */
  decode(text: string): { incoming: Incoming; respond?: string };
}

const OTHER: Incoming = { kind: "other" };
const READY: Incoming = { kind: "ready" };

/** The hub's JSON protocol. Frames the generator does not use (presence, heartbeat) stay unparsed. */
export const hubDialect: Dialect = {
  name: "hub",
  path: "/ws",
  request: (id, name, data) => `{"type":"${name}","id":${id},"data":${JSON.stringify(data)}}`,
  decode(text) {
    if (text.startsWith(`{"type":"reply"`)) {
      const frame = JSON.parse(text);
      return {
        incoming: frame.ok
          ? { kind: "reply", id: frame.id, data: frame.data }
          : { kind: "reply", id: frame.id, data: undefined, error: frame.error?.code ?? "error" },
      };
    }
    if (text.startsWith(`{"type":"chat"`)) {
      return { incoming: { kind: "event", name: "chat", data: JSON.parse(text).data } };
    }
    if (text.startsWith(`{"type":"welcome"`)) return { incoming: READY };
    return { incoming: OTHER };
  },
};

/** Reads the decimal ack id that starts at `from`; returns it and where the JSON begins. */
function readId(text: string, from: number): [number, number] {
  let id = 0;
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    id = id * 10 + (c - 48);
  }
  return [i === from ? -1 : id, i];
}

/** Engine.IO v4 + Socket.IO v5 on the default namespace. */
export const socketioDialect: Dialect = {
  name: "socketio",
  path: "/socket.io/?EIO=4&transport=websocket",
  request: (id, name, data) => `42${id}${JSON.stringify([name, data])}`,
  decode(text) {
    switch (text.charCodeAt(0)) {
      case 48: // "0" Engine.IO open: connect to the default namespace
        return { incoming: OTHER, respond: "40" };
      case 50: // "2" Engine.IO ping
        return { incoming: OTHER, respond: "3" };
      case 52: { // "4" Engine.IO message carrying a Socket.IO packet
        const type = text.charCodeAt(1);
        if (type === 48) return { incoming: READY }; // "40{sid}" connected
        if (type === 51) { // "43<id>[data]" ack
          const [id, at] = readId(text, 2);
          return { incoming: { kind: "reply", id, data: JSON.parse(text.slice(at))[0] } };
        }
        if (type === 50) { // "42[name,data]" event
          const [, at] = readId(text, 2);
          const [name, data] = JSON.parse(text.slice(at));
          return { incoming: { kind: "event", name, data } };
        }
        if (type === 52) { // "44{message}" connect error
          return { incoming: { kind: "reply", id: -1, data: undefined, error: text.slice(2) } };
        }
        return { incoming: OTHER };
      }
      default:
        return { incoming: OTHER };
    }
  },
};

export const DIALECTS = { hub: hubDialect, socketio: socketioDialect } as const;
export type DialectName = keyof typeof DIALECTS;
