/**
 * The lives of this node's sessions: a new session on connect, a resumed one when the client
 * brings a live resume token, away when its connection drops, back on resume, and ended by a clean
 * close, by the resume window running out, or by an overflowing replay buffer.
 *
 * While a session is away it keeps its rooms and conversations; the replayable events sent to it
 * (see `REPLAYED_EVENTS`) queue in its own buffer, at most `resumeBuffer` of them, and are sent
 * right after the resumed `welcome`. A buffer per session, rather than room streams read back on
 * resume, keeps one order for room messages and DM events alike, and costs nothing for sessions
 * that never drop.
 *
 * @module
 */

import type { Registry } from "../cluster/seam.ts";
import { defaultName, LOBBY, REPLAYED_EVENTS } from "../protocol/mod.ts";
import type { Conversations } from "./conversations.ts";
import type { Rooms } from "./rooms.ts";
import { encodeEvent, type Link, type Session } from "./session.ts";
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

/** The close code for a connection that another one, resuming its session, replaced. */
const REPLACED = 4009;

const REPLAYED: ReadonlySet<string> = new Set(REPLAYED_EVENTS);

/** Frames held back until the welcome goes out; undefined once it has. */
interface Hold {
  frames: string[] | undefined;
}

/** The type of an event frame made by `encodeEvent`: it follows `{"type":"` up to the quote. */
function eventType(frame: string): string {
  return frame.slice(9, frame.indexOf('"', 9));
}

export class Sessions {
  readonly #options: SessionsOptions;
  readonly #tokens = new ResumeTokens();
  #away = 0;

  constructor(options: SessionsOptions) {
    this.#options = options;
  }

  /** Sessions with a connection: away ones do not count. */
  get connected(): number {
    return this.#options.sessions.size - this.#away;
  }

  /**
   * A session for a new connection: the one `resumeToken` names when it can be resumed whole,
   * otherwise a new one. Sends `welcome` first, then any replay, then live events.
   */
  connect(link: Link, resumeToken?: string): Session {
    const resumed = resumeToken === undefined ? undefined : this.#resume(link, resumeToken);
    return resumed ?? this.#open(link);
  }

  /**
   * The connection `link` of session `id` ended. A clean end, or resume being off, ends the
   * session; otherwise it goes away and waits. A link that a resume already replaced is ignored.
   */
  detach(id: string, link: Link, clean: boolean): void {
    const session = this.#options.sessions.get(id);
    if (!session || session.link !== link) return;
    if (clean || this.#options.resumeTtlMs <= 0) return this.end(id);
    session.link = undefined;
    session.away = {
      timer: this.#options.timers.setTimeout(() => this.end(id), this.#options.resumeTtlMs),
      frames: [],
      overflowed: false,
    };
    this.#away++;
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
    this.#settle(session);
    session.link = undefined;
    this.#tokens.revoke(id);
    for (const room of session.rooms) rooms.leave(session, room);
    dms.ended(session);
    registry.sessionClosed(id);
  }

  /** Forgets every session without telling anyone, as a stopping hub does. */
  close(): void {
    for (const session of this.#options.sessions.values()) this.#settle(session);
    this.#tokens.clear();
  }

  #open(link: Link): Session {
    const { sessions, registry, rooms, now } = this.#options;
    const id = this.#options.newId();
    const name = defaultName(id);
    const connectedAt = now();
    const registered = registry.sessionOpened(id, name);
    // The welcome waits until the other nodes count the session, and frames for it wait behind
    // the welcome, so a welcomed client is already counted everywhere.
    const hold: Hold = { frames: registered ? [] : undefined };
    const session = this.#session(id, name, connectedAt, link, hold);
    sessions.set(id, session);
    if (registered) {
      registered.then(() => {
        const frames = hold.frames!;
        hold.frames = undefined;
        if (session.link !== link) return;
        this.#welcome(session, false);
        for (const frame of frames) link.send(frame);
      });
    } else {
      this.#welcome(session, false);
    }
    rooms.join(session, LOBBY);
    return session;
  }

  #resume(link: Link, token: string): Session | undefined {
    const id = this.#tokens.redeem(token);
    const session = id === undefined ? undefined : this.#options.sessions.get(id);
    if (!session) return undefined;
    if (session.away?.overflowed) {
      this.end(session.id);
      return undefined;
    }
    const previous = session.link;
    const frames = session.away?.frames ?? [];
    const wasAway = this.#settle(session);
    session.link = link;
    // The old connection must not report its end as this session's: the link no longer matches.
    previous?.close(REPLACED, "Replaced by a resumed connection");
    this.#welcome(session, true);
    for (const frame of frames) link.send(frame);
    if (wasAway) {
      this.#options.registry.sessionBack(session.id, session.name);
      this.#options.rooms.presence(session, "back");
      this.#options.dms.notifyPeers(session, "dm_back");
    }
    return session;
  }

  /** Ends an away spell, if any: disarms the timer; true if the session was away. */
  #settle(session: Session): boolean {
    if (!session.away) return false;
    this.#options.timers.clearTimeout(session.away.timer);
    session.away = undefined;
    this.#away--;
    return true;
  }

  #welcome(session: Session, resumed: boolean): void {
    const { resumeTtlMs } = this.#options;
    session.link?.send(encodeEvent("welcome", {
      sessionId: session.id,
      name: session.name,
      connectedAt: session.connectedAt,
      serverTime: this.#options.now(),
      heartbeatMs: this.#options.heartbeatMs,
      resumeToken: resumeTtlMs > 0 ? this.#tokens.issue(session.id) : "",
      resumeTtlMs,
      resumed,
    }));
  }

  #session(id: string, name: string, connectedAt: number, link: Link, hold: Hold): Session {
    const session: Session = {
      id,
      name,
      connectedAt,
      send: (frame) => {
        if (session.link) {
          if (hold.frames) hold.frames.push(frame);
          else session.link.send(frame);
          return;
        }
        const away = session.away;
        if (!away || away.overflowed || !REPLAYED.has(eventType(frame))) return;
        away.frames.push(frame);
        if (away.frames.length <= this.#options.resumeBuffer) return;
        // The replay could no longer be whole: the session ends, as a disconnect ends it. Not in
        // this call, which may be in the middle of a fan-out over the session's rooms.
        away.overflowed = true;
        away.frames.length = 0;
        queueMicrotask(() => this.end(id));
      },
      link,
      away: undefined,
      rooms: new Set(),
      peers: new Map(),
      outgoing: new Map(),
      incoming: new Map(),
    };
    return session;
  }
}
