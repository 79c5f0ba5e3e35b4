/**
 * Every Redis key and pub/sub channel the cluster uses, and how their names are built.
 * `docs/scaling.md` has the same list in a table; the two change together.
 *
 * Two scripts build a key from an id they read inside Redis (a live node's sessions, a reaped
 * member's room), so the parts around the id are exported too and passed to them as arguments:
 * the names are spelled here only.
 *
 * @module
 */

const PREFIX = "hub:";

/** Sorted set: node id → time of its last heartbeat (ms). */
export const NODES = `${PREFIX}nodes`;
/** Hash: session id → node id. */
export const SESSIONS = `${PREFIX}sessions`;
/** Hash: room → member count, deployment-wide. */
export const ROOMS = `${PREFIX}rooms`;
/** Channel every node hears: control messages (`control.ts`). */
export const CONTROL = `${PREFIX}ctl`;

const NODE_PREFIX = `${PREFIX}node:`;
const SESSIONS_SUFFIX = ":sessions";
const AWAY_SUFFIX = ":away";
const MEMBERS_SUFFIX = ":members";
/** What goes before a user id to name its sessions hash. */
export const USER_PREFIX = `${PREFIX}user:`;
/** Room hashes and room channels share their names. */
export const ROOM_PREFIX = `${PREFIX}room:`;

/** Hash: session id → `userId\nname` (`entries.ts`), for one node's sessions. */
export const nodeSessions = (node: string): string => `${NODE_PREFIX}${node}${SESSIONS_SUFFIX}`;
/** Set: the ids of one node's sessions that are away (not counted as connected). */
export const nodeAway = (node: string): string => `${NODE_PREFIX}${node}${AWAY_SUFFIX}`;
/** List: JSON signals for a session that reached no node while it moved or its node died. */
export const inboxKey = (sessionId: string): string => `${PREFIX}inbox:${sessionId}`;
/**
 * Hash: what a session needs to be rebuilt elsewhere: `name`, `connectedAt`, `secretHash`, and
 * `identity` (its token's claims as JSON) when it has a token.
 */
export const sessionKey = (sessionId: string): string => `${PREFIX}session:${sessionId}`;
/** Hash: a session's conversations, other id → entry (`registry.ts`). */
export const sessionDmKey = (sessionId: string): string => `${PREFIX}session:${sessionId}:dm`;
/**
 * List: JSON signals the node's channel carried to it and it has not handled yet, oldest first;
 * what the node that adopts its sessions delivers if it died first.
 */
export const nodeSignals = (node: string): string => `${NODE_PREFIX}${node}:signals`;
/** Hash: per room with a local member, the last stream message the node delivered. */
export const nodeSeen = (node: string): string => `${NODE_PREFIX}${node}:seen`;
/** Hash: session id → saved JSON state, written by a node as it stops. */
export const nodeStates = (node: string): string => `${NODE_PREFIX}${node}:states`;
/** Hash: a room stream's `epoch` and latest `offset`. */
export const streamKey = (room: string): string => `${PREFIX}stream:${room}`;
/** List: a room's last messages for `history`, newest first. */
export const historyKey = (room: string): string => `${PREFIX}history:${room}`;
/**
 * String: an idempotency key of the server API: `""` while its first call runs, then that call's
 * answer (`lib/server/api/idempotency.ts`); expires with the key.
 */
export const idempotencyKey = (key: string): string => `${PREFIX}idem:${key}`;
/** Set: `room\nsession` pairs of one node, so a reaper knows what to remove. */
export const nodeMembers = (node: string): string => `${NODE_PREFIX}${node}${MEMBERS_SUFFIX}`;
/** Hash: session id → `node\nuserId\nname`, the room's members deployment-wide. */
export const roomKey = (room: string): string => `${ROOM_PREFIX}${room}`;
/** Hash: session id → `node\nconnectedAt`, one user's sessions deployment-wide. */
export const userKey = (userId: string): string => `${USER_PREFIX}${userId}`;
/**
 * Sorted set: place id → when it lapses (ms, Redis's clock): the places held for one user's
 * connections still being admitted under `USER_CONNECTION_LIMIT` (`scripts/admit.lua`).
 */
export const admitKey = (userId: string): string => `${PREFIX}admit:${userId}`;
/** Channel: `node\n<frame>` for the room's members on every node. */
export const roomChannel = (room: string): string => `${ROOM_PREFIX}${room}`;
/** Channel: JSON signals for one node's sessions. */
export const nodeChannel = (node: string): string => `${NODE_PREFIX}${node}`;

/** What a script puts around a node id it read to name that node's sessions hash. */
export const NODE_SESSIONS_AROUND = [NODE_PREFIX, SESSIONS_SUFFIX] as const;
/** What a script puts around a node id it read to name that node's set of away sessions. */
export const NODE_AWAY_AROUND = [NODE_PREFIX, AWAY_SUFFIX] as const;
