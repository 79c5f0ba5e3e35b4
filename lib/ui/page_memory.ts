/**
 * What a browser tab keeps across a reload, in its `sessionStorage` (one per tab, gone with the
 * tab): the resume token, so the reloaded page continues the session, and a snapshot of the page
 * (the rooms it showed, the name the user chose, its conversations), which the store takes back
 * only if the reload did resume that very session.
 *
 * Room messages are not kept: the rooms' history brings them back. Storage can be missing, full or
 * refused (private modes, sandboxed frames); every failure here counts as "nothing kept".
 *
 * @module
 */

import { LIMITS } from "../protocol/mod.ts";
import type { Conversation, ConversationsState, DmStatus } from "./conversations_reducer.ts";
import type { RoomsSnapshot } from "./rooms.ts";

/** The part of `Storage` used here, so tests can pass a Map-backed stand-in. */
export type TabStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** The page as it was, for the session `sessionId`. */
export interface PageSnapshot {
  version: 1;
  sessionId: string;
  /** The name the user chose, to re-apply should a later resume fail; null if none. */
  chosenName: string | null;
  rooms: RoomsSnapshot;
  conversations: ConversationsState;
}

export const TOKEN_KEY = "hub.resumeToken";
export const PAGE_KEY = "hub.page";

/** This tab's `sessionStorage`, or null where there is none or it is refused. */
export function tabStorage(): TabStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // a SecurityError in some sandboxed frames
  }
}

/** The resume token kept by the page before, if any. */
export function loadToken(storage: TabStorage | null): string | undefined {
  const token = read(storage, TOKEN_KEY);
  return token !== null && LIMITS.resumeTokenPattern.test(token) ? token : undefined;
}

/** Keeps `token` for the next load of this tab; an empty one (resume is off) keeps none. */
export function saveToken(storage: TabStorage | null, token: string | undefined): void {
  if (token === undefined || token === "") remove(storage, TOKEN_KEY);
  else write(storage, TOKEN_KEY, token);
}

/** The snapshot kept by the page before, or null if none, or not one this version can read. */
export function loadPage(storage: TabStorage | null): PageSnapshot | null {
  const text = read(storage, PAGE_KEY);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isSnapshot(value) ? value : null;
  } catch {
    return null;
  }
}

/** Keeps `snapshot` for the next load of this tab (null keeps none). */
export function savePage(storage: TabStorage | null, snapshot: PageSnapshot | null): void {
  if (snapshot === null) remove(storage, PAGE_KEY);
  else write(storage, PAGE_KEY, JSON.stringify(snapshot));
}

// ---- checks ------------------------------------------------------------------------------------

const STATUSES: ReadonlySet<DmStatus> = new Set<DmStatus>([
  "outgoing",
  "incoming",
  "open",
  "declined",
  "refused",
  "expired",
  "closed",
  "gone",
  "ended",
]);

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null;
const isString = (v: unknown): v is string => typeof v === "string";

/** Enough of a check that a snapshot from an older page, or a broken one, is not taken. */
function isSnapshot(v: unknown): v is PageSnapshot {
  if (!isObject(v) || v.version !== 1 || !isString(v.sessionId)) return false;
  if (v.chosenName !== null && !isString(v.chosenName)) return false;
  const rooms = v.rooms;
  if (!isObject(rooms) || !Array.isArray(rooms.rooms)) return false;
  if (!rooms.rooms.every((r) => isString(r) && LIMITS.roomPattern.test(r))) return false;
  if (rooms.current !== null && !isString(rooms.current)) return false;
  const dms = v.conversations;
  if (!isObject(dms) || !Array.isArray(dms.conversations)) return false;
  if (dms.active !== null && !isString(dms.active)) return false;
  if (typeof dms.notices !== "number" || typeof dms.maxItems !== "number") return false;
  return dms.conversations.every(isConversation);
}

function isConversation(v: unknown): v is Conversation {
  return isObject(v) && isString(v.peer) && isString(v.name) &&
    STATUSES.has(v.status as DmStatus) &&
    typeof v.closedByMe === "boolean" && typeof v.peerAway === "boolean" &&
    typeof v.unread === "number" && Array.isArray(v.items) &&
    v.items.every((i) => isObject(i) && isString(i.key) && isString(i.text));
}

// ---- storage that may fail ---------------------------------------------------------------------

function read(storage: TabStorage | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(storage: TabStorage | null, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Full or refused: the next load starts afresh, as it did before pages kept anything.
    remove(storage, key);
  }
}

function remove(storage: TabStorage | null, key: string): void {
  try {
    storage?.removeItem(key);
  } catch {
    // Nothing kept, nothing to remove.
  }
}
