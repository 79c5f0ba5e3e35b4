/**
 * The random-number slice of the store: send a text, get it back with a number from 1 to 100,
 * and keep the last replies, newest first. A reply that lands while its view is out of sight
 * (another tab on a phone, or the page hidden) counts as unseen.
 *
 * @module
 */

import { type ReadonlySignal, signal } from "@preact/signals";
import { checkText, type Request } from "./requests.ts";

/** A reply of the random-number service. */
export interface RandomReply {
  key: number;
  /** The text that was sent (maybe empty); the hub's reply is this, a space and `n`. */
  asked: string;
  n: number;
  at: number;
}

/** What the islands read and call. */
export interface RandomsView {
  /** The last replies, newest first. */
  readonly randoms: ReadonlySignal<readonly RandomReply[]>;
  /** Replies that came while the view was out of sight. */
  readonly unseenRandoms: ReadonlySignal<number>;
  /** Asks for a number; rejects with a readable Error. */
  random(text: string): Promise<RandomReply>;
}

export interface RandomsSlice extends RandomsView {
  /** The reader sees the view again. */
  seen(): void;
}

/** What the slice needs. */
export interface RandomsDeps {
  request: Request;
  /** Whether the reader sees the view. */
  watching(): boolean;
  /** Replies kept. Default 10. */
  maxRandom?: number;
}

export function createRandoms({ request, watching, maxRandom = 10 }: RandomsDeps): RandomsSlice {
  const randoms = signal<readonly RandomReply[]>([]);
  const unseenRandoms = signal(0);
  let key = 0;
  return {
    randoms,
    unseenRandoms,
    async random(text) {
      checkText(text, { what: "The text", allowEmpty: true });
      const reply = await request("random", { text });
      const entry: RandomReply = { key: ++key, asked: text, n: reply.n, at: Date.now() };
      randoms.value = [entry, ...randoms.value].slice(0, maxRandom);
      if (!watching()) unseenRandoms.value++;
      return entry;
    },
    seen() {
      unseenRandoms.value = 0;
    },
  };
}
