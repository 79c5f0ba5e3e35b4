/**
 * Drops a `chat` the client already had. Offsets increase by one per message within a room's
 * epoch, so a message whose offset is not past the last one seen in that epoch is a repeat: a
 * replay after the session's node was killed may repeat the last messages it delivered.
 *
 * @module
 */

import type { ChatMessage, StreamPosition } from "../protocol/mod.ts";

export class ChatOrder {
  readonly #last = new Map<string, StreamPosition>();

  /** Whether `message` is new to this client; remembers it if so. */
  admit(message: ChatMessage): boolean {
    const last = this.#last.get(message.room);
    if (last && last.epoch === message.epoch && message.offset <= last.offset) return false;
    this.#last.set(message.room, { epoch: message.epoch, offset: message.offset });
    return true;
  }

  /** Forgets everything, as a new session (a failed resume) must. */
  clear(): void {
    this.#last.clear();
  }
}
