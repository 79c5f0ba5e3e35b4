/**
 * What the server API (`routes/api/`) asks of the hub, deployment-wide: publish a message from
 * the server into rooms, end sessions wherever they live, list a room's members or a user's
 * sessions, read a room's history. The routes check the HTTP input first (`lib/protocol/api.ts`),
 * so, as with the request table, only valid calls reach here.
 *
 * A server message takes the same path as a member's `chat`: the room's stream numbers it, keeps
 * it for `history` and delivers it on every node, so it has its offset and its place in the room's
 * order, and is replayed to sessions that resume. A disconnect of a session on another node
 * travels to that node as a `disconnect` signal, routed as direct messages are.
 *
 * @module
 */

import type { Cluster, Signal } from "../cluster/seam.ts";
import {
  type ApiMember,
  type ApiRequest,
  type ApiResult,
  DEFAULT_SERVER_NAME,
  DISCONNECT_DEFAULTS,
  type Published,
} from "../protocol/api.ts";
import { type ChatMessage, LIMITS, SERVER_SENDER } from "../protocol/mod.ts";
import type { Rooms } from "./rooms.ts";
import type { Session } from "./session.ts";
import type { Sessions } from "./sessions.ts";

export interface ServerCallsOptions {
  /** This node's sessions. */
  sessions: ReadonlyMap<string, Session>;
  rooms: Rooms;
  lives: Sessions;
  cluster: Cluster;
  now: () => number;
  /** Message ids, from the generator members' messages use, so ids keep increasing. */
  newId: () => string;
}

/** A disconnect on its way to the session's node. */
export type DisconnectSignal = Extract<Signal, { kind: "disconnect" }>;

/** The message fields a publish and a broadcast share. */
type Message = Omit<ApiRequest<"publish">, "room" | "idempotencyKey">;

export class ServerCalls {
  readonly #options: ServerCallsOptions;

  constructor(options: ServerCallsOptions) {
    this.#options = options;
  }

  /** Publishes a message from the server into `room`, as a member's `chat` would be. */
  async publish(request: ApiRequest<"publish">): Promise<ApiResult<"publish">> {
    return await this.#publish(request.room, request, this.#options.newId(), this.#options.now());
  }

  /** The same message into each room, each with its own id; one time for all. */
  async broadcast(request: ApiRequest<"broadcast">): Promise<ApiResult<"broadcast">> {
    const ts = this.#options.now();
    // All or nothing: a room too far behind refuses the whole broadcast before any is published.
    for (const room of request.rooms) this.#options.rooms.mustFlow(room);
    // Ids are made in the order of `rooms` before any is published.
    const ids = request.rooms.map(() => this.#options.newId());
    const results = await Promise.all(
      request.rooms.map(async (room, i) => ({
        room,
        ...await this.#publish(room, request, ids[i], ts),
      })),
    );
    return { results };
  }

  async #publish(room: string, message: Message, msgId: string, ts: number): Promise<Published> {
    this.#options.rooms.mustFlow(room);
    const draft: Omit<ChatMessage, "offset" | "epoch"> = {
      room,
      msgId,
      from: SERVER_SENDER,
      userId: null,
      name: message.name ?? DEFAULT_SERVER_NAME,
      text: message.text,
      ts,
    };
    // Last of the draft's fields: a chat frame ends with its offset and epoch (`chatPosition`).
    if (message.data !== undefined) draft.data = message.data;
    const position = await this.#options.cluster.streams.publish(draft);
    return { msgId, ts, ...position };
  }

  /**
   * Ends session `sessionId`, or every session of user `userId`, wherever it lives, with `code`:
   * its connection closes and it cannot be resumed. Answers the ids of the sessions found: those
   * on another node end when their node hears of it, a moment later.
   */
  async disconnect(request: ApiRequest<"disconnect">): Promise<ApiResult<"disconnect">> {
    const code = request.code ?? DISCONNECT_DEFAULTS.code;
    const reason = request.reason ?? DISCONNECT_DEFAULTS.reason;
    const { sessions, cluster } = this.#options;
    const ids: string[] = [];
    if (request.sessionId !== undefined) {
      const id = request.sessionId;
      if (sessions.has(id) || await cluster.registry.locate(id)) ids.push(id);
    }
    if (request.userId !== undefined) {
      for (const { sessionId } of await cluster.registry.userSessions(request.userId)) {
        if (!ids.includes(sessionId)) ids.push(sessionId);
      }
    }
    for (const id of ids) {
      if (!this.end(id, code, reason)) {
        cluster.broker.signal({ kind: "disconnect", to: id, code, reason });
      }
    }
    return { disconnected: ids };
  }

  /** A disconnect from another node's server API, for a session here. */
  receive(signal: DisconnectSignal): void {
    this.end(signal.to, signal.code, signal.reason);
  }

  /** Ends a local session and closes its connection with `code`; false if it is not here. */
  end(id: string, code: number, reason: string): boolean {
    const session = this.#options.sessions.get(id);
    if (!session) return false;
    const link = session.link;
    // Ended first, so the edge finds no session to keep away when its socket closes.
    this.#options.lives.end(id);
    link?.close(code, reason);
    return true;
  }

  /** Every member of `room` in the deployment. */
  async presence({ room }: ApiRequest<"presence">): Promise<ApiResult<"presence">> {
    const members = await this.#options.rooms.members(room);
    return {
      room,
      members: members.map(({ sessionId, userId, name }): ApiMember => ({
        sessionId,
        userId,
        name,
      })),
    };
  }

  /** Every session of user `userId` in the deployment. */
  async userSessions(
    { userId }: ApiRequest<"user_sessions">,
  ): Promise<ApiResult<"user_sessions">> {
    const found = await this.#options.cluster.registry.userSessions(userId);
    return {
      userId,
      sessions: found.map(({ sessionId, name, connectedAt }) => ({ sessionId, name, connectedAt })),
    };
  }

  /** The newest messages of `room`, as the wire's `history` pages them, for members or not. */
  async history(
    { room, limit, before }: ApiRequest<"history">,
  ): Promise<ApiResult<"history">> {
    const page = await this.#options.cluster.streams.history(room, {
      limit: limit ?? LIMITS.defaultHistoryLimit,
      before,
    });
    return { room, ...page };
  }
}
