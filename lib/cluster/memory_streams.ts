/**
 * Room streams kept in this process: the in-memory default's numbering and history. A room's
 * record (epoch, latest offset, the last `historySize` messages) lives until the room has been idle
 * for `historyTtlMs`, members or not; after that, or after a restart, the room starts a new epoch.
 *
 * Idle rooms are swept as new messages arrive, oldest activity first, so no timer runs and memory
 * is bounded by the rooms that were active within the TTL.
 *
 * @module
 */

import type { ChatMessage, StreamPosition } from "../protocol/mod.ts";
import type { ChatDraft, RoomStreams } from "./seam.ts";

export interface MemoryStreamsOptions {
  /** Messages kept per room for `history`; 0 keeps none (offsets still count). */
  historySize: number;
  /** How long a room's record outlives its last message. */
  historyTtlMs: number;
  /** Epoch milliseconds. */
  now?: () => number;
}

interface Stream {
  epoch: string;
  offset: number;
  /** The newest messages, oldest first; at most `historySize`. */
  messages: ChatMessage[];
  /** When the last message came, or the record was made. */
  touched: number;
}

/** A fresh, unguessable epoch: a restart can never reuse one. */
export function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** The `chat` frame for a message, serialized once for every recipient. */
export function encodeChat(message: ChatMessage): string {
  return `{"type":"chat","data":${JSON.stringify(message)}}`;
}

export class MemoryStreams implements RoomStreams {
  /** In order of last activity, least recent first, so the sweep stops at the first live one. */
  readonly #streams = new Map<string, Stream>();
  readonly #options: Required<MemoryStreamsOptions>;
  #deliver: (room: string, frame: string) => void = () => {};

  constructor(options: MemoryStreamsOptions) {
    this.#options = { now: Date.now, ...options };
  }

  /** Messages kept for `history` across every room, for `/metrics`. */
  get kept(): number {
    let kept = 0;
    for (const stream of this.#streams.values()) kept += stream.messages.length;
    return kept;
  }

  /** Where published messages go: the hub's local members of the room. */
  attach(deliver: (room: string, frame: string) => void): void {
    this.#deliver = deliver;
  }

  publish(draft: ChatDraft): StreamPosition {
    const stream = this.#stream(draft.room);
    // Moved to the end of the activity order: the TTL counts from the last message.
    this.#streams.delete(draft.room);
    this.#streams.set(draft.room, stream);
    stream.touched = this.#options.now();
    stream.offset++;
    const message: ChatMessage = { ...draft, offset: stream.offset, epoch: stream.epoch };
    const { historySize } = this.#options;
    if (historySize > 0) {
      stream.messages.push(message);
      if (stream.messages.length > historySize) stream.messages.shift();
    }
    this.#deliver(draft.room, encodeChat(message));
    return { epoch: stream.epoch, offset: stream.offset };
  }

  position(room: string): StreamPosition {
    const { epoch, offset } = this.#stream(room);
    return { epoch, offset };
  }

  since(room: string, from: StreamPosition, max: number): ChatMessage[] | null {
    const stream = this.#streams.get(room);
    if (!stream || stream.epoch !== from.epoch) return null;
    const count = stream.offset - from.offset;
    if (count < 0 || count > max || count > stream.messages.length) return null;
    return count === 0 ? [] : stream.messages.slice(stream.messages.length - count);
  }

  history(room: string, { limit, before }: { limit: number; before?: number }) {
    const { epoch, offset, messages } = this.#stream(room);
    // Offsets are consecutive, so the message with offset `o` sits at a fixed distance from the end.
    let end = messages.length;
    if (before !== undefined) end = Math.max(0, Math.min(end, end - (offset + 1 - before)));
    return { epoch, offset, messages: messages.slice(Math.max(0, end - limit), end) };
  }

  /** The room's live record, made anew when it is missing or idle past the TTL. */
  #stream(room: string): Stream {
    const now = this.#options.now();
    this.#sweep(now);
    let stream = this.#streams.get(room);
    if (!stream) {
      stream = { epoch: newEpoch(), offset: 0, messages: [], touched: now };
      this.#streams.set(room, stream);
    }
    return stream;
  }

  #sweep(now: number): void {
    for (const [room, stream] of this.#streams) {
      if (now - stream.touched <= this.#options.historyTtlMs) return;
      this.#streams.delete(room);
    }
  }
}
