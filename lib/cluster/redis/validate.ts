/**
 * What other nodes send, checked before any of it reaches a socket or a session: room frames,
 * signals, session states and the fields of control messages. Whatever arrives over Redis is
 * input like any other (an operator's test `PUBLISH`, a node of another version during a rolling
 * deploy, anyone who can write to Redis), and room frames go to clients as the text that came, so
 * what passes must be exactly what a hub itself would send: a known event type, each field there
 * and of its type and within the protocol's limits (`LIMITS`, the name rules of `checkName`), and
 * no other field.
 *
 * Every check throws an Error whose message starts with what was checked, so the log names the
 * culprit. Room frames are checked once per node, never per member, and their cheap structure
 * (size, prefix) before the one `JSON.parse`.
 *
 * The field checks it is built from are in `checks.ts`. It runs a little past 300 lines because it
 * holds the shape of every message that crosses nodes, side by side, so they are read together.
 *
 * @module
 */

import {
  type ChatMessage,
  type Events,
  LIMITS,
  REPLAYED_EVENTS,
  SERVER_SENDER,
  type StreamPosition,
} from "../../protocol/mod.ts";
import { hashSecret } from "../../hub/tokens.ts";
import type { Identity } from "../../hub/session.ts";
import type { GoneSession, SessionState, Signal } from "../seam.ts";
import { EVERY_NODE } from "./streams.ts";
import {
  closeCode,
  data,
  epoch,
  type Fields,
  fields,
  FRAME_PREFIX,
  list,
  MAX_FRAME_LENGTH,
  name,
  nodeId,
  object,
  offset,
  oneOf,
  position,
  quote,
  room,
  rooms,
  SECRET_HASH,
  sessionId,
  shape,
  text,
  time,
  userId,
} from "./checks.ts";
export {
  fields,
  list,
  MAX_FRAME_LENGTH,
  name,
  NODE_ID,
  nodeId,
  object,
  position,
  room,
  rooms,
  sessionId,
  shape,
  time,
} from "./checks.ts";

const CHAT = shape(
  ["room", "msgId", "from", "userId", "name", "text", "ts", "offset", "epoch"],
  ["data"],
);
/** Messages kept in history before user ids existed have none: they were anonymous. */
const STORED_CHAT = shape(
  ["room", "msgId", "from", "name", "text", "ts", "offset", "epoch"],
  ["userId", "data"],
);
const PRESENCE = shape(["room", "sessionId", "userId", "name", "action"]);
const RENAMED = shape(["sessionId", "name"]);
const DM = shape(["from", "userId", "name", "text", "msgId", "ts"]);
const FROM_NAME = shape(["from", "userId", "name"]);
const WITH_NAME = shape(["with", "name"]);
const WITH_REASON = shape(["with", "reason"]);

/**
 * A chat message, as room frames, history and replays carry it. A `stored` one (read back from
 * history) may lack `userId`, and gets `null`: a client always sees the field.
 */
export function chat(value: unknown, what: string, stored = false): ChatMessage {
  const d = object(value, what);
  fields(d, stored ? STORED_CHAT : CHAT, what);
  room(d.room, `${what}.room`);
  sessionId(d.msgId, `${what}.msgId`);
  // A message the server API published is from the server, not from a session.
  const from = d.from === SERVER_SENDER ? SERVER_SENDER : sessionId(d.from, `${what}.from`);
  if (stored && d.userId === undefined) d.userId = null;
  else userId(d.userId, `${what}.userId`);
  name(d.name, from, `${what}.name`);
  text(d.text, `${what}.text`);
  time(d.ts, `${what}.ts`);
  offset(d.offset, `${what}.offset`);
  epoch(d.epoch, `${what}.epoch`);
  if (d.data !== undefined) data(d.data, `${what}.data`);
  return d as unknown as ChatMessage;
}

/** The checks of each event type that crosses nodes: room frames, and frames a replay holds. */
const EVENTS = {
  chat,
  presence(d: Fields, what: string) {
    fields(d, PRESENCE, what);
    room(d.room, `${what}.room`);
    const id = sessionId(d.sessionId, `${what}.sessionId`);
    userId(d.userId, `${what}.userId`);
    name(d.name, id, `${what}.name`);
    oneOf(d.action, ["join", "leave", "away", "back"], `${what}.action`);
  },
  renamed(d: Fields, what: string) {
    fields(d, RENAMED, what);
    name(d.name, sessionId(d.sessionId, `${what}.sessionId`), `${what}.name`);
  },
  dm(d: Fields, what: string) {
    fields(d, DM, what);
    userId(d.userId, `${what}.userId`);
    name(d.name, sessionId(d.from, `${what}.from`), `${what}.name`);
    text(d.text, `${what}.text`);
    sessionId(d.msgId, `${what}.msgId`);
    time(d.ts, `${what}.ts`);
  },
  dm_request(d: Fields, what: string) {
    fields(d, FROM_NAME, what);
    userId(d.userId, `${what}.userId`);
    name(d.name, sessionId(d.from, `${what}.from`), `${what}.name`);
  },
  dm_accepted(d: Fields, what: string) {
    fields(d, WITH_NAME, what);
    name(d.name, sessionId(d.with, `${what}.with`), `${what}.name`);
  },
  dm_declined(d: Fields, what: string) {
    fields(d, WITH_REASON, what);
    sessionId(d.with, `${what}.with`);
    oneOf(d.reason, ["declined", "expired"], `${what}.reason`);
  },
  dm_closed(d: Fields, what: string) {
    fields(d, WITH_REASON, what);
    sessionId(d.with, `${what}.with`);
    oneOf(d.reason, ["closed", "disconnected", "expired"], `${what}.reason`);
  },
} satisfies { [E in keyof Events]?: (data: Fields, what: string) => unknown };

type CheckedEvent = keyof typeof EVENTS;

/** Events on room channels. */
const ROOM_EVENTS: readonly CheckedEvent[] = ["chat", "presence", "renamed"];
/** Events a moving session's replay may hold: the protocol's list, each one checked here. */
const REPLAY_EVENTS: readonly CheckedEvent[] = REPLAYED_EVENTS;

const FRAME = shape(["type", "data"]);

/** A checked event frame: its type and data, parsed once. */
export type Event =
  | { type: "chat"; data: ChatMessage }
  | { type: Exclude<CheckedEvent, "chat">; data: Fields };

/** Checks an event frame of one of the `allowed` types; cheap checks first, one parse. */
function frame(text: string, allowed: readonly CheckedEvent[], what: string): Event {
  if (text.length > MAX_FRAME_LENGTH) {
    throw new Error(`${what} is ${text.length} characters, over ${MAX_FRAME_LENGTH}`);
  }
  if (!text.startsWith(FRAME_PREFIX)) throw new Error(`${what} is not an event frame`);
  const parsed = object(JSON.parse(text), what);
  fields(parsed, FRAME, what);
  const type = parsed.type as CheckedEvent;
  if (!allowed.includes(type)) throw new Error(`${what} has an unexpected type ${quote(type)}`);
  const data = object(parsed.data, `${what} ${type}`);
  EVENTS[type](data, `${what} ${type}`);
  return { type, data } as Event;
}

/**
 * Checks a frame heard on `room`'s channel from `from`, its node id line: a chat there, numbered
 * by the room's stream (so from every node, `*`), or a presence or rename a node published.
 * Answers the event, parsed, for what the broker reads of it.
 */
export function roomFrame(room: string, from: string, text: string): Event {
  if (from !== EVERY_NODE) nodeId(from, "Room frame's node id line");
  const event = frame(text, ROOM_EVENTS, "Room frame");
  if ((event.type === "chat") !== (from === EVERY_NODE)) {
    throw new Error(`Room frame ${event.type} came from ${quote(from)}`);
  }
  if ("room" in event.data && event.data.room !== room) {
    throw new Error(`Room frame ${event.type} names room ${quote(event.data.room)}, not ${room}`);
  }
  return event;
}

/** Checks a frame a moving session holds for its replay. */
export function replayFrame(text: unknown, what: string): string {
  if (typeof text !== "string") throw new Error(`${what} must be a frame`);
  frame(text, REPLAY_EVENTS, what);
  return text;
}

const TO_FROM = shape(["kind", "to", "from"]);
const TO_FROM_NAME = shape(["kind", "to", "from", "name"]);
const TO_FROM_USER_NAME = shape(["kind", "to", "from", "userId", "name"]);
const DM_SIGNAL = shape(["kind", "to", "from", "userId", "name", "text", "msgId", "ts"]);
const DM_END = shape(["kind", "to", "from", "reason"]);
const DISCONNECT = shape(["kind", "to", "code", "reason"]);

/** The checks of each signal kind, past `to` and `from`. */
const SIGNALS: { [K in Signal["kind"]]: (s: Fields, from: string, what: string) => void } = {
  dm_request: (s, from, what) => {
    fields(s, TO_FROM_USER_NAME, what);
    userId(s.userId, `${what}.userId`);
    name(s.name, from, `${what}.name`);
  },
  dm_accepted: (s, from, what) => {
    fields(s, TO_FROM_NAME, what);
    name(s.name, from, `${what}.name`);
  },
  dm_declined: (s, _from, what) => fields(s, TO_FROM, what),
  dm: (s, from, what) => {
    fields(s, DM_SIGNAL, what);
    userId(s.userId, `${what}.userId`);
    name(s.name, from, `${what}.name`);
    text(s.text, `${what}.text`);
    sessionId(s.msgId, `${what}.msgId`);
    time(s.ts, `${what}.ts`);
  },
  dm_end: (s, _from, what) => {
    fields(s, DM_END, what);
    oneOf(s.reason, ["closed", "disconnected", "expired"], `${what}.reason`);
  },
  dm_away: (s, _from, what) => fields(s, TO_FROM, what),
  dm_back: (s, _from, what) => fields(s, TO_FROM, what),
  disconnect: (s, _from, what) => {
    fields(s, DISCONNECT, what);
    closeCode(s.code, s.reason, what);
  },
};

/** Checks a signal for a session: known kind, both ends session ids, its fields in limits. */
export function signal(value: unknown, what = "Signal"): Signal {
  const s = object(value, what);
  const kind = s.kind as Signal["kind"];
  if (typeof kind !== "string" || !Object.hasOwn(SIGNALS, kind)) {
    throw new Error(`${what} has an unknown kind ${quote(kind)}`);
  }
  sessionId(s.to, `${what} ${kind}.to`);
  // The server API's disconnect comes from no session.
  const from = kind === "disconnect" ? "" : sessionId(s.from, `${what} ${kind}.from`);
  SIGNALS[kind](s, from, `${what} ${kind}`);
  return s as unknown as Signal;
}

// `userId` may be absent from a node of the version before: its sessions were anonymous.
const GONE = shape(["sessionId", "name", "rooms"], ["userId", "away"]);

/** Checks a session another node says is gone. */
export function goneSession(value: unknown, what: string): GoneSession {
  const g = object(value, what);
  fields(g, GONE, what);
  if (g.userId === undefined) g.userId = null;
  else userId(g.userId, `${what}.userId`);
  name(g.name, sessionId(g.sessionId, `${what}.sessionId`), `${what}.name`);
  rooms(g.rooms, `${what}.rooms`);
  if (g.away !== undefined && typeof g.away !== "boolean") {
    throw new Error(`${what}.away must be true or false`);
  }
  return g as unknown as GoneSession;
}

const STATE = shape(
  [
    "sessionId",
    "name",
    "connectedAt",
    "rooms",
    "peers",
    "incoming",
    "outgoing",
    "frames",
    "lastOffsets",
  ],
  // `secret`: what nodes of the version before hashes saved and handed over; they had no users.
  ["userId", "identity", "secretHash", "secret", "awayUntil", "lost"],
);

const IDENTITY = shape(["userId", "rooms", "admin", "expiresAt"], ["name"]);

/** A moving session's token claims, which must be of the session's user. */
function identity(value: unknown, owner: string | null, what: string): Identity {
  const i = object(value, what);
  fields(i, IDENTITY, what);
  if (i.userId !== owner || owner === null) throw new Error(`${what}.userId is not the session's`);
  list(i.rooms, LIMITS.maxRoomGrants, `${what}.rooms`, (grant, w) => {
    if (typeof grant !== "string" || !LIMITS.roomGrantPattern.test(grant)) {
      throw new Error(`${w} must be a room name or a prefix ending in *`);
    }
  });
  if (typeof i.admin !== "boolean") throw new Error(`${what}.admin must be true or false`);
  time(i.expiresAt, `${what}.expiresAt`);
  if (i.name !== undefined) name(i.name, "", `${what}.name`);
  return i as unknown as Identity;
}

/** A pair: a session id and what goes with it. */
function pair<T>(
  value: unknown,
  what: string,
  second: (value: unknown, id: string, what: string) => T,
): [string, T] {
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`${what} must be a pair`);
  const id = sessionId(value[0], `${what}[0]`);
  return [id, second(value[1], id, `${what}[1]`)];
}

/**
 * Checks a session's state as another node handed it over or saved it, and answers it with only
 * the hash of its secret: a state from a node of the version before carries the secret itself,
 * which is hashed here and goes no further. Its frames are replayed to its client as they are,
 * so each is checked like a room frame.
 */
export function sessionState(value: unknown, what = "State"): SessionState {
  const s = object(value, what);
  fields(s, STATE, what);
  const id = sessionId(s.sessionId, `${what}.sessionId`);
  const offsets = object(s.lastOffsets, `${what}.lastOffsets`);
  for (const key in offsets) {
    room(key, `${what}.lastOffsets key`);
    position(offsets[key], `${what}.lastOffsets.${key}`);
  }
  if (s.awayUntil !== undefined) time(s.awayUntil, `${what}.awayUntil`);
  if (s.lost !== undefined && s.lost !== true) throw new Error(`${what}.lost must be true`);
  const state: SessionState = {
    sessionId: id,
    userId: s.userId === undefined ? null : userId(s.userId, `${what}.userId`),
    name: name(s.name, id, `${what}.name`),
    connectedAt: time(s.connectedAt, `${what}.connectedAt`),
    secretHash: secretHash(s, what),
    rooms: rooms(s.rooms, `${what}.rooms`),
    peers: list(s.peers, Infinity, `${what}.peers`, (v, w) => pair(v, w, name)),
    incoming: list(s.incoming, Infinity, `${what}.incoming`, (v, w) => pair(v, w, name)),
    outgoing: list(
      s.outgoing,
      LIMITS.maxPendingDmRequests,
      `${what}.outgoing`,
      (v, w) => pair(v, w, (t, _id, w) => time(t, w)),
    ),
    frames: list(s.frames, Infinity, `${what}.frames`, replayFrame),
    lastOffsets: offsets as Record<string, StreamPosition>,
  };
  if (s.identity !== undefined) {
    state.identity = identity(s.identity, state.userId, `${what}.identity`);
  }
  if (s.awayUntil !== undefined) state.awayUntil = s.awayUntil as number;
  if (s.lost) state.lost = true;
  return state;
}

/** The state's secret hash, from a `secret` if a node of the version before sent one. */
function secretHash(s: Fields, what: string): string {
  if (s.secretHash !== undefined) {
    if (s.secretHash !== "" && !SECRET_HASH.test(s.secretHash as string)) {
      throw new Error(`${what}.secretHash must be a SHA-256 in hex`);
    }
    return s.secretHash as string;
  }
  if (typeof s.secret !== "string") throw new Error(`${what} needs secretHash`);
  return s.secret === "" ? "" : hashSecret(s.secret);
}
