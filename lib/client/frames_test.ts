/**
 * How the client sorts what the server sends, good frames and malformed ones.
 *
 * @module
 */

import { deepEqual } from "node:assert/strict";
import type { ErrorBody, Events } from "../protocol/mod.ts";
import { decodeFrame, type Incoming } from "./frames.ts";

const welcome: Events["welcome"] = {
  sessionId: "s1",
  userId: null,
  name: "guest-1",
  connectedAt: 1,
  serverTime: 1,
  heartbeatMs: 0,
  resumeToken: "t1",
  resumeTtlMs: 60_000,
  resumed: false,
  nameLocked: false,
};
const error: ErrorBody = { code: "bad_request", message: "No id" };

Deno.test("decodeFrame sorts good frames by what the client does with them", () => {
  const cases: [unknown, Incoming][] = [
    [{ type: "welcome", data: welcome }, { kind: "welcome", data: welcome }],
    [
      { type: "heartbeat", data: { text: "Connected", serverTime: 2 } },
      { kind: "event", type: "heartbeat", data: { text: "Connected", serverTime: 2 } },
    ],
    [
      { type: "reply", id: 7, ok: true, data: { n: 1 } },
      { kind: "reply", id: 7, outcome: { ok: true, data: { n: 1 } } },
    ],
    [
      { type: "reply", id: "x", ok: false, error },
      { kind: "reply", id: "x", outcome: { ok: false, error } },
    ],
    [{ type: "reply", id: null, ok: false, error }, { kind: "error", error }],
  ];
  for (const [frame, expected] of cases) deepEqual(decodeFrame(JSON.stringify(frame)), expected);
});

Deno.test("decodeFrame: a reply with neither data nor a valid error keeps its id", () => {
  for (const frame of [{ ok: "yes" }, { ok: false }, { ok: false, error: { code: 1 } }]) {
    deepEqual(decodeFrame(JSON.stringify({ type: "reply", id: 3, ...frame })), {
      kind: "reply",
      id: 3,
      outcome: undefined,
    });
  }
});

Deno.test("decodeFrame names what is wrong with a malformed frame", () => {
  const cases: [unknown, string][] = [
    [new Uint8Array([1, 2]), "a binary frame"],
    ["not json", "a frame that is not JSON"],
    ["null", "a non-object frame"],
    ["5", "a non-object frame"],
    ['{"type":5,"data":{}}', "an event without a type or data"],
    ['{"type":"chat"}', "an event without a type or data"],
    ['{"type":"chat","data":null}', "an event without a type or data"],
    ['{"type":"welcome","data":{"sessionId":"s1"}}', "a welcome without sessionId or heartbeatMs"],
    ['{"type":"reply","id":null,"ok":true,"data":{}}', "an id:null reply without an error"],
    ['{"type":"reply","id":null,"ok":false}', "an id:null reply without an error"],
  ];
  for (const [raw, what] of cases) deepEqual(decodeFrame(raw), { kind: "malformed", what });
});
