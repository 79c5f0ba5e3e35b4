/**
 * Room streams in Redis: a hash per room with its epoch and latest offset, and a list of its last
 * `historySize` messages, newest first. One script numbers a message, keeps it and publishes it,
 * so two nodes publishing to one room at once cannot deliver offset 6 before 5: Redis runs one
 * script at a time and hands out pub/sub messages in the order they were published. Every node,
 * the publisher included, delivers a stream message from its room subscription, never locally
 * first, for the same reason.
 *
 * While Redis is down, messages are numbered by a stream in this process instead, under an epoch
 * of its own: clients see the epoch change, which says what is true — that stretch of the room's
 * history is not shared with the other nodes.
 *
 * Messages read back from Redis are checked before they reach a client, like everything that comes
 * from Redis (`validate.ts`): one that is not a chat message of the room is counted and left out
 * of a `history` page, and makes a replay impossible, as lost history does.
 *
 * @module
 */

import type { ChatMessage, StreamPosition } from "../../protocol/mod.ts";
import { MemoryStreams, newEpoch } from "../memory_streams.ts";
import type { ChatDraft, RoomStreams } from "../seam.ts";
import type { RedisConnection } from "./connection.ts";
import { historyKey, roomChannel } from "./keys.ts";
import { chat } from "./validate.ts";

export interface RedisStreamsOptions {
  redis: RedisConnection;
  /** Messages kept per room for `history`; 0 keeps none. */
  historySize: number;
  /** How long a room's stream outlives its last message. */
  historyTtlMs: number;
  /** Serves local members while Redis is down. */
  fallback: MemoryStreams;
  /** Counts and logs a stored message that was refused (the broker's `refused`). */
  refused?: (what: string, where: string, error: unknown) => void;
}

/**
 * What a stream message carries on the room channel instead of a node id: no node skips it, since
 * node ids never contain `*`.
 */
export const EVERY_NODE = "*";

export class RedisStreams implements RoomStreams {
  readonly #options: RedisStreamsOptions;

  constructor(options: RedisStreamsOptions) {
    this.#options = options;
  }

  publish(draft: ChatDraft): StreamPosition | Promise<StreamPosition> {
    const { redis, fallback } = this.#options;
    if (redis.down) return fallback.publish(draft);
    const json = JSON.stringify(draft);
    return redis.client.hubChat({
      room: draft.room,
      epoch: newEpoch(),
      historySize: this.#options.historySize,
      historyTtlMs: this.#options.historyTtlMs,
      channel: roomChannel(draft.room),
      prefix: `${EVERY_NODE}\n`,
      message: json.slice(0, -1),
    }).catch((err: Error) => {
      redis.failed(err);
      return fallback.publish(draft);
    });
  }

  position(room: string): Promise<StreamPosition> {
    const { redis, fallback } = this.#options;
    return redis.read(
      fallback.position(room),
      () => redis.client.hubPosition(room, newEpoch(), this.#options.historyTtlMs),
    );
  }

  since(room: string, from: StreamPosition, max: number): Promise<ChatMessage[] | null> {
    const { redis } = this.#options;
    return redis.read(null, async () => {
      const stored = await redis.client.hubSince(room, from, max);
      if (stored === null) return null;
      const messages = this.#checked(room, stored);
      // A replay with a hole in it is no replay.
      return messages.length === stored.length ? messages : null;
    });
  }

  async history(room: string, page: { limit: number; before?: number }) {
    const { redis, fallback } = this.#options;
    return await redis.read(fallback.history(room, page), async () => {
      const { messages, ...position } = await redis.client.hubHistory(
        room,
        newEpoch(),
        this.#options.historyTtlMs,
        { limit: page.limit, before: page.before ?? 0 },
      );
      return { ...position, messages: this.#checked(room, messages) };
    });
  }

  /** The stored messages that are chat messages of `room`; the others are counted and left out. */
  #checked(room: string, stored: string[]): ChatMessage[] {
    const messages: ChatMessage[] = [];
    for (const json of stored) {
      try {
        const message = chat(JSON.parse(json), "History message", true);
        if (message.room !== room) throw new Error(`History message is of room ${message.room}`);
        messages.push(message);
      } catch (err) {
        this.#options.refused?.("history message", historyKey(room), err);
      }
    }
    return messages;
  }
}
