/**
 * Direct-message conversations: the consent handshake, messages, endings and expiry, on one node
 * or across nodes. Each session's own node keeps its side of every conversation (`peers`,
 * `outgoing` and `incoming` on the {@link Session}); every step travels to the other side as a
 * {@link Signal}, even when both sides are local, so one code path serves both cases. Each side
 * changes only its own session's state, and answers a step it cannot take with a `dm_end`, so the
 * two sides converge whatever order the signals arrive in.
 *
 * It runs past 300 lines because both sides of the handshake change the same state under the same
 * rules; split in two, one state machine would be spread over two files.
 *
 * @module
 */

import type { Broker, ConversationEntry, Registry, SessionState, Signal } from "../cluster/seam.ts";
import { type CloseReason, LIMITS, type ReplyData } from "../protocol/mod.ts";
import { encodeEvent, HubError, type Session, type TimerId } from "./session.ts";
import type { Timers } from "./timers.ts";

export interface ConversationsOptions {
  /** This node's sessions. */
  sessions: ReadonlyMap<string, Session>;
  broker: Broker;
  registry: Registry;
  /** How long a DM request waits for an answer. */
  requestTtlMs: number;
  timers: Timers;
  /** Epoch milliseconds, for message timestamps. */
  now: () => number;
  /** Message ids, increasing in the order they are made. */
  newId: () => string;
  /** Ends a session here for the server API; its signal is routed with the DM signals. */
  disconnect: (signal: Extract<Signal, { kind: "disconnect" }>) => void;
}

/** How long signals for a session that moved to another node are handed on from here. */
const MOVED_FORWARD_MS = 60_000;

export class Conversations {
  readonly #options: ConversationsOptions;
  /** Sessions that moved to another node: where their late signals go, until the timer. */
  readonly #moved = new Map<string, { forward: (signal: Signal) => void; timer: TimerId }>();

  constructor(options: ConversationsOptions) {
    this.#options = options;
  }

  /** Everyone `session` has a conversation or a pending request with, each once. */
  partners(session: Session): Set<string> {
    return new Set([
      ...session.peers.keys(),
      ...session.outgoing.keys(),
      ...session.incoming.keys(),
    ]);
  }

  // The requests. Each refuses with a HubError; some need the registry to tell "gone" from "no".

  async request(s: Session, to: string): Promise<ReplyData<"dm_request">> {
    this.#notSelf(s, to, "data.to");
    if (s.peers.has(to)) return { to, status: "accepted" };
    // Both asked each other: that is consent on both sides.
    const name = s.incoming.get(to);
    if (name !== undefined) {
      this.#consent(s, to, name);
      return { to, status: "accepted" };
    }
    if (s.outgoing.has(to)) return { to, status: "pending" };
    if (s.outgoing.size >= LIMITS.maxPendingDmRequests) {
      throw new HubError(
        "too_many",
        `At most ${LIMITS.maxPendingDmRequests} DM requests may wait for an answer at once`,
      );
    }
    // The slot is taken before the other nodes are asked, so pipelined requests cannot all pass
    // the limit while the lookups are in flight.
    this.#arm(s, to, this.#options.now() + this.#options.requestTtlMs);
    try {
      await this.#mustExist(to);
    } catch (err) {
      this.#dropOutgoing(s, to);
      this.#record(s, to);
      throw err;
    }
    // The session may have gone, or the request been answered, while the others were asked.
    if (!this.#options.sessions.has(s.id)) {
      throw new HubError("not_found", "Session is no longer connected");
    }
    if (s.outgoing.has(to)) {
      this.#signal({ kind: "dm_request", to, from: s.id, userId: s.userId, name: s.name });
    }
    return { to, status: s.peers.has(to) ? "accepted" : "pending" };
  }

  accept(s: Session, from: string): ReplyData<"dm_accept"> | Promise<ReplyData<"dm_accept">> {
    this.#notSelf(s, from, "data.from");
    const known = s.peers.get(from);
    if (known !== undefined) return { with: from, name: known };
    const name = s.incoming.get(from);
    if (name === undefined) return this.#noRequest(from);
    this.#consent(s, from, name);
    return { with: from, name };
  }

  decline(s: Session, from: string): ReplyData<"dm_decline"> | Promise<never> {
    this.#notSelf(s, from, "data.from");
    if (!s.incoming.delete(from)) return this.#noRequest(from);
    this.#record(s, from);
    this.#signal({ kind: "dm_declined", to: from, from: s.id });
    return { with: from };
  }

  message(s: Session, to: string, text: string): ReplyData<"dm"> | Promise<never> {
    this.#notSelf(s, to, "data.to");
    if (!s.peers.has(to)) {
      return this.#mustExist(to).then(() => {
        throw new HubError("not_connected", `No accepted conversation with ${to}`);
      });
    }
    const msgId = this.#options.newId();
    const ts = this.#options.now();
    this.#signal({ kind: "dm", to, from: s.id, userId: s.userId, name: s.name, text, msgId, ts });
    return { msgId, ts };
  }

  close(s: Session, other: string): ReplyData<"dm_close"> | Promise<never> {
    this.#notSelf(s, other, "data.with");
    if (!this.#forget(s, other)) {
      return this.#mustExist(other).then(() => {
        throw new HubError("not_connected", `No conversation with ${other}`);
      });
    }
    this.#closed(s, other, "closed");
    this.#signal({ kind: "dm_end", to: other, from: s.id, reason: "closed" });
    return { with: other };
  }

  // What happens to a session's conversations when it, or its partners, go.

  /** `session` disconnected: every partner hears the conversation ended. */
  ended(session: Session): void {
    const partners = this.partners(session);
    this.#stopTimers(session);
    for (const other of partners) {
      this.#signal({ kind: "dm_end", to: other, from: session.id, reason: "disconnected" });
    }
  }

  /** Every peer of `session` hears that its connection dropped or came back. */
  notifyPeers(session: Session, kind: "dm_away" | "dm_back"): void {
    for (const peer of session.peers.keys()) this.#signal({ kind, to: peer, from: session.id });
  }

  /** Sessions of another node vanished: local partners hear their conversations ended. */
  gone(ids: ReadonlySet<string>): void {
    for (const session of this.#options.sessions.values()) {
      if (session.peers.size + session.outgoing.size + session.incoming.size === 0) continue;
      for (const id of ids) {
        if (this.#forget(session, id)) this.#closed(session, id, "disconnected");
      }
    }
  }

  /**
   * Mends what an outage broke. Reaped: the other nodes ended every conversation with this node's
   * sessions, so this side ends those with partners elsewhere too and tells them. Not reaped: a
   * signal that ended a conversation may have been lost, so each partner on another node is
   * looked up, and the gone are let go.
   */
  async reconcile(reaped: boolean): Promise<void> {
    const { sessions, registry } = this.#options;
    for (const session of [...sessions.values()]) {
      for (const partner of this.partners(session)) {
        if (sessions.has(partner)) continue;
        if (!reaped && await registry.locate(partner)) continue;
        if (!this.#forget(session, partner)) continue;
        this.#closed(session, partner, "disconnected");
        if (reaped) {
          this.#options.broker.signal({
            kind: "dm_end",
            to: partner,
            from: session.id,
            reason: "disconnected",
          });
        }
      }
    }
  }

  /** What the session's conversations are, for moving it to another node. */
  export(session: Session): Pick<SessionState, "peers" | "incoming" | "outgoing"> {
    return {
      peers: [...session.peers],
      incoming: [...session.incoming],
      outgoing: [...session.outgoing].map(([to, pending]) => [to, pending.expiresAt]),
    };
  }

  /** Takes over the conversations of a session that moved here; its requests expire on time. */
  import(session: Session, state: Pick<SessionState, "peers" | "incoming" | "outgoing">): void {
    // Back here: its signals must not be handed on to where it was, which would hand them back.
    this.#unmove(session.id);
    for (const [peer, name] of state.peers) session.peers.set(peer, name);
    for (const [from, name] of state.incoming) session.incoming.set(from, name);
    for (const [to, expiresAt] of state.outgoing) this.#arm(session, to, expiresAt);
  }

  /**
   * The session moved to `node`'s hub: its timers stop here, and signals that still come here for
   * it (senders that have not heard it moved) are handed on by `forward` for a while.
   */
  moved(session: Session, forward: (signal: Signal) => void): void {
    this.#stopTimers(session);
    this.#unmove(session.id);
    const timer = this.#options.timers.setTimeout(
      () => this.#moved.delete(session.id),
      MOVED_FORWARD_MS,
    );
    this.#moved.set(session.id, { forward, timer });
  }

  /** Disarms every timer, as a stopping hub does. */
  stop(): void {
    for (const session of this.#options.sessions.values()) this.#stopTimers(session);
    for (const id of [...this.#moved.keys()]) this.#unmove(id);
  }

  /** Stops handing on the signals of a session that moved. */
  #unmove(id: string): void {
    this.#options.timers.clearTimeout(this.#moved.get(id)?.timer);
    this.#moved.delete(id);
  }

  /** The receiving side of every step; the target changes only its own state. */
  receive(signal: Signal): void {
    const target = this.#options.sessions.get(signal.to);
    if (!target) {
      const moved = this.#moved.get(signal.to);
      if (moved) return moved.forward(signal);
      // The target left while the signal travelled (or its end was lost in an outage): a request
      // or a message needs an answer, or the sender would go on talking to no one.
      if (signal.kind === "dm_request" || signal.kind === "dm") {
        this.#signal({ kind: "dm_end", to: signal.from, from: signal.to, reason: "disconnected" });
      }
      return;
    }
    if (signal.kind === "disconnect") return this.#options.disconnect(signal);
    const from = signal.from;
    switch (signal.kind) {
      case "dm_request":
        if (target.peers.has(from) || target.incoming.has(from)) return;
        // The two requests crossed between nodes: both sides have consented.
        if (target.outgoing.has(from)) return this.#consent(target, from, signal.name, true);
        target.incoming.set(from, signal.name);
        this.#record(target, from);
        target.send(encodeEvent("dm_request", { from, userId: signal.userId, name: signal.name }));
        return;
      case "dm_accepted":
        if (target.peers.has(from)) return;
        if (!target.outgoing.has(from)) {
          // Accepted after the request expired or was withdrawn: the conversation is off.
          this.#signal({ kind: "dm_end", to: from, from: target.id, reason: "closed" });
          return;
        }
        this.#consent(target, from, signal.name, true, false);
        return;
      case "dm_declined":
        if (!this.#dropOutgoing(target, from)) return;
        this.#record(target, from);
        target.send(encodeEvent("dm_declined", { with: from, reason: "declined" }));
        return;
      case "dm":
        if (!target.peers.has(from)) {
          // This side had ended the conversation, and the sender never heard.
          this.#signal({ kind: "dm_end", to: from, from: target.id, reason: "closed" });
          return;
        }
        target.send(encodeEvent("dm", {
          from,
          userId: signal.userId,
          name: signal.name,
          text: signal.text,
          msgId: signal.msgId,
          ts: signal.ts,
        }));
        return;
      case "dm_end":
        if (this.#forget(target, from)) this.#closed(target, from, signal.reason);
        return;
      case "dm_away":
      case "dm_back":
        if (target.peers.has(from)) target.send(encodeEvent(signal.kind, { with: from }));
        return;
    }
  }

  /** Delivers a signal here when its target is local, or hands it to the broker. */
  #signal(signal: Signal): void {
    if (this.#options.sessions.has(signal.to)) this.receive(signal);
    else this.#options.broker.signal(signal);
  }

  /**
   * `session` and `other` both consented: `other` becomes a peer. `tell` sends `session` the
   * `dm_accepted` event (it did not ask for this answer in a request of its own); `answer` tells
   * `other`, unless `other` is the one whose acceptance brought this about.
   */
  #consent(session: Session, other: string, name: string, tell = false, answer = true): void {
    this.#dropOutgoing(session, other);
    session.incoming.delete(other);
    session.peers.set(other, name);
    this.#record(session, other);
    if (tell) session.send(encodeEvent("dm_accepted", { with: other, name }));
    if (answer) {
      this.#signal({ kind: "dm_accepted", to: other, from: session.id, name: session.name });
    }
  }

  /** Withdraws `session`'s pending request to `other`; false if there was none. */
  #dropOutgoing(session: Session, other: string): boolean {
    this.#options.timers.clearTimeout(session.outgoing.get(other)?.timer);
    return session.outgoing.delete(other);
  }

  /** Sends `session`'s request to `to`, expiring at `expiresAt`. */
  #arm(session: Session, to: string, expiresAt: number): void {
    const wait = Math.max(0, expiresAt - this.#options.now());
    const timer = this.#options.timers.setTimeout(() => this.#expire(session, to), wait);
    session.outgoing.set(to, { timer, expiresAt });
    this.#record(session, to);
  }

  /**
   * Tells the registry where `session` stands with `other` now, so that the session can be
   * rebuilt on another node if this one dies.
   */
  #record(session: Session, other: string): void {
    let entry: ConversationEntry | null = null;
    const peer = session.peers.get(other);
    const incoming = session.incoming.get(other);
    const outgoing = session.outgoing.get(other);
    if (peer !== undefined) entry = { kind: "peer", name: peer };
    else if (incoming !== undefined) entry = { kind: "in", name: incoming };
    else if (outgoing !== undefined) entry = { kind: "out", expiresAt: outgoing.expiresAt };
    this.#options.registry.conversation(session.id, other, entry);
  }

  /** Drops any conversation or request between `session` and `other`; false if there was none. */
  #forget(session: Session, other: string): boolean {
    const outgoing = this.#dropOutgoing(session, other);
    const peer = session.peers.delete(other);
    const incoming = session.incoming.delete(other);
    const any = outgoing || peer || incoming;
    if (any) this.#record(session, other);
    return any;
  }

  #stopTimers(session: Session): void {
    for (const { timer } of session.outgoing.values()) this.#options.timers.clearTimeout(timer);
  }

  #expire(requester: Session, target: string): void {
    if (!requester.outgoing.delete(target)) return;
    this.#record(requester, target);
    requester.send(encodeEvent("dm_declined", { with: target, reason: "expired" }));
    this.#signal({ kind: "dm_end", to: target, from: requester.id, reason: "expired" });
  }

  #closed(session: Session, other: string, reason: CloseReason): void {
    session.send(encodeEvent("dm_closed", { with: other, reason }));
  }

  /** Refuses an operation on one's own session id. */
  #notSelf(self: Session, id: string, field: string): void {
    if (id === self.id) throw new HubError("bad_request", `${field} is your own session id`);
  }

  /** Resolves when `id` is connected somewhere in the deployment; `not_found` otherwise. */
  async #mustExist(id: string): Promise<void> {
    if (this.#options.sessions.has(id) || await this.#options.registry.locate(id)) return;
    throw new HubError("not_found", `No session ${id} is connected`);
  }

  /** Refuses an answer to a request that is not there: `not_found` if the asker is gone too. */
  #noRequest(from: string): Promise<never> {
    return this.#mustExist(from).then(() => {
      throw new HubError("no_request", `No DM request from ${from}`);
    });
  }
}
