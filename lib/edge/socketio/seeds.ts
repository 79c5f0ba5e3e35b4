/**
 * The seeds' own event names, on top of the native protocol: seed 001's `message` (a direct
 * message by client id, with no consent step, between Socket.IO sessions only), seed 002's
 * `join-room` and `leave-room` on `/` (hub rooms, with the seed's announcements to their Socket.IO
 * members), and its `/chat` and `/user` namespaces, whose sockets are not hub sessions. What must
 * reach other nodes goes over the edge's bus (`bus.ts`).
 *
 * @module
 */

import type { Hub } from "../../hub/hub.ts";
import { HubError } from "../../hub/hub.ts";
import type { RequestType } from "../../protocol/mod.ts";
import { checkRequest } from "../../protocol/validate.ts";
import type { Logger } from "../../server/log.ts";
import type { Clock, TimerId } from "../clock.ts";
import type { EdgeCounters } from "../connection.ts";
import type { Bus, BusMessage } from "./bus.ts";
import {
  type Extra,
  type HubNamespace,
  type Replier,
  replier,
  type RootSocket,
} from "./hub_namespace.ts";
import type { Namespace, SioEvent } from "./sio_connection.ts";
import { encodeRaw, SIO } from "./sio_packets.ts";
import type { SioSocket } from "./sio_socket.ts";

/** How long `/user`'s sender waits for the recipients' acks before it is told how many came. */
export const USER_ACK_MS = 2000;
/** How long a direct message to another node waits for that node to say it delivered it. */
export const REMOTE_DM_MS = 1000;
/** The longest `username` the rooms' announcements take. */
const MAX_USERNAME = 256;

const NOT_FOUND = '42["message",{"error":"Target client ID not found"}]';

export interface SeedsOptions {
  hub: Hub;
  root: HubNamespace;
  bus: Bus;
  /** `SIO_SEED_DMS`: seed 001's direct messages; off, every target is "not found". */
  seedDms: boolean;
  clock: Clock;
  log: Logger;
  counts?: EdgeCounters;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An Engine.IO packet for event `[name, ...args]` on `nsp`, args given as JSON. */
function packet(nsp: string, json: string): string {
  return `4${encodeRaw(SIO.event, nsp, undefined, json)}`;
}

export class Seeds {
  readonly #options: SeedsOptions;
  readonly #chat = new Set<SioSocket>();
  readonly #user = new Set<SioSocket>();
  readonly #remoteDms = new Map<number, { timer: TimerId; done: (ok: boolean) => void }>();
  #nextReq = 1;

  constructor(options: SeedsOptions) {
    this.#options = options;
    options.bus.onMessage = (message) => this.#receive(message);
  }

  /** The seeds' events on `/`, beside the request types. */
  extras(): Map<string, Extra> {
    return new Map<string, Extra>([
      ["message", (socket, event, reply) => this.#message(socket, event, reply)],
      ["join-room", (socket, event, reply) => this.#joinRoom(socket, event, reply)],
      ["leave-room", (socket, event, reply) => this.#leaveRoom(socket, event, reply)],
    ]);
  }

  // Seed 001: direct messages by client id.

  #message(socket: RootSocket, event: SioEvent, reply: Replier): void {
    const data = event.args[0];
    if (!isRecord(data) || !("targetClientId" in data)) {
      // Seed 002's `send("User has connected!")` and `{data}`: accepted, and nothing more.
      if (reply.admit("frame")) reply.done();
      return;
    }
    if (!reply.admit("notify")) return;
    if (event.binary) return reply.refuse("bad_request", "Binary attachments are not accepted");
    const target = data.targetClientId;
    const from = socket.state!.session.id;
    const content = JSON.stringify({ from, content: data.message });
    const message = packet("/", `["message",${content}]`);
    const notFound = () => socket.sendEngine(NOT_FOUND);
    reply.done();
    if (typeof target !== "string" || !this.#options.seedDms) return notFound();
    const local = this.#options.root.sessions.get(target);
    if (local) return local.sendEngine(message);
    if (this.#options.bus.nodeId === "local") return notFound();
    // Not here: on another node, if it is a Socket.IO session that node has and says so in time.
    this.#options.hub.cluster.registry.locate(target).then((remote) => {
      if (!remote) return notFound();
      this.#remoteDm(target, message, (ok) => ok || notFound());
    }, (err) => {
      this.#options.log.error("locating a direct message's target failed", { error: err as Error });
      notFound();
    });
  }

  #remoteDm(to: string, message: string, done: (ok: boolean) => void): void {
    const { bus, clock } = this.#options;
    const req = this.#nextReq++;
    const timer = clock.setTimeout(() => {
      this.#remoteDms.delete(req);
      done(false);
    }, REMOTE_DM_MS);
    this.#remoteDms.set(req, { timer, done });
    bus.publish({ kind: "dm", to, packet: message, node: bus.nodeId, req });
  }

  // Seed 002: rooms on `/`.

  /** The room and username of a `join-room`/`leave-room` payload, or a refusal. */
  #roomArgs(event: SioEvent, reply: Replier): { room: unknown; username: string } | null {
    const data = event.args[0];
    if (!isRecord(data)) {
      reply.refuse("bad_request", "data must be an object with roomName (or room) and username");
      return null;
    }
    const username = data.username;
    if (typeof username !== "string" || username.length > MAX_USERNAME) {
      reply.refuse(
        "bad_request",
        `data.username must be a string of at most ${MAX_USERNAME} characters`,
      );
      return null;
    }
    return { room: data.roomName ?? data.room, username };
  }

  #joinRoom(socket: RootSocket, event: SioEvent, reply: Replier): void {
    if (!reply.admit("notify")) return;
    const args = this.#roomArgs(event, reply);
    if (!args) return;
    this.#hubRoom(socket, "join", args.room, reply, (room) => {
      const message = JSON.stringify({ message: `${args.username} Joined the room.` });
      this.#toRoom(room, packet("/", `["new-user",${message}]`));
    });
  }

  #leaveRoom(socket: RootSocket, event: SioEvent, reply: Replier): void {
    if (!reply.admit("notify")) return;
    const args = this.#roomArgs(event, reply);
    if (!args) return;
    this.#hubRoom(socket, "leave", args.room, reply, (room) => {
      // The seed's quirk, kept: the event's name is the sentence, with no arguments.
      this.#toRoom(room, packet("/", `[${JSON.stringify(`${args.username} has left the room.`)}]`));
    });
  }

  /** Runs the hub's `join` or `leave` for a seed event, then `then` with the room. */
  #hubRoom(
    socket: RootSocket,
    type: RequestType & ("join" | "leave"),
    room: unknown,
    reply: Replier,
    then: (room: string) => void,
  ): void {
    const parsed = checkRequest(type, { room });
    if (!parsed.ok) return reply.refuse(parsed.rejection.code, parsed.rejection.message);
    const failed = (err: unknown) => {
      if (err instanceof HubError) return reply.refuse(err.code, err.message);
      this.#options.log.error("request failed", { type, error: err as Error });
      reply.refuse("internal", "Internal error; the request was not completed");
    };
    try {
      const done = this.#options.hub.handle(socket.state!.session.id, parsed.request);
      Promise.resolve(done).then(() => {
        then(room as string);
        reply.done();
      }, failed);
    } catch (err) {
      failed(err);
    }
  }

  /** Sends `message` to the Socket.IO members of `room`, here and on every other node. */
  #toRoom(room: string, message: string): void {
    this.#localRoom(room, message);
    this.#options.bus.publish({ kind: "room", room, packet: message });
  }

  #localRoom(room: string, message: string): void {
    const { hub, root } = this.#options;
    for (const [id, socket] of root.sessions) {
      if (hub.session(id)?.rooms.has(room)) socket.sendEngine(message);
    }
  }

  // Seed 002: `/chat` and `/user`.

  /** `/chat`: `message` goes to every `/chat` socket of the deployment as `new-message`. */
  readonly chat: Namespace = {
    connect: (socket) => void this.#chat.add(socket),
    disconnect: (socket) => void this.#chat.delete(socket),
    event: (socket, event) => {
      const reply = replier(socket, event, this.#options.counts);
      if (event.name !== "message") return this.#unknown(event, reply);
      if (!reply.admit("notify")) return;
      if (event.binary) return reply.refuse("bad_request", "Binary attachments are not accepted");
      const message = packet("/chat", JSON.stringify(["new-message", ...event.args]));
      for (const member of this.#chat) member.sendEngine(message);
      this.#options.bus.publish({ kind: "nsp", nsp: "/chat", packet: message });
      reply.done();
    },
  };

  /**
   * `/user`: a greeting on connect; `user-connected` goes to every `/user` socket of the
   * deployment as `new-user`, each asked for an ack, and the sender's ack counts this node's acks.
   */
  readonly user: Namespace = {
    connect: (socket) => {
      this.#user.add(socket);
      socket.emit("my response", { data: "Connected" });
    },
    disconnect: (socket) => void this.#user.delete(socket),
    event: (socket, event) => {
      const reply = replier(socket, event, this.#options.counts);
      if (event.name !== "user-connected") return this.#unknown(event, reply);
      if (!reply.admit("notify")) return;
      if (event.binary) return reply.refuse("bad_request", "Binary attachments are not accepted");
      const json = JSON.stringify(["new-user", ...event.args]);
      this.#options.bus.publish({ kind: "user", json });
      this.#userBroadcast(json, (delivered) => reply.ok({ delivered }));
    },
  };

  /** `new-user` to this node's `/user` sockets; `done` gets how many acked, once all answered. */
  #userBroadcast(json: string, done?: (delivered: number) => void): void {
    let waiting = this.#user.size;
    let delivered = 0;
    if (waiting === 0) return done?.(0);
    for (const member of [...this.#user]) {
      member.emitWithAck(json, USER_ACK_MS, (err) => {
        if (!err) delivered++;
        if (--waiting === 0) done?.(delivered);
      });
    }
  }

  #unknown(event: SioEvent, reply: Replier): void {
    if (!reply.admit("frame")) return;
    if (event.ack !== undefined) {
      reply.refuse("unknown_type", `Unknown event "${String(event.name).slice(0, 64)}"`);
    }
  }

  // From other nodes.

  #receive(message: BusMessage): void {
    switch (message.kind) {
      case "nsp":
        if (message.nsp === "/chat") {
          for (const member of this.#chat) member.sendEngine(message.packet);
        }
        return;
      case "user":
        return this.#userBroadcast(message.json);
      case "room":
        return this.#localRoom(message.room, message.packet);
      case "dm": {
        const local = this.#options.root.sessions.get(message.to);
        if (!local) return;
        local.sendEngine(message.packet);
        const { bus } = this.#options;
        return bus.publish({ kind: "dm_ok", node: message.node, req: message.req });
      }
      case "dm_ok": {
        if (message.node !== this.#options.bus.nodeId) return;
        const pending = this.#remoteDms.get(message.req);
        if (!pending) return;
        this.#remoteDms.delete(message.req);
        this.#options.clock.clearTimeout(pending.timer);
        pending.done(true);
      }
    }
  }

  /** Stops waiting for other nodes' answers. */
  close(): void {
    for (const { timer } of this.#remoteDms.values()) this.#options.clock.clearTimeout(timer);
    this.#remoteDms.clear();
  }
}
