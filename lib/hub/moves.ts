/**
 * Sessions that move between nodes, so a client can resume on any node of a deployment:
 *
 * - a resume token for a session of another node: this node claims the session through the
 *   cluster's handover, takes its state, and resumes it here;
 * - a claim from another node: this node lets the session go, with no word to anyone, and hands
 *   over its state (the events it missed, where its room replays start);
 * - a node that stops hands every session's state to the cluster ({@link Moves.evacuate}), and
 *   the node that adopts them, or a node that reaps a dead one, takes them in away.
 *
 * Taking a session in is one path for all of these ({@link Moves.take}): its rooms are joined
 * here silently (to the others it never left), the room messages it missed on its old node are
 * read back from the room streams after the last one that node delivered, and the frames that
 * arrive meanwhile wait behind them, without duplicates, so the replay is whole and in order, or
 * the session ends.
 *
 * @module
 */

import type { Cluster, SessionState, Signal } from "../cluster/seam.ts";
import { CLOSE_CODES, type StreamPosition } from "../protocol/mod.ts";
import type { Conversations } from "./conversations.ts";
import { chatPosition, type Rooms } from "./rooms.ts";
import { encodeEvent, type Identity, type Link, type Session } from "./session.ts";
import { replayed, type Sessions } from "./sessions.ts";
import { parseToken } from "./tokens.ts";

export interface MovesOptions {
  sessions: Map<string, Session>;
  lives: Sessions;
  rooms: Rooms;
  dms: Conversations;
  cluster: Cluster;
  now: () => number;
  resumeTtlMs: number;
  resumeBuffer: number;
}

export class Moves {
  readonly #options: MovesOptions;
  /** Sessions being taken in: a claim for one of them waits for it. */
  readonly #taking = new Map<string, Promise<Session | undefined>>();
  /** Set once this node started handing its sessions over as it stops. */
  #stopping = false;

  constructor(options: MovesOptions) {
    this.#options = options;
  }

  /**
   * The session a resume token names, resumed on `link`: here, or claimed from another node.
   * Undefined when the token resumes nothing, or the connection presented the `identity` of
   * another user than the session's; the caller opens a new session then.
   */
  resume(
    link: Link,
    token: string,
    identity?: Identity,
  ): Session | undefined | Promise<Session | undefined> {
    const parsed = parseToken(token);
    if (!parsed || !this.#options.lives.resumable) return undefined;
    const { sessionId, secret } = parsed;
    // Halfway through being taken in, the session is listed here but not whole yet.
    if (this.#taking.has(sessionId)) return this.#local(sessionId, secret, link, identity);
    const local = this.#options.sessions.get(sessionId);
    if (local) return this.#options.lives.resume(local, secret, link, identity) ? local : undefined;
    if (!this.#options.cluster.handover.claim) return undefined;
    return this.#claim(sessionId, secret, link, identity);
  }

  /**
   * Lets a local session go to the node its client resumed on, if `secret` is its token's:
   * answers its state; signals that still come here for it go to `forward`.
   */
  async release(
    sessionId: string,
    secret: string,
    forward: (signal: Signal) => void,
  ): Promise<SessionState | null | "retry"> {
    // Stopping: every session is being saved for another node to adopt; the claimer waits for
    // that rather than get half of one.
    if (this.#stopping) return "retry";
    await this.#taking.get(sessionId);
    const { sessions, lives, rooms, dms, cluster } = this.#options;
    const session = sessions.get(sessionId);
    if (!session || !lives.tokens.check(sessionId, secret)) return null;
    const state = await this.#state(session);
    // The state was read across an await: a session that ended meanwhile, or that its client
    // resumed here with this same token, is not handed on.
    if (sessions.get(sessionId) !== session || !lives.tokens.check(sessionId, secret)) return null;
    lives.forget(session);
    rooms.release(session);
    dms.moved(session, forward);
    cluster.registry.sessionReleased(sessionId, state.rooms);
    session.link?.close(CLOSE_CODES.replaced, "Replaced by a resumed connection");
    session.link = undefined;
    return state;
  }

  /**
   * Lets go of sessions another node adopted while this one was cut off: nobody is told, since
   * to the others they never left, and their clients are told to resume at once (1012).
   */
  abandon(sessionIds: string[]): void {
    const { sessions, lives, rooms, dms, cluster } = this.#options;
    for (const id of sessionIds) {
      const session = sessions.get(id);
      if (!session) continue;
      lives.forget(session);
      rooms.release(session);
      dms.moved(session, (signal) => cluster.broker.signal(signal));
      cluster.registry.sessionReleased(id, [...session.rooms]);
      session.link?.close(CLOSE_CODES.serviceRestart, "Session moved to another node");
      session.link = undefined;
    }
  }

  /** The states of every session, as this node stops: each is away from now on. */
  async evacuate(): Promise<SessionState[]> {
    this.#stopping = true;
    const { sessions, now, resumeTtlMs } = this.#options;
    const states: SessionState[] = [];
    for (const session of [...sessions.values()]) {
      const state = await this.#state(session);
      state.awayUntil ??= now() + resumeTtlMs;
      states.push(state);
    }
    return states;
  }

  /** Sessions of a node that stopped or died, now this node's: away until resumed. */
  async adopt(states: SessionState[]): Promise<void> {
    await Promise.all(states.map((state) => this.take(state)));
  }

  /**
   * Takes a session in: resumed on `link`, or away until its window closes. Undefined when its
   * replay could not be whole; the session has ended then, as a disconnect ends one.
   */
  take(state: SessionState, link?: Link): Promise<Session | undefined> {
    const taking = this.#take(state, link).finally(() => this.#taking.delete(state.sessionId));
    this.#taking.set(state.sessionId, taking);
    return taking;
  }

  async #claim(
    sessionId: string,
    secret: string,
    link: Link,
    identity: Identity | undefined,
  ): Promise<Session | undefined> {
    const claimed = await this.#options.cluster.handover.claim!(sessionId, secret);
    if (claimed === null) {
      // An answer that came after the claim stopped waiting is taken in here anyway, since its
      // node has let the session go; asked again, that node has nothing, so the claim ends empty
      // while the session is (being) taken in here.
      const here = this.#taking.has(sessionId) || this.#options.sessions.has(sessionId);
      return here ? await this.#local(sessionId, secret, link, identity) : undefined;
    }
    // Adopted here meanwhile (its node stopped or died): an ordinary resume from here on.
    if (claimed === "local") return await this.#local(sessionId, secret, link, identity);
    if (identity && identity.userId !== claimed.userId) {
      // The secret's holder came with another user's token: the session moved here already, so
      // it stays, away, for a connection of its own user.
      await this.take(claimed);
      return undefined;
    }
    return await this.take(identity ? { ...claimed, identity } : claimed, link);
  }

  /** Resumes a session of this node once it is whole here. */
  async #local(
    sessionId: string,
    secret: string,
    link: Link,
    identity: Identity | undefined,
  ): Promise<Session | undefined> {
    await this.#taking.get(sessionId);
    const { sessions, lives } = this.#options;
    const local = sessions.get(sessionId);
    if (!local) return undefined;
    // A client that left while it waited never sees a welcome: the session stays as it is, and
    // the token the client still has still works.
    if (link.gone) return lives.tokens.check(sessionId, secret) ? local : undefined;
    return lives.resume(local, secret, link, identity) ? local : undefined;
  }

  async #take(state: SessionState, link?: Link): Promise<Session | undefined> {
    const { sessions, lives, rooms, dms, cluster, now } = this.#options;
    if (sessions.has(state.sessionId)) return undefined;
    const { sessionId, name, connectedAt, userId, identity } = state;
    const session = lives.create(sessionId, name, connectedAt, userId, identity);
    lives.tokens.adopt(state.sessionId, state.secretHash);
    if (!link) lives.goAway(session, state.awayUntil ?? now() + this.#options.resumeTtlMs);
    dms.import(session, state);
    // Joined first, so that every message from here on reaches the session; the ones before
    // come from the streams, from where its old node left off.
    await Promise.all(state.rooms.map((room) => rooms.adopt(session, room)));
    await cluster.registry.sessionAdopted(state, !link);
    const missed = await this.#missed(state);
    const late = await cluster.handover.drain(state.sessionId);
    if (!missed || sessions.get(state.sessionId) !== session) {
      lives.end(state.sessionId);
      // It may have ended while being listed here (its window ran out), its entries removed
      // before `sessionAdopted` wrote them.
      cluster.registry.sessionClosed(state.sessionId);
      return undefined;
    }
    session.held = [...state.frames, ...missed.frames, ...unseen(session.held ?? [], missed.last)];
    if (link && !link.gone) {
      session.link = link;
      lives.flush(session, true);
      if (state.awayUntil !== undefined) lives.back(session);
    } else {
      // A client that left while its session moved here never sees a welcome: the session waits
      // away instead, resumable with the token the client still has.
      if (link) lives.goAway(session, now() + this.#options.resumeTtlMs);
      lives.flush(session, false);
      if (link || state.awayUntil === undefined) cluster.registry.sessionAway(session.id);
      // Its old node died with it connected, or its client left: to the others it is away now.
      if (state.awayUntil === undefined) {
        rooms.presence(session, "away");
        dms.notifyPeers(session, "dm_away");
      }
    }
    for (const signal of late) dms.receive(signal);
    return sessions.get(state.sessionId) === session ? session : undefined;
  }

  /**
   * The room messages a moving session missed after its old node's last delivery, as frames in
   * room order, with the last offset read per room; null when they cannot all be replayed.
   */
  async #missed(
    state: SessionState,
  ): Promise<{ frames: string[]; last: Map<string, StreamPosition> } | null> {
    if (state.lost) return null;
    const frames: string[] = [];
    const last = new Map<string, StreamPosition>();
    let budget = this.#options.resumeBuffer - state.frames.length;
    for (const room of state.rooms) {
      const from = state.lastOffsets[room];
      if (!from) continue;
      const messages = await this.#options.cluster.streams.since(room, from, Math.max(0, budget));
      if (messages === null) return null;
      budget -= messages.length;
      for (const message of messages) frames.push(encodeEvent("chat", message));
      last.set(room, messages.at(-1) ?? from);
    }
    return { frames, last };
  }

  async #state(session: Session): Promise<SessionState> {
    const { rooms, dms, cluster, lives } = this.#options;
    // Rooms with no delivery here yet start where their streams stand. Those reads come first:
    // past them nothing waits, so the offsets and the missed frames are taken at one moment and
    // a message delivered meanwhile is in exactly one of them.
    const streamAt = new Map<string, StreamPosition>();
    for (const room of session.rooms) {
      if (!rooms.lastDelivered(room)) streamAt.set(room, await cluster.streams.position(room));
    }
    const lastOffsets: Record<string, StreamPosition> = {};
    for (const room of session.rooms) {
      const at = rooms.lastDelivered(room) ?? streamAt.get(room);
      if (at) lastOffsets[room] = at;
    }
    return {
      sessionId: session.id,
      userId: session.userId,
      name: session.name,
      connectedAt: session.connectedAt,
      identity: session.identity,
      // What leaves the node stands for the secret: it checks it, but resumes nothing itself.
      secretHash: lives.tokens.hash(session.id),
      rooms: [...session.rooms],
      ...dms.export(session),
      frames: [...session.away?.frames ?? []].filter(replayed),
      lastOffsets,
      awayUntil: session.away?.until,
    };
  }
}

/** The frames held during a move, less the room messages the replay from the streams has. */
function unseen(held: string[], last: Map<string, StreamPosition>): string[] {
  return held.filter((frame) => {
    const position = chatPosition(frame);
    if (!position) return true;
    const room = frame.slice(31, frame.indexOf('"', 31));
    const seen = last.get(room);
    return !seen || seen.epoch !== position.epoch || position.offset > seen.offset;
  });
}
