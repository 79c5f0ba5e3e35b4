/**
 * The hub's {@link ClusterInbox}: what the cluster delivers to this node (room frames, signals,
 * renames, departures, sessions to adopt or let go) handed to the module that owns each, and the
 * snapshot of this node's sessions it reads back after an outage.
 *
 * @module
 */

import type { ClusterInbox, GoneSession } from "../cluster/seam.ts";
import type { Conversations } from "./conversations.ts";
import type { Moves } from "./moves.ts";
import type { Rooms } from "./rooms.ts";
import { encodeEvent, member, type Session } from "./session.ts";

export interface InboxParts {
  sessions: ReadonlyMap<string, Session>;
  rooms: Rooms;
  dms: Conversations;
  moves: Moves;
}

/** The inbox of a hub made of `parts`. */
export function hubInbox(parts: InboxParts): ClusterInbox {
  const { sessions, rooms, dms, moves } = parts;
  /**
   * Mends what an outage broke: conversations first; then, when the other nodes were told this
   * node's sessions were gone, its members are announced in their rooms again.
   */
  const reconcile = async (reaped: boolean) => {
    await dms.reconcile(reaped);
    if (reaped) { for (const session of sessions.values()) rooms.announce(session); }
  };
  return {
    room: (room, frame) => rooms.deliver(room, frame),
    signal: (signal) => dms.receive(signal),
    renamed: (sessionId, name, names) => {
      rooms.toRoommates(names, encodeEvent("renamed", { sessionId, name }));
    },
    gone: (gone) => {
      for (const session of gone) rooms.vanished(session);
      dms.gone(new Set(gone.map((g) => g.sessionId)));
    },
    resynced: (reaped) => void reconcile(reaped),
    release: (sessionId, secret, forward) => moves.release(sessionId, secret, forward),
    adopt: (states) => moves.adopt(states),
    abandon: (ids) => moves.abandon(ids),
    snapshot: (): GoneSession[] =>
      [...sessions.values()].map((s) => ({
        ...member(s),
        rooms: [...s.rooms],
        away: s.away !== undefined,
        connectedAt: s.connectedAt,
      })),
  };
}
