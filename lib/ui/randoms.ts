/**
 * The random-number slice of the store: send a text, get it back with a number from 1 to 100,
 * and keep the last replies, newest first.
 *
 * @module
 */

import { type ReadonlySignal, signal } from "@preact/signals";
import { checkText, type Request } from "./requests.ts";

/** A reply of the random-number service. */
export interface RandomReply {
  key: number;
  text: string;
  n: number;
  at: number;
}

/** What the islands read and call. */
export interface RandomsView {
  /** The last replies, newest first. */
  readonly randoms: ReadonlySignal<readonly RandomReply[]>;
  /** Asks for a number; rejects with a readable Error. */
  random(text: string): Promise<RandomReply>;
}

/** What the slice needs. */
export interface RandomsDeps {
  request: Request;
  /** Replies kept. Default 10. */
  maxRandom?: number;
}

export function createRandoms({ request, maxRandom = 10 }: RandomsDeps): RandomsView {
  const randoms = signal<readonly RandomReply[]>([]);
  let key = 0;
  return {
    randoms,
    async random(text) {
      checkText(text, { what: "The text", allowEmpty: true });
      const reply = await request("random", { text });
      const entry: RandomReply = { key: ++key, text: reply.text, n: reply.n, at: Date.now() };
      randoms.value = [entry, ...randoms.value].slice(0, maxRandom);
      return entry;
    },
  };
}
