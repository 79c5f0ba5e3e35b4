/** The edge's counters: known labels from zero, `other` for the rest, frame types read once. */

import assert from "node:assert/strict";
import { EdgeCounts, Tally, UNPARSED } from "./counts.ts";
import { CLOSE_CODES, ERROR_CODES } from "../../protocol/mod.ts";
import { REQUESTS } from "../../protocol/requests.ts";
import { encodeEvent } from "../../hub/hub.ts";

Deno.test("a tally starts every known key at zero and counts the rest as other", () => {
  const tally = new Tally(["a", "b"]);
  assert.deepEqual([...tally.entries()], [["a", 0], ["b", 0]]);
  tally.add("a");
  tally.add("a");
  tally.add("zzz");
  assert.deepEqual([...tally.entries()], [["a", 2], ["b", 0], ["other", 1]]);
  assert.equal(tally.get("b"), 0);
  assert.equal(tally.get("nothing"), 0);
});

Deno.test("frames in: every request type and the unparsed kinds are known", () => {
  const counts = new EdgeCounts();
  const keys = [...counts.framesIn.entries()].map(([key]) => key);
  assert.deepEqual(keys, [...Object.keys(REQUESTS), ...UNPARSED]);
  counts.frameIn("chat");
  counts.frameIn("invalid");
  assert.equal(counts.framesIn.get("chat"), 1);
  assert.equal(counts.framesIn.get("invalid"), 1);
});

Deno.test("frames out are counted by the type each frame starts with", () => {
  const counts = new EdgeCounts();
  const presence = encodeEvent("presence", {
    room: "r",
    sessionId: "s",
    userId: null,
    name: "n",
    action: "join",
  });
  // One frame handed to three recipients, as fan-out does, then other frames.
  for (let i = 0; i < 3; i++) counts.frameOut(presence);
  counts.frameOut(encodeEvent("heartbeat", { text: "Connected", serverTime: 1 }));
  counts.frameOut('{"type":"reply","id":1,"ok":true,"data":{}}');
  counts.frameOut(JSON.stringify({ type: "reply", id: null, ok: false, error: {} }));
  counts.frameOut(
    encodeEvent("presence", {
      room: "r",
      sessionId: "t",
      userId: null,
      name: "m",
      action: "leave",
    }),
  );
  counts.frameOut('{"type":"made_up","data":{}}');
  assert.equal(counts.framesOut.get("presence"), 4);
  assert.equal(counts.framesOut.get("heartbeat"), 1);
  assert.equal(counts.framesOut.get("reply"), 2);
  assert.equal(counts.framesOut.get("other"), 1);
  assert.equal(counts.framesOut.get("welcome"), 0);
});

Deno.test("errors by code, closes by code, rate limits and slow-consumer drops", () => {
  const counts = new EdgeCounts();
  assert.deepEqual([...counts.errors.entries()].map(([key]) => key), [...ERROR_CODES]);
  counts.error("rate_limited");
  counts.rateLimited();
  counts.closed(CLOSE_CODES.slowConsumer, true);
  counts.closed(CLOSE_CODES.slowConsumer, false); // a client may close with any code
  counts.closed(1006, false);
  counts.closed(4321, false);
  assert.equal(counts.errors.get("rate_limited"), 1);
  assert.equal(counts.rateLimitedFrames, 1);
  assert.equal(counts.closes.get("4008"), 2);
  assert.equal(counts.closes.get("1006"), 1);
  assert.equal(counts.closes.get("other"), 1, "codes that are not ours share one label");
  assert.equal(counts.closes.get("4321"), 0);
  assert.equal(counts.slowConsumerDrops, 1, "only the edge's own 4008 is a drop");
});
