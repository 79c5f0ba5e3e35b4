/**
 * An Engine.IO v4 server on plain `Request`/`Response` and `Deno.upgradeWebSocket`: it reads the
 * query, refuses what is not Engine.IO v4 (HTTP 400, with Engine.IO's error codes in a JSON body),
 * applies the `/ws` origin policy with CORS headers for polling, opens sessions and routes each
 * request to its session by `sid`.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { originAllowed, type OriginPolicy } from "../origin.ts";
import { releaseIdleTimer } from "../keepalive.ts";
import type { Logger } from "../../server/log.ts";
import { encodeOpen } from "./engine_packets.ts";
import { EngineSocket, type EngineTimings } from "./engine_socket.ts";
import type { Answer, PollingLimits } from "./polling.ts";

/** What the server counts WebSockets against (`lib/edge/capacity.ts`'s `ConnectionCount` fits). */
export interface ConnectionGate {
  readonly full: boolean;
  track(socket: WebSocket): void;
}

export interface EngineServerOptions {
  timings: EngineTimings;
  limits: PollingLimits;
  policy: OriginPolicy;
  clock: Clock;
  log: Logger;
  /** Seconds without a frame before Deno drops a WebSocket (`IDLE_TIMEOUT_S`). */
  idleTimeoutS: number;
  /** Open WebSockets, which shutdown closes; the server adds its own and removes them. */
  sockets?: Set<WebSocket>;
  connections?: ConnectionGate;
  /** True once shutdown began: no new session is opened. */
  closing(): boolean;
  /** A new session, after its open packet went out. */
  onConnection(socket: EngineSocket): void;
}

/** Engine.IO's error codes, sent as `{"code","message"}` with the HTTP status. */
const ERRORS = {
  transport: [0, "Transport unknown"],
  sid: [1, "Session ID unknown"],
  method: [2, "Bad handshake method"],
  request: [3, "Bad request"],
  forbidden: [4, "Forbidden"],
  version: [5, "Unsupported protocol version"],
} as const;

const TEXT = "text/plain; charset=UTF-8";

/** A session id: 15 random bytes in base64url, 20 characters, as Engine.IO makes them. */
export function newId(): string {
  return crypto.getRandomValues(new Uint8Array(15)).toBase64({ alphabet: "base64url" });
}

export class EngineServer {
  readonly #sessions = new Map<string, EngineSocket>();
  readonly #options: EngineServerOptions;

  constructor(options: EngineServerOptions) {
    this.#options = options;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions with a long-polling GET waiting, for tests that cut a connection mid-poll. */
  get polling(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.polling) count++;
    return count;
  }

  /** Closes every session, as shutdown does. */
  closeAll(): void {
    for (const session of [...this.#sessions.values()]) session.discard();
  }

  /** Answers one request to the mount point, whatever its method and query. */
  handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    const query = url.searchParams;
    const cors = this.#cors(req);
    if (cors === null) {
      this.#options.log.warn("refused Socket.IO request", { origin: req.headers.get("origin") });
      return this.#error(403, "forbidden", {});
    }
    const isUpgrade = req.headers.get("upgrade")?.toLowerCase() === "websocket";
    if (
      req.method === "OPTIONS" && !isUpgrade && req.headers.has("access-control-request-method")
    ) {
      return new Response(null, {
        status: 204,
        headers: {
          ...cors,
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "",
          "access-control-max-age": "86400",
        },
      });
    }
    if (query.get("EIO") !== "4") return this.#error(400, "version", cors);
    const transport = query.get("transport");
    if (transport !== "polling" && transport !== "websocket") {
      return this.#error(400, "transport", cors);
    }
    if (req.method !== "GET" && req.method !== "POST") return this.#error(400, "method", cors);
    const sid = query.get("sid");
    if (sid === null) {
      if (req.method !== "GET") return this.#error(400, "method", cors);
      return transport === "polling" ? this.#openPolling(cors) : this.#openSocket(req, cors);
    }
    const session = this.#sessions.get(sid);
    if (!session) return this.#error(400, "sid", cors);
    session.expired();
    if (transport === "websocket") {
      if (!isUpgrade || req.method !== "GET" || session.closed) {
        return this.#error(400, session.closed ? "sid" : "request", cors);
      }
      return this.#upgrade(req, cors, (socket) => session.probe(socket));
    }
    const answer = req.method === "GET" ? session.poll(req.signal) : session.post(req);
    if (answer === null) return this.#error(400, session.closed ? "sid" : "request", cors);
    if (answer instanceof Promise) return answer.then((a) => this.#text(a, cors));
    return this.#text(answer, cors);
  }

  /** CORS headers for an allowed origin (none without one), or null when it is not allowed. */
  #cors(req: Request): Record<string, string> | null {
    const origin = req.headers.get("origin");
    if (origin === null) return {};
    if (!originAllowed(req, this.#options.policy)) return null;
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "vary": "Origin",
    };
  }

  #error(status: number, kind: keyof typeof ERRORS, cors: Record<string, string>): Response {
    const [code, message] = ERRORS[kind];
    return Response.json({ code, message }, { status, headers: cors });
  }

  #text(answer: Answer, cors: Record<string, string>): Response {
    return new Response(answer.body, {
      status: answer.status,
      headers: { "content-type": TEXT, ...cors },
    });
  }

  #refusal(): Response | null {
    if (this.#options.closing()) {
      return new Response("Shutting down\n", { status: 503, headers: { "retry-after": "1" } });
    }
    if (this.#options.connections?.full) {
      return new Response("Too many connections; try again later\n", {
        status: 503,
        headers: { "retry-after": "5" },
      });
    }
    return null;
  }

  #create(upgrades: string[]): { session: EngineSocket; open: string } {
    const { timings, limits, clock, log } = this.#options;
    const sid = newId();
    const session = new EngineSocket({
      sid,
      timings,
      limits,
      clock,
      log,
      forget: (id) => this.#sessions.delete(id),
    });
    this.#sessions.set(sid, session);
    const open = encodeOpen({
      sid,
      upgrades,
      pingInterval: timings.pingInterval,
      pingTimeout: timings.pingTimeout,
      maxPayload: limits.maxPayload,
    });
    return { session, open };
  }

  #openPolling(cors: Record<string, string>): Response {
    const refused = this.#refusal();
    if (refused) return refused;
    const { session, open } = this.#create(["websocket"]);
    session.startPolling();
    const response = this.#text({ status: 200, body: open }, cors);
    this.#connected(session);
    return response;
  }

  #openSocket(req: Request, cors: Record<string, string>): Response {
    const refused = this.#refusal();
    if (refused) return refused;
    return this.#upgrade(req, cors, (socket) => {
      if (this.#options.closing()) return socket.close(1001, "Server shutting down");
      const { session, open } = this.#create([]);
      session.startSocket(socket);
      socket.send(open);
      this.#connected(session);
    });
  }

  #connected(session: EngineSocket): void {
    try {
      this.#options.onConnection(session);
    } catch (err) {
      this.#options.log.error("Socket.IO connection failed", { error: err as Error });
      session.close("forced close", "Internal error");
    }
  }

  /** Upgrades to a WebSocket and hands it to `opened` once it is open. */
  #upgrade(
    req: Request,
    cors: Record<string, string>,
    opened: (socket: WebSocket) => void,
  ): Response {
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(req, { idleTimeout: this.#options.idleTimeoutS });
    } catch {
      // Deno refuses an upgrade without the headers RFC 6455 requires.
      return this.#error(400, "request", cors);
    }
    const { socket, response } = upgraded;
    socket.binaryType = "arraybuffer";
    const { sockets, connections } = this.#options;
    connections?.track(socket);
    // As on `/ws`: a socket dropped without a close frame is let go now, not at Deno's idle timer.
    socket.addEventListener("close", () => releaseIdleTimer(socket));
    if (sockets) {
      socket.addEventListener("close", () => sockets.delete(socket));
      sockets.add(socket);
    }
    socket.onopen = () => {
      try {
        opened(socket);
      } catch (err) {
        this.#options.log.error("Socket.IO WebSocket failed to open", { error: err as Error });
        socket.close(1011, "Internal error");
      }
    };
    return response;
  }
}
