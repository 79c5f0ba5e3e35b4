/**
 * What the load client sends and how it judges a reply: `random` requests in the wire format of
 * `lib/protocol/mod.ts`, and the checks of docs/protocol.md (`text` is the sent text, a space and `n`,
 * with `n` a whole number from 1 to 100).
 *
 * @module
 */

import type { ReplyData, RequestId } from "../../lib/protocol/mod.ts";

/** The text the load client sends with request `id`: cheap to build, unique per request. */
export function loadText(id: number): string {
  return `load-${id}`;
}

/**
 * The `random` request frame for `id`, as `lib/client/mod.ts` would serialize it.
 *
 * ```ts
 * randomFrame(7); // '{"type":"random","id":7,"data":{"text":"load-7"}}'
 * ```
 */
export function randomFrame(id: number): string {
  return `{"type":"random","id":${id},"data":{"text":"${loadText(id)}"}}`;
}

/** A reply as far as the load client reads it. */
export interface ReplyLike {
  type?: unknown;
  id?: RequestId | null;
  ok?: unknown;
  data?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/**
 * Checks the reply to a `random` request that sent `text`; returns what is wrong with it, or
 * `null` when it is right.
 *
 * ```ts
 * checkRandomReply("hi", { type: "reply", id: 1, ok: true, data: { text: "hi 42", n: 42 } }); // null
 * checkRandomReply("hi", { type: "reply", id: 1, ok: true, data: { text: "hi 0", n: 0 } });
 * // "n is 0, not a whole number from 1 to 100"
 * ```
 */
export function checkRandomReply(text: string, reply: ReplyLike): string | null {
  if (reply.ok !== true) {
    const error = reply.error;
    return `error reply: ${String(error?.code ?? "no code")}: ${String(error?.message ?? "")}`;
  }
  const data = reply.data as Partial<ReplyData<"random">> | undefined;
  if (typeof data !== "object" || data === null) return "reply has no data";
  const n = data.n;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 100) {
    return `n is ${JSON.stringify(n)}, not a whole number from 1 to 100`;
  }
  if (data.text !== `${text} ${n}`) {
    return `text is ${JSON.stringify(data.text)}, expected ${JSON.stringify(`${text} ${n}`)}`;
  }
  return null;
}
