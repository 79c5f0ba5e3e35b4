import assert from "node:assert/strict";
import { checkRandomReply, randomFrame } from "./check.ts";

Deno.test("randomFrame is the frame lib/client/mod.ts would send", () => {
  assert.deepEqual(JSON.parse(randomFrame(7)), {
    type: "random",
    id: 7,
    data: { text: "load-7" },
  });
});

Deno.test("checkRandomReply accepts right replies and names what is wrong", () => {
  const ok = (text: string, n: unknown) => ({ type: "reply", id: 1, ok: true, data: { text, n } });
  assert.equal(checkRandomReply("hi", ok("hi 1", 1)), null);
  assert.equal(checkRandomReply("hi", ok("hi 100", 100)), null);
  assert.match(checkRandomReply("hi", ok("hi 0", 0))!, /n is 0/);
  assert.match(checkRandomReply("hi", ok("hi 101", 101))!, /n is 101/);
  assert.match(checkRandomReply("hi", ok("hi 2.5", 2.5))!, /n is 2.5/);
  assert.match(checkRandomReply("hi", ok("hi 5", "5"))!, /n is "5"/);
  assert.match(checkRandomReply("hi", ok("ho 5", 5))!, /text is "ho 5", expected "hi 5"/);
  assert.match(checkRandomReply("hi", ok("hi 6", 5))!, /text is "hi 6"/);
  assert.match(checkRandomReply("hi", { type: "reply", id: 1, ok: true })!, /no data/);
  assert.equal(
    checkRandomReply("hi", {
      type: "reply",
      id: 1,
      ok: false,
      error: { code: "rate_limited", message: "Over 5 frames per second" },
    }),
    "error reply: rate_limited: Over 5 frames per second",
  );
});
