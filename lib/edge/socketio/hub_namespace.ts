/**
 * The hub's native protocol on Socket.IO's `/`: one `/` connection is one hub session. Events
 * named after a request type are that request, validated and metered exactly as on `/ws` (the
 * request table of `lib/protocol/requests.ts`), and answered in the ack, or without one as the
 * seeds expect (an event of the same name for their five requests, `error` for failures of the
 * others). The hub's frames come back as events of the same name; `welcome` becomes the seeds'
 * `client_id` (with the session's `userId` beside the `clientId`).
 *
 * A fan-out hands the same frame string to every member in a row, so the last frame and its
 * packet are kept: one encode per fan-out, as on `/ws`.
 *
 * It runs past 300 lines because a `/` session's whole life is here, from the CONNECT's token and
 * its place under `USER_CONNECTION_LIMIT` to the last event; `/ws` splits the same steps between
 * its route and `lib/edge/connection.ts`, which this file mirrors rather than shares.
 *
 * @module
 */

import type { Hub, Identity, Link, Session } from "../../hub/hub.ts";
import { KeysUnavailable, type TokenVerifier } from "../../auth/verify.ts";
import {
  AdmissionHold,
  admitUser,
  identify,
  Unauthenticated,
  USER_LIMIT_REASON,
} from "../identity.ts";
import type { Admission } from "../../cluster/seam.ts";
import { refreshSession } from "../refresh.ts";
import { HubError } from "../../hub/hub.ts";
import { CLOSE_CODES, type ErrorCode, type RequestType } from "../../protocol/mod.ts";
import { REQUESTS } from "../../protocol/requests.ts";
import { checkRequest, isRequestType } from "../../protocol/validate.ts";
import type { Logger } from "../../server/log.ts";
import type { EdgeCounters } from "../connection.ts";
import { type Charge, ConnectRefused, type Namespace, type SioEvent } from "./sio_connection.ts";
import type { SioSocket } from "./sio_socket.ts";

/** The requests seeds 000 and 004 send without an ack, answered by an event of the same name. */
const SEED_REPLIES: ReadonlySet<string> = new Set([
  "server_time",
  "client_time",
  "num_clients",
  "ping",
  "random",
]);

/** What a `/` socket holds: its hub session, the link the hub sends on, its place under the limit. */
export interface RootState {
  session: Session;
  link: Link;
  admission: AdmissionHold;
}

/** What `authorize` grants a CONNECT: who it is, and its place under `USER_CONNECTION_LIMIT`. */
interface Grant {
  identity?: Identity;
  admission: Admission;
}

/** An event on `/` that is not a request, handled by the seeds' module. */
export type Extra = (socket: RootSocket, event: SioEvent, reply: Replier) => void;

export type RootSocket = SioSocket<RootState>;

/** Answers one event: its reply or refusal, as the event's form (ack or not) wants. */
export interface Replier {
  ok(data: unknown): void;
  /** Acks with no arguments, as a Socket.IO handler that returns nothing does. */
  done(): void;
  refuse(code: ErrorCode, message: string): void;
  /** Charges the event; false (after telling the client) when it is over a limit. */
  admit(charge: Charge): boolean;
}

export interface HubNamespaceOptions {
  hub: Hub;
  /** Checks the token of the CONNECT `auth` payload; undefined with `AUTH_MODE=none`. */
  verifier?: TokenVerifier;
  /** `USER_CONNECTION_LIMIT`; 0 or absent for none. */
  userConnectionLimit?: number;
  log: Logger;
  counts?: EdgeCounters;
  /** Events beyond the request table, by name. */
  extras: ReadonlyMap<string, Extra>;
}

const WELCOME = '{"type":"welcome"';

/**
 * An Engine.IO packet for a hub event frame, `{"type":T,"data":D}` as `encodeEvent` writes it:
 * `42["T",D]`. Sliced, not parsed; a frame of any other shape is parsed and written again.
 */
export function eventPacket(frame: string): string {
  const end = frame.indexOf('"', 9);
  if (frame.startsWith('{"type":"') && frame.startsWith('","data":', end) && frame.endsWith("}")) {
    return `42["${frame.slice(9, end)}",${frame.slice(end + 9, -1)}]`;
  }
  const { type, data } = JSON.parse(frame) as { type: string; data?: unknown };
  return data === undefined ? `42${JSON.stringify([type])}` : `42${JSON.stringify([type, data])}`;
}

/** The close codes the hub itself closes with; any other comes from the server API's caller. */
const OWN_CLOSES: ReadonlySet<number> = new Set(
  Object.values(CLOSE_CODES).filter((code) => code !== CLOSE_CODES.disconnected),
);

export class HubNamespace implements Namespace {
  /** Local Socket.IO sessions by hub session id. */
  readonly sessions = new Map<string, RootSocket>();
  readonly #options: HubNamespaceOptions;
  #lastFrame = "";
  #lastPacket = "";

  constructor(options: HubNamespaceOptions) {
    this.#options = options;
  }

  /**
   * The identity the CONNECT `auth` payload's `token` names, as `/ws?token=` would; refused past
   * `USER_CONNECTION_LIMIT` with `data.code` 4005, the close code `/ws` would use.
   */
  authorize(auth: Record<string, unknown>): Promise<Grant> | undefined {
    // Without tokens there is nothing to wait for: the CONNECT is acknowledged at once.
    if (!this.#options.verifier) return undefined;
    return this.#authorize(auth);
  }

  async #authorize(auth: Record<string, unknown>): Promise<Grant> {
    const token = auth.token;
    let identity: Identity | undefined;
    try {
      // A token that is not a string is no token anyone meant: refused like a bad one.
      identity = await identify(
        this.#options.verifier,
        token === undefined ? undefined : typeof token === "string" ? token : "",
        this.#options.log,
      );
    } catch (err) {
      if (err instanceof Unauthenticated) throw new ConnectRefused(err.reason);
      if (err instanceof KeysUnavailable) throw new ConnectRefused(err.message);
      throw err;
    }
    const { hub, userConnectionLimit } = this.#options;
    const admission = await admitUser(hub, identity, userConnectionLimit ?? 0);
    if (admission === null) {
      throw new ConnectRefused(USER_LIMIT_REASON, { code: CLOSE_CODES.userLimit });
    }
    return { identity, admission };
  }

  /** The connection ended while its CONNECT was authorized: its place goes back. */
  unused(grant: unknown): void {
    (grant as Grant | undefined)?.admission.release();
  }

  connect(socket: SioSocket, _auth: Record<string, unknown>, granted?: unknown): void {
    const root = socket as RootSocket;
    const grant = granted as Grant | undefined;
    // The place held under the limit goes once the session is welcomed, or the socket leaves.
    const admission = new AdmissionHold(grant?.admission);
    const link: Link = {
      send: (frame) => {
        admission.sent(frame);
        this.#deliver(root, frame);
      },
      close: (code, reason) => {
        // The application ended the session (`POST /api/disconnect`, with 4003 or a code of its
        // own): the client gets DISCONNECT, "io server disconnect", after which a Socket.IO
        // client does not reconnect by itself. For the hub's own reasons (another node took the
        // session over, a slow reader) the connection closes, and the client reconnects.
        if (OWN_CLOSES.has(code)) root.connection.close(reason);
        else root.disconnect();
      },
      get gone() {
        return !root.connected;
      },
    };
    const session = this.#options.hub.connect(link, undefined, grant?.identity);
    root.state = { session, link, admission };
    this.sessions.set(session.id, root);
  }

  disconnect(socket: SioSocket): void {
    const state = (socket as RootSocket).state;
    if (!state) return;
    state.admission.release();
    this.sessions.delete(state.session.id);
    // A Socket.IO session ends with its connection: it cannot be resumed.
    this.#options.hub.detach(state.session.id, state.link, true);
  }

  #deliver(socket: RootSocket, frame: string): void {
    if (!socket.connected) return;
    if (frame.startsWith(WELCOME)) {
      const { sessionId, userId } = (JSON.parse(frame) as {
        data: { sessionId: string; userId: string | null };
      }).data;
      return socket.emitJson(
        `["client_id",{"clientId":${JSON.stringify(sessionId)},"userId":${
          JSON.stringify(userId)
        }}]`,
      );
    }
    if (frame !== this.#lastFrame) {
      this.#lastPacket = eventPacket(frame);
      this.#lastFrame = frame;
    }
    this.#options.counts?.frameOut(frame);
    socket.sendEngine(this.#lastPacket);
  }

  event(socket: SioSocket, event: SioEvent): void {
    const root = socket as RootSocket;
    const state = root.state;
    if (!state) return;
    const name = event.name;
    const byName = typeof name === "string" && SEED_REPLIES.has(name);
    const reply = replier(root, event, this.#options.counts, byName);
    if (typeof name === "string" && isRequestType(name)) {
      return this.#request(root, state.session, name, event, reply);
    }
    const extra = typeof name === "string" ? this.#options.extras.get(name) : undefined;
    if (extra) return extra(root, event, reply);
    // An event with no handler is dropped, as Socket.IO drops it; one that asked is told.
    if (!reply.admit("frame")) return;
    if (event.ack !== undefined) {
      reply.refuse("unknown_type", `Unknown event "${String(name).slice(0, 64)}"`);
    }
  }

  #request(
    socket: RootSocket,
    session: Session,
    type: RequestType,
    event: SioEvent,
    reply: Replier,
  ): void {
    const counts = this.#options.counts;
    counts?.frameIn(type);
    if (!reply.admit(REQUESTS[type].cost)) return;
    if (event.binary) {
      return reply.refuse("bad_request", "Binary attachments are not accepted; send JSON");
    }
    const parsed = checkRequest(type, event.args[0]);
    if (!parsed.ok) return reply.refuse(parsed.rejection.code, parsed.rejection.message);
    let result: unknown;
    try {
      const { hub, verifier } = this.#options;
      const request = parsed.request;
      result = request.type === "refresh"
        ? refreshSession(hub, verifier, session.id, request.data.token)
        : hub.handle(session.id, request);
    } catch (err) {
      return this.#failed(reply, type, err);
    }
    if (result instanceof Promise) {
      result.then(
        (data) => socket.connected && reply.ok(data),
        (err) => this.#failed(reply, type, err),
      );
    } else {
      reply.ok(result);
    }
  }

  #failed(reply: Replier, type: string, err: unknown): void {
    if (err instanceof HubError) return reply.refuse(err.code, err.message);
    this.#options.log.error("request failed", { type, error: err as Error });
    reply.refuse("internal", "Internal error; the request was not completed");
  }
}

/**
 * How an event is answered: in its ack when it asked for one; otherwise, when `byName`, by an
 * event of its own name (the seeds' five requests), and anything else only when it fails, by
 * `error` `{event, code, message}`, so a reply never shares a name with the event it caused.
 * A class rather than closures: one allocation per event on the hot path.
 */
class Reply implements Replier {
  constructor(
    readonly socket: SioSocket,
    readonly event: SioEvent,
    readonly counts: EdgeCounters | undefined,
    readonly byName: boolean,
  ) {}

  ok(data: unknown): void {
    const { ack, name } = this.event;
    if (ack !== undefined) this.socket.ackJson(ack, `[${JSON.stringify(data ?? null)}]`);
    else if (this.byName) this.socket.emitJson(`[${JSON.stringify(name)},${JSON.stringify(data)}]`);
  }

  done(): void {
    if (this.event.ack !== undefined) this.socket.ackJson(this.event.ack, "[]");
  }

  refuse(code: ErrorCode, message: string): void {
    const { ack, name } = this.event;
    this.counts?.error(code);
    const error = { code, message };
    if (ack !== undefined) this.socket.ack(ack, [{ error }]);
    else if (this.byName) this.socket.emit(name as string, { error });
    else this.socket.emit("error", { event: name, code, message });
  }

  admit(charge: Charge): boolean {
    const connection = this.socket.connection;
    if (connection.admit(charge)) return true;
    if (this.socket.connected) {
      this.refuse("rate_limited", connection.refusalMessage(charge, this.event.name));
    }
    return false;
  }
}

/** The {@link Replier} of one event. */
export function replier(
  socket: SioSocket,
  event: SioEvent,
  counts: EdgeCounters | undefined,
  byName = false,
): Replier {
  return new Reply(socket, event, counts, byName);
}
