/**
 * The edge between one WebSocket and the hub. Everything a hostile or broken client can do is
 * handled here: oversized and binary frames, bad JSON, floods and slow reading. The hub behind it
 * only ever sees valid requests from live sessions.
 *
 * It runs past 300 lines because every way a hostile or broken client can hurt the others is
 * handled here, on one socket's state: splitting frames, floods, slow reads and closes apart would
 * spread that state over several files.
 *
 * @module
 */

import type { Config } from "../server/config.ts";
import { Hub, HubError, type Identity, type Link, type Session } from "../hub/hub.ts";
import type { TokenVerifier } from "../auth/verify.ts";
import { refreshSession } from "./refresh.ts";
import type { Logger } from "../server/log.ts";
import { CLOSE_CODES, type ErrorCode, type RequestId } from "../protocol/mod.ts";
import { Offence, TokenBucket } from "./rate_limit.ts";
import { type Clock, realClock, type TimerId } from "./clock.ts";
import { parseFrame } from "../protocol/validate.ts";
import { REQUESTS } from "../protocol/requests.ts";
import { releaseIdleTimer } from "./keepalive.ts";
import { AdmissionHold, admitUser, resumedSession, USER_LIMIT_REASON } from "./identity.ts";
import type { Admission } from "../cluster/seam.ts";

/** How long a client may stay over its rate limits before it is disconnected. */
export const FLOOD_GRACE_MS = 5000;
/** How long a send queue may stay over `maxBufferedBytes` before the client is dropped. */
export const SLOW_GRACE_MS = 2000;
/** Frames kept while a resumed session moves here from another node. */
export const MAX_WAITING = 64;
/**
 * After a close for abuse, how long the client must send nothing before the close frame goes: Deno
 * drops the TCP connection as soon as a frame comes after the close frame, and with more input
 * still unread the kernel answers with a reset, which discards the close frame if it is still
 * waiting to be sent (to a client that has not read for a while).
 */
export const CLOSE_QUIET_MS = 250;
/** The longest a close for abuse waits for the client to go quiet. */
export const CLOSE_LINGER_MS = 2000;
/** Past this multiple of `maxBufferedBytes` a client is dropped at once, grace or not. */
export const SLOW_HARD_FACTOR = 16;

/** Frames in and out of every socket, for `/api/stats`; the edge counts them. */
export interface EdgeMetrics {
  messagesIn: number;
  messagesOut: number;
  /** Counts by kind for `/metrics`; absent where nothing reads them. */
  counts?: EdgeCounters;
}

/** What the edge counts for `/metrics`: each call bumps an integer (`lib/server/metrics/`). */
export interface EdgeCounters {
  /** A frame in: its request type, or `invalid`, `binary` or `oversized`. */
  frameIn(type: string): void;
  /** A frame out, by the type it starts with. */
  frameOut(frame: string): void;
  /** An error reply. */
  error(code: ErrorCode): void;
  /** A frame refused by `RATE_LIMIT` or `CHAT_RATE`. */
  rateLimited(): void;
  /** A socket closed with `code`, once: `dropped` by this edge, or closed by the peer. */
  closed(code: number, dropped: boolean): void;
}

export interface ConnectionContext {
  hub: Hub;
  metrics: EdgeMetrics;
  config: Config;
  log: Logger;
  /** Open sockets, so shutdown can close them all. */
  sockets: Set<WebSocket>;
  /** True once shutdown began: sockets that open from then on are closed at once. */
  readonly closing?: boolean;
  /** Checks `refresh` tokens; undefined with `AUTH_MODE=none`. */
  verifier?: TokenVerifier;
}

/** What a caller may swap in for one socket's edge; the defaults are the real ones. */
export interface AttachOptions {
  /** The clock for rate limits and the timers for grace periods; tests step it by hand. */
  clock?: Clock;
  /** A resume token from the upgrade request, already checked for shape. */
  resumeToken?: string;
  /** Who the upgrade request's token says the client is; undefined: anonymous. */
  identity?: Identity;
  /** Its place under `USER_CONNECTION_LIMIT`, given back at its welcome or its close. */
  admission?: Admission;
}

const encoder = new TextEncoder();

/** UTF-8 size of `text`, computed only when the cheap bounds cannot decide. */
function overLimit(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return encoder.encode(text).byteLength > limit;
}

function replyOk(id: RequestId, data: unknown): string {
  return `{"type":"reply","id":${JSON.stringify(id)},"ok":true,"data":${JSON.stringify(data)}}`;
}

function replyError(id: RequestId | null, code: ErrorCode, message: string): string {
  return JSON.stringify({ type: "reply", id, ok: false, error: { code, message } });
}

/**
 * Wires an upgraded (not yet open) WebSocket to the hub: the session starts on `open` and ends on
 * `close`, or earlier when the edge drops the client.
 */
export function attachSocket(
  socket: WebSocket,
  context: ConnectionContext,
  options: AttachOptions = {},
): void {
  const { hub, config, log, sockets, metrics } = context;
  const clock = options.clock ?? realClock;
  const frames = new TokenBucket(config.rateLimit, config.rateLimit * 2);
  const chats = new TokenBucket(config.chatRate, config.chatRate * 2);
  const flood = new Offence(FLOOD_GRACE_MS);
  const limited = config.rateLimit > 0 || config.chatRate > 0;
  let session: Session | undefined;
  const admission = new AdmissionHold(options.admission);
  /** The session the resume token names, which the admission let this connection take over. */
  const resuming = resumedSession(options.resumeToken);
  /** Frames that came while the session was still moving here from another node. */
  let waiting: MessageEvent[] | undefined;
  /** Set once the socket is done with: whether its session should end. */
  let gone: { end: boolean } | undefined;
  let slowTimer: TimerId | undefined;
  /** Set while a close for abuse waits for the client to go quiet. */
  let closeTimer: TimerId | undefined;
  /** Whether a frame came since the last look of that wait. */
  let heardSinceLook = false;

  /**
   * Forgets the socket and lets its session go, once: `end` ends the session, otherwise it waits
   * away to be resumed. Returns the id of the session it let go.
   */
  const forget = (end: boolean): string | undefined => {
    clock.clearTimeout(slowTimer);
    clock.clearTimeout(closeTimer);
    sockets.delete(socket);
    admission.release();
    gone ??= { end };
    const id = session?.id;
    session = undefined;
    if (id) hub.detach(id, link, end);
    return id;
  };

  const close = (code: number, reason: string) => {
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.close(code, reason);
    }
  };

  /**
   * Closes once the client has sent nothing for {@link CLOSE_QUIET_MS}, or {@link CLOSE_LINGER_MS}
   * from now whatever it does; its frames meanwhile are read and ignored, so none are left unread.
   */
  const closeWhenQuiet = (code: number, reason: string) => {
    if (socket.readyState !== WebSocket.OPEN) return close(code, reason);
    const deadline = clock.now() + CLOSE_LINGER_MS;
    const look = () => {
      closeTimer = undefined;
      const left = deadline - clock.now();
      if (!heardSinceLook || left <= 0) return close(code, reason);
      heardSinceLook = false;
      closeTimer = clock.setTimeout(look, Math.min(CLOSE_QUIET_MS, left));
    };
    heardSinceLook = false;
    closeTimer = clock.setTimeout(look, CLOSE_QUIET_MS);
  };

  /**
   * Closes the socket from this side. A client closed for abuse (flood, oversized frames) loses
   * its session at once, and its close frame waits for it to stop sending; one closed as slow, or
   * replaced by a resume, keeps its session and is closed at once.
   */
  const drop = (code: number, reason: string) => {
    if (gone) {
      // A close for abuse that waits for quiet keeps its code.
      if (closeTimer === undefined) close(code, reason);
      return;
    }
    // A peer that reads nothing may never complete the close handshake, so forget it now.
    const abuse = code === CLOSE_CODES.policyViolation || code === CLOSE_CODES.tooBig;
    metrics.counts?.closed(code, true);
    const id = forget(abuse);
    if (id) log.info("dropped client", { session: id, code, reason });
    if (abuse) closeWhenQuiet(code, reason);
    else close(code, reason);
  };

  // A burst queued within one tick can pass the limit for a reader that keeps up, so the verdict
  // waits for the grace to pass, unless the queue is so large that waiting would cost real memory.
  const overBuffered = (buffered: number) => {
    if (buffered > config.maxBufferedBytes * SLOW_HARD_FACTOR) {
      return drop(CLOSE_CODES.slowConsumer, "Slow consumer: too much unread data");
    }
    slowTimer ??= clock.setTimeout(() => {
      slowTimer = undefined;
      if (socket.bufferedAmount > config.maxBufferedBytes) {
        drop(CLOSE_CODES.slowConsumer, "Slow consumer: unread data stayed over the limit");
      }
    }, SLOW_GRACE_MS);
  };

  // Reading `bufferedAmount` crosses into the runtime, so it is read only when the queue could
  // have passed the limit: its last reading plus an upper bound on the bytes sent since.
  let lastBuffered = 0;
  let sentSince = 0;
  const send = (frame: string) => {
    // Nothing goes to a socket that is done with, even while its close waits.
    if (gone || socket.readyState !== WebSocket.OPEN) return;
    if (admission.sent(frame) && resuming !== undefined) queueMicrotask(() => recount(frame));
    socket.send(frame);
    metrics.messagesOut++;
    metrics.counts?.frameOut(frame);
    sentSince += frame.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
    if (lastBuffered + sentSince <= config.maxBufferedBytes) return;
    lastBuffered = socket.bufferedAmount;
    sentSince = 0;
    if (lastBuffered > config.maxBufferedBytes) overBuffered(lastBuffered);
  };

  const link: Link = {
    send,
    close: drop,
    get gone() {
      return gone !== undefined;
    },
  };

  /**
   * A resume that resumed nothing (a secret that is not the session's token's, a session gone)
   * got a new session, which its admission did not count: it was let in to take over another.
   * Counted now, after its place went, it stays only if under `USER_CONNECTION_LIMIT`.
   */
  const recount = (welcome: string) => {
    const { sessionId } = (JSON.parse(welcome) as { data: { sessionId: string } }).data;
    if (sessionId === resuming) return;
    admitUser(hub, options.identity, config.userConnectionLimit, sessionId).then((place) => {
      if (place) return place.release();
      if (gone) return;
      metrics.counts?.closed(CLOSE_CODES.userLimit, true);
      forget(true);
      log.debug("dropped client", { session: sessionId, code: CLOSE_CODES.userLimit });
      close(CLOSE_CODES.userLimit, USER_LIMIT_REASON);
    }, (err) => log.error("user limit check failed", { error: err as Error }));
  };

  const refuse = (id: RequestId | null, code: ErrorCode, message: string) => {
    metrics.counts?.error(code);
    send(replyError(id, code, message));
  };

  const failed = (id: RequestId | null, type: string, err: unknown) => {
    if (err instanceof HubError) return refuse(id, err.code, err.message);
    log.error("request failed", { type, error: err as Error });
    refuse(id, "internal", "Internal error; the request was not completed");
  };

  /** Takes a token, or refuses the frame; a client refused for too long is dropped. */
  const admit = (bucket: TokenBucket, now: number, id: RequestId | null, why: string) => {
    if (bucket.take(now)) return true;
    metrics.counts?.rateLimited();
    if (flood.rejected(now)) drop(CLOSE_CODES.policyViolation, "Rate limit exceeded");
    else refuse(id, "rate_limited", why);
    return false;
  };

  socket.onopen = () => {
    if (context.closing) {
      socket.close(CLOSE_CODES.goingAway, "Server shutting down");
      return;
    }
    sockets.add(socket);
    const opened = hub.connect(link, options.resumeToken, options.identity);
    if (!(opened instanceof Promise)) return started(opened);
    // The session is on another node and moves here first; frames wait for it.
    waiting = [];
    opened.then(started, (err) => {
      log.error("resume failed", { error: err as Error });
      drop(CLOSE_CODES.internalError, "Internal error");
    });
  };

  /** The session is ready: frames that came meanwhile run now, unless the socket went. */
  const started = (opened: Session) => {
    if (gone) {
      // A resumed session the hub kept away for want of this socket still ends on a clean close.
      if (gone.end && !opened.link) return hub.disconnect(opened.id);
      return hub.detach(opened.id, link, gone.end);
    }
    session = opened;
    log.debug("connected", { session: opened.id });
    const queued = waiting ?? [];
    waiting = undefined;
    for (const event of queued) socket.onmessage!(event);
  };

  /**
   * A frame past {@link MAX_WAITING} while the session moves here: refused at once, so that it
   * still gets its one reply (which may then come before `welcome`).
   */
  const overflow = (data: unknown) => {
    metrics.messagesIn++;
    if (typeof data === "string" && overLimit(data, config.maxMessageBytes)) {
      return drop(CLOSE_CODES.tooBig, `Frame over ${config.maxMessageBytes} bytes`);
    }
    let id: RequestId | null = null;
    if (typeof data === "string") {
      const parsed = parseFrame(data);
      id = parsed.ok ? parsed.request.id ?? null : parsed.rejection.id;
    }
    metrics.counts?.rateLimited();
    if (flood.rejected(clock.now())) {
      return drop(CLOSE_CODES.policyViolation, "Rate limit exceeded");
    }
    refuse(id, "rate_limited", `Over ${MAX_WAITING} frames sent before the session was ready`);
  };

  socket.onmessage = (event: MessageEvent) => {
    if (gone) {
      heardSinceLook = true;
      return;
    }
    if (!session) {
      // A client may pipeline requests behind its resume; a few wait, the rest are refused.
      if (!waiting) return;
      if (waiting.length < MAX_WAITING) waiting.push(event);
      else overflow(event.data);
      return;
    }
    metrics.messagesIn++;
    const data = event.data;
    // The clock is only needed, and only read, when a limit is on.
    const now = limited ? clock.now() : 0;
    if (typeof data !== "string") {
      metrics.counts?.frameIn("binary");
      const size = data instanceof Blob ? data.size : (data as ArrayBuffer).byteLength;
      if (size > config.maxMessageBytes) return drop(CLOSE_CODES.tooBig, "Frame too large");
      if (!admit(frames, now, null, `Over ${config.rateLimit} frames per second`)) return;
      return refuse(null, "bad_request", "Binary frames are not accepted; send JSON text");
    }
    if (overLimit(data, config.maxMessageBytes)) {
      metrics.counts?.frameIn("oversized");
      return drop(CLOSE_CODES.tooBig, `Frame over ${config.maxMessageBytes} bytes`);
    }
    // Parsed before the flood check so that a refused frame's reply still carries its id.
    const parsed = parseFrame(data);
    metrics.counts?.frameIn(parsed.ok ? parsed.request.type : "invalid");
    const id = parsed.ok ? parsed.request.id ?? null : parsed.rejection.id;
    if (!admit(frames, now, id, `Over ${config.rateLimit} frames per second`)) return;
    if (!parsed.ok) return refuse(id, parsed.rejection.code, parsed.rejection.message);
    const request = parsed.request;
    // Requests that make the server tell other sessions also spend the chat budget.
    if (
      REQUESTS[request.type].cost === "notify" &&
      !admit(chats, now, id, `Over ${config.chatRate} ${request.type} frames per second`)
    ) return;
    let result: unknown;
    try {
      result = request.type === "refresh"
        // Tokens are checked against the wall clock (`exp` is epoch seconds), not the edge's
        // monotonic clock, whose zero is the process's start: against that, every token was
        // still valid, an expired one included.
        ? refreshSession(hub, context.verifier, session.id, request.data.token)
        : hub.handle(session.id, request);
    } catch (err) {
      return failed(id, request.type, err);
    }
    if (result instanceof Promise) {
      result.then(
        (data) => request.id !== undefined && send(replyOk(request.id, data)),
        (err) => failed(id, request.type, err),
      );
    } else if (request.id !== undefined) send(replyOk(request.id, result));
  };

  // Only a close with 1000 says the client is done; anything else may be a blip to resume from.
  socket.onclose = (event: CloseEvent) => {
    releaseIdleTimer(socket);
    if (!gone) metrics.counts?.closed(event.code, false);
    const id = forget(event.code === CLOSE_CODES.normal);
    if (id) log.debug("disconnected", { session: id, code: event.code });
  };

  socket.onerror = (event) => {
    log.debug("socket error", { error: (event as ErrorEvent).message });
  };
}
