/**
 * A stand-in for the hub in slice tests: a {@linkcode Request} that records what was sent and
 * answers from a table (or throws what the table throws).
 *
 * @module
 */

import type { RequestData, RequestType } from "../../protocol/mod.ts";
import type { Request } from "../requests.ts";

export interface FakeRequest {
  request: Request;
  /** Every request sent, in order. */
  sent: { type: RequestType; data: unknown }[];
}

type Answers = { [T in RequestType]?: (data: RequestData<T>) => unknown };

export function fakeRequest(answers: Answers): FakeRequest {
  const sent: FakeRequest["sent"] = [];
  const request = (async (type: RequestType, data?: unknown) => {
    sent.push({ type, data });
    const answer = answers[type] as ((data: unknown) => unknown) | undefined;
    if (answer === undefined) throw new Error(`No answer for ${type}`);
    return await answer(data ?? {});
  }) as Request;
  return { request, sent };
}
