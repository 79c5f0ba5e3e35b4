/**
 * The lives of this node's sessions: a new session on connect, away when its connection drops,
 * back on a resume here, and ended by a clean close, by the resume window running out, or by an
 * overflowing replay buffer. Sessions that move between nodes go through `moves.ts`, which builds
 * on the steps here.
 *
 * While a session is away it keeps its rooms and conversations; the replayable events sent to it
 * (see `REPLAYED_EVENTS`) queue in its own buffer, at most `resumeBuffer` of them, and are sent
 * right after the resumed `welcome`. A buffer per session, rather than room streams read back on
 * resume, keeps one order for room messages and DM events alike, and costs nothing for sessions
 * that never drop; room streams fill the gap only when a session moves between nodes.
 *
 * It runs a little past 300 lines because every step of a session's life, token expiry included,
 * is here, for `moves.ts` and the hub to build on.
 *
 * @module
 */

import type { Registry } from "../cluster/seam.ts";
import { CLOSE_CODES, defaultName, LOBBY, REPLAYED_EVENTS } from "../protocol/mod.ts";
import type { Conversations } from "./conversations.ts";
import type { Rooms } from "./rooms.ts";
import { encodeEvent, type Identity, type Link, member, type Session } from "./session.ts";
import { Expiry } from "./expiry.ts";
import type { Timers } from "./timers.ts";
import { ResumeTokens } from "./tokens.ts";

export interface SessionsOptions {
  /** This node's sessions, shared with the modules that read them. */
  sessions: Map<string, Session>;
  registry: Registry;
  rooms: Rooms;
  dms: Conversations;
  timers: Timers;
  now: () => number;
  newId: () => string;
  heartbeatMs: number;
  /** How long an away session waits to be resumed; 0 ends sessions with their connection. */
  resumeTtlMs: number;
  /** Events an away session may miss before its resume can no longer be whole. */
  resumeBuffer: number;
}

const REPLAYED: ReadonlySet<string> = new Set(REPLAYED_EVENTS);

/** Whether a frame made by `encodeEvent` is one a resumed session gets replayed. */
export function replayed(frame: string): boolean {
  // The type follows `{"type":"` up to the next quote.
  return REPLAYED.has(frame.slice(9, frame.indexOf('"', 9)));
}

export class Sessions {
  readonly tokens = new ResumeTokens();
  /** Sessions with a token end when it expires. */
  readonly expiry: Expiry;
  readonly #options: SessionsOptions;
  #away = 0;

  constructor(options: SessionsOptions) {
    this.#options = options;
    this.expiry = new Expiry({
      timers: options.timers,
      now: options.now,
      expired: (session) => {
        const link = session.link;
        // Ended first, so that the edge finds no session to keep away as its socket closes.
        this.end(session.id);
        link?.close(CLOSE_CODES.tokenExpired, "Token expired");
      },
    });
  }

  /** Sessions with a connection: away ones do not count. */
  get connected(): number {
    return this.#options.sessions.size - this.#away;
  }

  /** Whether resume is on. */
  get resumable(): boolean {
    return this.#options.resumeTtlMs > 0;
  }

  /**
   * A new session in the lobby for `link`, of the user its token names (none: anonymous), and
   * with the token's name if it has one; `welcome` goes out once the other nodes count it.
   */
  open(link: Link, identity?: Identity): Session {
    const { registry, rooms, now } = this.#options;
    const id = this.#options.newId();
    const name = identity?.name ?? defaultName(id);
    const session = this.create(id, name, now(), identity?.userId ?? null, identity);
    session.link = link;
    const registered = registry.sessionOpened(member(session), session.connectedAt);
    if (registered) {
      // Frames for the session wait behind its welcome, so a welcomed client is already counted
      // everywhere.
      registered.then(() => {
        if (session.link === link) this.flush(session, false);
      });
    } else {
      this.flush(session, false);
    }
    rooms.join(session, LOBBY);
    return session;
  }

  /**
   * Resumes a session of this node on `link` if `secret` is its token's, and `identity`, when the
   * connection presented one, is of the session's user (its claims replace the session's): answers
   * false when not, or when the session can no longer be resumed whole (it ends then).
   */
  resume(session: Session, secret: string, link: Link, identity?: Identity): boolean {
    if (!this.tokens.check(session.id, secret)) return false;
    if (identity && identity.userId !== session.userId) return false;
    if (session.away?.overflowed) {
      this.end(session.id);
      return false;
    }
    const previous = session.link;
    const frames = session.away?.frames ?? [];
    const wasAway = this.settle(session);
    session.link = link;
    // The old connection must not report its end as this session's: the link no longer matches.
    previous?.close(CLOSE_CODES.replaced, "Replaced by a resumed connection");
    session.held = frames;
    if (identity) session.identity = identity;
    this.flush(session, true);
    // Told again of a token about to expire, which an away session could not hear.
    this.expiry.arm(session);
    if (wasAway) this.back(session);
    return true;
  }

  /**
   * The connection `link` of session `id` ended. A clean end, resume being off, or no token out
   * yet ends the session; otherwise it goes away and waits. A link that a resume already replaced
   * is ignored.
   */
  detach(id: string, link: Link, clean: boolean): void {
    const session = this.#options.sessions.get(id);
    if (!session || session.link !== link) return;
    // A session whose welcome never went out has no token anyone could resume it with.
    if (clean || !this.resumable || !this.tokens.hash(id)) return this.end(id);
    session.link = undefined;
    this.goAway(session, this.#options.now() + this.#options.resumeTtlMs);
    this.#options.registry.sessionAway(id);
    this.#options.rooms.presence(session, "away");
    this.#options.dms.notifyPeers(session, "dm_away");
  }

  /**
   * Removes a session and everything that refers to it: room memberships (members are told with
   * `presence` leave) and conversations (the other sides get `dm_closed` "disconnected").
   * Safe to call twice.
   */
  end(id: string): void {
    const { sessions, rooms, dms, registry } = this.#options;
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    this.settle(session);
    this.expiry.clear(id);
    session.link = undefined;
    session.held = undefined;
    this.tokens.revoke(id);
    for (const room of session.rooms) rooms.leave(session, room);
    dms.ended(session);
    registry.sessionClosed(id);
  }

  /** Forgets every session without telling anyone, as a stopping hub does. */
  close(): void {
    for (const session of this.#options.sessions.values()) this.settle(session);
    this.expiry.stop();
    this.tokens.clear();
  }

  // The steps that `moves.ts` builds on.

  /**
   * A session registered here with nothing in it yet, holding its frames until flushed; its
   * token's clock runs from now.
   */
  create(
    id: string,
    name: string,
    connectedAt: number,
    userId: string | null,
    identity?: Identity,
  ): Session {
    const session: Session = {
      id,
      userId,
      identity,
      name,
      connectedAt,
      send: (frame) => {
        if (session.held) session.held.push(frame);
        else if (session.link) session.link.send(frame);
        else if (session.away) this.#buffer(session, frame);
      },
      link: undefined,
      held: [],
      away: undefined,
      rooms: new Set(),
      peers: new Map(),
      outgoing: new Map(),
      incoming: new Map(),
    };
    this.#options.sessions.set(id, session);
    this.expiry.arm(session);
    return session;
  }

  /**
   * Ends the hold: a connected session gets its `welcome`, then the held frames; an away one
   * keeps the replayable ones in its buffer.
   */
  flush(session: Session, resumed: boolean): void {
    const held = session.held ?? [];
    session.held = undefined;
    if (session.link) {
      this.#welcome(session, resumed);
      for (const frame of held) session.link.send(frame);
    } else if (session.away) {
      for (const frame of held) this.#buffer(session, frame);
    }
  }

  /** Writes the session's record again (its claims changed), when it has one to resume by. */
  saved(session: Session): void {
    const hash = this.tokens.hash(session.id);
    if (!this.resumable || hash === "") return;
    this.#options.registry.sessionSaved(
      member(session),
      session.connectedAt,
      () => hash,
      session.identity,
    );
  }

  /** Starts an away spell that ends the session at `until`. */
  goAway(session: Session, until: number): void {
    const id = session.id;
    const wait = Math.max(0, until - this.#options.now());
    session.away = {
      timer: this.#options.timers.setTimeout(() => this.end(id), wait),
      until,
      frames: [],
      overflowed: false,
    };
    this.#away++;
  }

  /** Tells the session's rooms and peers that it is back. */
  back(session: Session): void {
    this.#options.registry.sessionBack(session.id, session.name);
    this.#options.rooms.presence(session, "back");
    this.#options.dms.notifyPeers(session, "dm_back");
  }

  /** Ends an away spell, if any: disarms the timer; true if the session was away. */
  settle(session: Session): boolean {
    if (!session.away) return false;
    this.#options.timers.clearTimeout(session.away.timer);
    session.away = undefined;
    this.#away--;
    return true;
  }

  /** Drops a session that moved to another node, telling nobody here. */
  forget(session: Session): void {
    this.#options.sessions.delete(session.id);
    this.settle(session);
    this.expiry.clear(session.id);
    this.tokens.revoke(session.id);
    session.held = undefined;
  }

  /** Keeps one missed event for the replay; the one that overflows the buffer ends the session. */
  #buffer(session: Session, frame: string): void {
    const away = session.away!;
    if (away.overflowed || !replayed(frame)) return;
    away.frames.push(frame);
    if (away.frames.length <= this.#options.resumeBuffer) return;
    // The replay could no longer be whole: the session ends, as a disconnect ends it. Not in this
    // call, which may be in the middle of a fan-out over the session's rooms.
    away.overflowed = true;
    away.frames.length = 0;
    queueMicrotask(() => this.end(session.id));
  }

  #welcome(session: Session, resumed: boolean): void {
    const { resumeTtlMs, registry } = this.#options;
    let resumeToken = "";
    // A connection already gone gets no token: nobody could resume its session with it.
    if (resumeTtlMs > 0 && !session.link!.gone) {
      const issued = this.tokens.issue(session.id);
      resumeToken = issued.token;
      registry.sessionSaved(
        member(session),
        session.connectedAt,
        () => issued.hash,
        session.identity,
      );
    }
    session.link!.send(encodeEvent("welcome", {
      sessionId: session.id,
      userId: session.userId,
      name: session.name,
      connectedAt: session.connectedAt,
      serverTime: this.#options.now(),
      heartbeatMs: this.#options.heartbeatMs,
      resumeToken,
      resumeTtlMs,
      resumed,
      nameLocked: session.identity?.name !== undefined,
    }));
  }
}
