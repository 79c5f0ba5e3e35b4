/**
 * The cluster's Lua scripts, one file each under `scripts/`, as node-redis script commands: each
 * lays out its KEYS and ARGV and turns its reply into the cluster's own types. The client runs
 * them by SHA (`EVALSHA`); when Redis does not know a script (it restarted, or `SCRIPT FLUSH`),
 * the client sends the text once with `EVAL`, which loads it again. {@link SCRIPTS} go to
 * `createClient`; `connection.ts` also loads them when a connection becomes ready, so the first
 * calls need no fallback.
 *
 * The text is imported as a module (`with { type: "text" }`), so it is part of the module graph:
 * no read permission or path at run time, and `deno compile` embeds it.
 *
 * It runs past 300 lines because it holds one short definition per script; fifteen small entries
 * read better in one table than spread over files. The longer reply parsers are in `replies.ts`.
 *
 * @module
 */

import { type CommandParser, defineScript } from "redis";
import type { GoneSession } from "../seam.ts";
import type { Member, StreamPosition } from "../../protocol/mod.ts";
import { encodeNamed } from "./entries.ts";
import { parseGone, parseMembers, parseOrphans, parseUserSessions, position } from "./replies.ts";
import {
  admitKey,
  historyKey,
  inboxKey,
  NODE_AWAY_AROUND,
  NODE_SESSIONS_AROUND,
  nodeAway,
  nodeMembers,
  NODES,
  nodeSeen,
  nodeSessions,
  nodeSignals,
  nodeStates,
  ROOM_PREFIX,
  roomKey,
  ROOMS,
  SESSIONS,
  streamKey,
  USER_PREFIX,
  userKey,
} from "./keys.ts";
import admitLua from "./scripts/admit.lua" with { type: "text" };
import chatLua from "./scripts/chat.lua" with { type: "text" };
import countLua from "./scripts/count.lua" with { type: "text" };
import historyLua from "./scripts/history.lua" with { type: "text" };
import positionLua from "./scripts/position.lua" with { type: "text" };
import orphanLua from "./scripts/orphan.lua" with { type: "text" };
import sinceLua from "./scripts/since.lua" with { type: "text" };
import joinLua from "./scripts/join.lua" with { type: "text" };
import leaveLua from "./scripts/leave.lua" with { type: "text" };
import locateLua from "./scripts/locate.lua" with { type: "text" };
import membersLua from "./scripts/members.lua" with { type: "text" };
import reapLua from "./scripts/reap.lua" with { type: "text" };
import renameLua from "./scripts/rename.lua" with { type: "text" };
import signalLua from "./scripts/signal.lua" with { type: "text" };
import usersLua from "./scripts/users.lua" with { type: "text" };

/** What a read asks about the other nodes: who asks, and the oldest heartbeat still alive. */
export interface LiveView {
  self: string;
  aliveSince: number;
}

/** One session's membership of one room, written by the session's node. */
export interface Membership {
  node: string;
  room: string;
  sessionId: string;
}

export interface Rename {
  node: string;
  sessionId: string;
  userId: string | null;
  name: string;
  rooms: string[];
  /** Published on `channel` in the same step, so the rename and its news go together. */
  channel: string;
  message: string;
}

export interface Reap {
  node: string;
  /**
   * Only if the node is still listed with a heartbeat older than `aliveSince`, as the reaper of a
   * dead node asks, so a node that refreshed meanwhile is spared; otherwise unconditionally.
   */
  claim: boolean;
  aliveSince: number;
}

const done = (): void => {};

/** A signal for a session on `node` (`broker.ts`). */
export interface SignalSend {
  node: string;
  /** The session it is for. */
  to: string;
  channel: string;
  json: string;
  /** How long it is kept for an adopter, in ms. */
  ttlMs: number;
}

/** One chat message for a room's stream (`streams.ts`). */
export interface StreamAppend {
  room: string;
  /** The epoch to start with if the room has none. */
  epoch: string;
  historySize: number;
  historyTtlMs: number;
  channel: string;
  /** What goes before the frame on the channel. */
  prefix: string;
  /** The message's JSON without its closing brace; the script adds offset and epoch. */
  message: string;
}

/** A place asked for one connection of a user under `USER_CONNECTION_LIMIT` (`registry.ts`). */
export interface Place {
  userId: string;
  limit: number;
  /** Unique in the deployment: the place is given back by it. */
  id: string;
  /** How long it is held at most, if nobody gives it back. */
  ttlMs: number;
  /** The session a resume takes over, which does not count. */
  resuming?: string;
}

/** The script commands, by the name they get on a client. */
export const SCRIPTS = {
  /** Numbers, keeps and publishes a chat message. */
  hubChat: defineScript({
    SCRIPT: chatLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, append: StreamAppend) {
      parser.pushKeys([streamKey(append.room), historyKey(append.room)]);
      parser.push(
        append.epoch,
        String(append.historySize),
        String(append.historyTtlMs),
        append.channel,
        append.prefix,
        append.message,
      );
    },
    transformReply: position,
  }),
  /** A room's stream position, starting the stream if there is none. */
  hubPosition: defineScript({
    SCRIPT: positionLua,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, room: string, epoch: string, ttlMs: number) {
      parser.pushKey(streamKey(room));
      parser.push(epoch, String(ttlMs));
    },
    transformReply: position,
  }),
  /**
   * The messages after a position, oldest first, as stored (JSON, checked by the caller), if they
   * can all be replayed.
   */
  hubSince: defineScript({
    SCRIPT: sinceLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, room: string, from: StreamPosition, max: number) {
      parser.pushKeys([streamKey(room), historyKey(room)]);
      parser.push(from.epoch, String(from.offset), String(max));
    },
    transformReply(reply: unknown): string[] | null {
      if (reply === null) return null;
      return (reply as string[]).reverse();
    },
  }),
  /** A page of a room's history with its position; messages as stored (JSON), oldest first. */
  hubHistory: defineScript({
    SCRIPT: historyLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(
      parser: CommandParser,
      room: string,
      epoch: string,
      ttlMs: number,
      page: { limit: number; before: number },
    ) {
      parser.pushKeys([streamKey(room), historyKey(room)]);
      parser.push(epoch, String(ttlMs), String(page.limit), String(page.before));
    },
    transformReply(reply: unknown): StreamPosition & { messages: string[] } {
      const flat = reply as unknown[];
      // Stored newest first; a page is oldest first.
      const messages = (flat.slice(2) as string[]).reverse();
      return { ...position(flat), messages };
    },
  }),
  /** Sessions on the other live nodes. */
  hubCount: defineScript({
    SCRIPT: countLua,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, view: LiveView) {
      parser.pushKey(NODES);
      parser.push(
        view.self,
        String(view.aliveSince),
        ...NODE_SESSIONS_AROUND,
        ...NODE_AWAY_AROUND,
      );
    },
    transformReply: (reply: unknown): number => Number(reply),
  }),
  /** Members of `room` on the other live nodes. */
  hubMembers: defineScript({
    SCRIPT: membersLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, view: LiveView, room: string) {
      parser.pushKeys([NODES, roomKey(room)]);
      parser.push(view.self, String(view.aliveSince));
    },
    transformReply: parseMembers,
  }),
  /** One user's sessions on the other live nodes. */
  hubUsers: defineScript({
    SCRIPT: usersLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, view: LiveView, userId: string) {
      parser.pushKeys([NODES, userKey(userId)]);
      parser.push(
        view.self,
        String(view.aliveSince),
        ...NODE_SESSIONS_AROUND,
        ...NODE_AWAY_AROUND,
      );
    },
    transformReply: parseUserSessions,
  }),
  /** Holds a place for a connection of a user under its limit; answers whether it did. */
  hubAdmit: defineScript({
    SCRIPT: admitLua,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser: CommandParser, aliveSince: number, place: Place) {
      parser.pushKeys([NODES, userKey(place.userId), admitKey(place.userId)]);
      parser.push(
        String(aliveSince),
        String(place.limit),
        place.id,
        String(place.ttlMs),
        place.resuming ?? "",
        ...NODE_SESSIONS_AROUND,
        ...NODE_AWAY_AROUND,
      );
    },
    transformReply: (reply: unknown): boolean => reply === 1,
  }),
  /** Whether `sessionId` is on another live node. */
  hubLocate: defineScript({
    SCRIPT: locateLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, view: LiveView, sessionId: string) {
      parser.pushKeys([SESSIONS, NODES]);
      parser.push(sessionId, view.self, String(view.aliveSince));
    },
    transformReply: (reply: unknown): boolean => reply === 1,
  }),
  /** Renames a session where it is listed, and publishes the news. */
  hubRename: defineScript({
    SCRIPT: renameLua,
    // One key per room: the count goes with the keys.
    parseCommand(parser: CommandParser, rename: Rename) {
      parser.pushKeysLength([nodeSessions(rename.node), ...rename.rooms.map(roomKey)]);
      const named = encodeNamed(rename.userId, rename.name);
      parser.push(
        rename.sessionId,
        named,
        `${rename.node}\n${named}`,
        rename.channel,
        rename.message,
      );
    },
    transformReply: done,
  }),
  /** Lists a member of a room. */
  hubJoin: defineScript({
    SCRIPT: joinLua,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser: CommandParser, member: Membership, named: Member) {
      parser.pushKeys([roomKey(member.room), ROOMS, nodeMembers(member.node)]);
      parser.push(
        member.sessionId,
        member.node,
        encodeNamed(named.userId, named.name),
        member.room,
      );
    },
    transformReply: done,
  }),
  /** Removes a member of a room. */
  hubLeave: defineScript({
    SCRIPT: leaveLua,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser: CommandParser, member: Membership) {
      parser.pushKeys([roomKey(member.room), ROOMS, nodeMembers(member.node)]);
      parser.push(member.sessionId, member.room);
    },
    transformReply: done,
  }),
  /**
   * Publishes a signal and keeps it until it is handled (by its node, or by whichever node adopts
   * its session); answers how many nodes heard it.
   */
  hubSignal: defineScript({
    SCRIPT: signalLua,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, send: SignalSend) {
      parser.pushKeys([nodeSignals(send.node), inboxKey(send.to)]);
      parser.push(send.channel, send.json, String(send.ttlMs));
    },
    transformReply: (reply: unknown): number => Number(reply),
  }),
  /** Claims a stopped or dead node whose sessions are to be adopted; answers them. */
  hubOrphan: defineScript({
    SCRIPT: orphanLua,
    NUMBER_OF_KEYS: 7,
    parseCommand(parser: CommandParser, reap: Reap) {
      parser.pushKeys([
        NODES,
        nodeSessions(reap.node),
        nodeMembers(reap.node),
        nodeAway(reap.node),
        nodeSeen(reap.node),
        nodeStates(reap.node),
        nodeSignals(reap.node),
      ]);
      parser.push(reap.node, reap.claim ? "1" : "0", String(reap.aliveSince));
    },
    transformReply: parseOrphans,
  }),
  /** Removes everything a node owns; answers the sessions that went with it. */
  hubReap: defineScript({
    SCRIPT: reapLua,
    NUMBER_OF_KEYS: 7,
    parseCommand(parser: CommandParser, reap: Reap) {
      parser.pushKeys([
        NODES,
        SESSIONS,
        ROOMS,
        nodeSessions(reap.node),
        nodeMembers(reap.node),
        nodeAway(reap.node),
        nodeSeen(reap.node),
      ]);
      parser.push(
        reap.node,
        reap.claim ? "1" : "0",
        String(reap.aliveSince),
        ROOM_PREFIX,
        USER_PREFIX,
      );
    },
    transformReply: (reply: unknown): GoneSession[] => parseGone(reply as string[]),
  }),
};
