/**
 * A room's message stream as the page shows it, kept in offset order: live `chat` events, pages of
 * `history`, and the stream position a `join` reply reports all fold in here. Pure.
 *
 * The rules, from `docs/protocol.md` ("Rooms as streams, and history"):
 *
 * - Within one epoch a room's offsets count up by one per message, and every member sees them in
 *   order. So a live chat whose offset is not above the newest one shown is a repeat (a replay
 *   after a resume may overlap history the page already loaded) and is dropped.
 * - History fills in around what is shown: each message not shown yet goes before the first shown
 *   message with a larger offset. A message newer than everything shown goes last, and a page
 *   with nothing of this epoch shown yet goes to the top of the epoch, above the notices.
 * - A new epoch means the server lost the room's history: offsets start again, so what is shown
 *   no longer lines up with them. The stream starts over below what is shown (kept for reading,
 *   with a notice), and the new epoch's messages go after it.
 *
 * ```ts
 * let s = emptyStream();
 * const m = { room: "r", msgId: "a", from: "x", name: "X", text: "hi", ts: 0, epoch: "e" };
 * s = liveMessage(s, { ...m, offset: 1 }, "me", 500);
 * liveMessage(s, { ...m, offset: 1 }, "me", 500) === s; // true: a repeat changes nothing
 * ```
 *
 * @module
 */

import type { ChatMessage, HistoryReply, StreamPosition } from "../protocol/mod.ts";
import { append, notice, type PeopleNotice, type StreamItem } from "./stream.ts";

/** A room's stream: its items and what the page knows of the server's copy. */
export interface RoomStream {
  /** The epoch the offsets belong to; null until a join reply, history page or chat says. */
  readonly epoch: string | null;
  /** The server's newest offset in this epoch, as far as the page knows (0: no message yet). */
  readonly serverLatest: number;
  /** The oldest offset the server still holds, as far as the page knows. */
  readonly horizon: number;
  /**
   * The key of the last item from before this epoch (the reset notice), or null: this epoch's
   * messages all come after it.
   */
  readonly floor: string | null;
  readonly items: StreamItem[];
}

/** A room message in a stream: a message item with its place in the room's stream. */
export type RoomMessage = Extract<StreamItem, { kind: "message" }> & StreamPosition;

/** A stream with nothing in it yet. */
export function emptyStream(): RoomStream {
  return { epoch: null, serverLatest: 0, horizon: 1, floor: null, items: [] };
}

/** The messages shown that belong to the stream's epoch, in order. */
export function currentMessages(stream: RoomStream): RoomMessage[] {
  return stream.items.filter((i): i is RoomMessage =>
    i.kind === "message" && "epoch" in i && i.epoch === stream.epoch
  );
}

/** The newest offset shown in this epoch, or 0. */
export function latestShown(stream: RoomStream): number {
  return currentMessages(stream).at(-1)?.offset ?? 0;
}

/** The oldest offset shown in this epoch, or null when none is. */
export function oldestShown(stream: RoomStream): number | null {
  return currentMessages(stream)[0]?.offset ?? null;
}

/** Whether the server may hold messages older than those shown (what scrolling up would load). */
export function hasOlder(stream: RoomStream): boolean {
  if (stream.epoch === null) return false;
  const oldest = oldestShown(stream);
  return oldest === null ? stream.serverLatest >= stream.horizon : oldest > stream.horizon;
}

/**
 * The stream at `position` (from a join or history reply, or a chat): the same stream in the
 * same epoch, else one that starts over after what is shown. Like every function here, it keeps
 * whatever else `stream` carries (a room's name, members…).
 */
export function atPosition<S extends RoomStream>(stream: S, position: StreamPosition): S {
  if (stream.epoch === position.epoch) {
    if (position.offset <= stream.serverLatest) return stream;
    return { ...stream, serverLatest: position.offset };
  }
  const base = { epoch: position.epoch, serverLatest: position.offset, horizon: 1 };
  if (stream.epoch === null) return { ...stream, ...base };
  const hadMessages = stream.items.some((i) => i.kind === "message");
  if (!hadMessages) return { ...stream, ...base, floor: stream.items.at(-1)?.key ?? null };
  const reset = notice("The server no longer has the messages above; the room starts afresh.");
  return { ...stream, ...base, floor: reset.key, items: [...stream.items, reset] };
}

/**
 * The stream with a live `chat` added at the end, or `stream` itself when it is a repeat (its
 * offset is not above the newest shown in its epoch, or its id is shown). `me` is our session id.
 */
export function liveMessage<S extends RoomStream>(
  stream: S,
  msg: ChatMessage,
  me: string,
  maxItems: number,
): S {
  const positioned = atPosition(stream, msg);
  if (msg.offset <= latestShown(positioned) || shows(positioned, msg.msgId)) return stream;
  return { ...positioned, items: append(positioned.items, toItem(msg, me), maxItems) };
}

/**
 * The stream with a `history` page merged in. `asked` is what the request said: a page shorter
 * than `limit` means the server has nothing older, so scrolling up stops there.
 */
export function historyPage<S extends RoomStream>(
  stream: S,
  page: HistoryReply,
  asked: { limit: number; before?: number },
  me: string,
): S {
  let next = atPosition(stream, page);
  const items = [...next.items];
  // Newest first: each message then has its successor in place to go before, so a page that
  // lands at the top of the epoch keeps its order.
  for (const msg of page.messages.toReversed()) {
    if (msg.epoch !== page.epoch || items.some((i) => i.key === msg.msgId)) continue;
    items.splice(placeFor(next, items, msg.offset), 0, toItem(msg, me));
  }
  next = { ...next, items };
  if (page.messages.length < asked.limit) {
    const reached = page.messages[0]?.offset ?? asked.before ?? page.offset + 1;
    next = { ...next, horizon: Math.max(next.horizon, reached) };
  }
  return next;
}

/** `stream` with a notice at the end; `about` marks a presence or rename notice. */
export function withNotice<S extends RoomStream>(
  stream: S,
  text: string,
  maxItems: number,
  about?: PeopleNotice,
): S {
  return { ...stream, items: append(stream.items, notice(text, Date.now(), about), maxItems) };
}

// ---- helpers -----------------------------------------------------------------------------------

function shows(stream: RoomStream, msgId: string): boolean {
  return stream.items.some((i) => i.key === msgId);
}

/** `me`: our session id, so our own messages read as ours. */
function toItem(msg: ChatMessage, me: string): RoomMessage {
  return {
    kind: "message",
    key: msg.msgId,
    from: msg.from,
    name: msg.name,
    text: msg.text,
    ts: msg.ts,
    mine: msg.from === me,
    epoch: msg.epoch,
    offset: msg.offset,
  };
}

/** Where a message at `offset` of the stream's epoch goes in `items`. */
function placeFor(stream: RoomStream, items: readonly StreamItem[], offset: number): number {
  let sawCurrent = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== "message" || !("epoch" in item) || item.epoch !== stream.epoch) continue;
    if ((item as RoomMessage).offset > offset) return i;
    sawCurrent = true;
  }
  if (sawCurrent) return items.length;
  // Nothing of this epoch shown yet: the top of the epoch, above notices such as "You joined".
  if (stream.floor === null) return 0;
  const floor = items.findIndex((i) => i.key === stream.floor);
  return floor + 1; // a floor cut off by the item limit gives 0: the top
}
