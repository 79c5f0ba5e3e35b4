/**
 * The server API's input table on its own: what passes and how it is normalized, and the first
 * bad field named. `tests/api_test.ts` sends bad bodies over HTTP; this covers the normalizing.
 */

import assert from "node:assert/strict";
import { type ApiCall, checkApiRequest } from "./api.ts";

Deno.test("valid input passes, normalized, with unknown fields left out", () => {
  assert.deepEqual(
    checkApiRequest("publish", { room: "r", text: "hi", name: "  Rene\u0301e ", extra: 1 }),
    { ok: true, request: { room: "r", text: "hi", name: "Renée" } },
  );
  assert.deepEqual(checkApiRequest("history", { room: "r", limit: "10", before: "5" }), {
    ok: true,
    request: { room: "r", limit: 10, before: 5 },
  });
  assert.deepEqual(checkApiRequest("disconnect", { userId: "user@example.com", code: 4999 }), {
    ok: true,
    request: { userId: "user@example.com", code: 4999 },
  });
});

Deno.test("the first bad field is the one named; fields that do not go together are refused", () => {
  const refused = (call: ApiCall, input: unknown) => {
    const result = checkApiRequest(call, input);
    assert.equal(result.ok, false, JSON.stringify(input));
    return (result as { message: string }).message;
  };
  assert.equal(refused("publish", null), "The body must be a JSON object");
  assert.equal(refused("publish", { text: 1 }), "room is required");
  assert.equal(refused("publish", { room: "r", text: 1 }), "text must be a string");
  assert.match(refused("broadcast", { rooms: ["a", 7], text: "x" }), /^rooms\[1\] must be/);
  assert.match(refused("history", { room: "r", limit: 10 }), /^limit must be a whole number/);
  assert.match(refused("history", { room: "r", limit: "101" }), /^limit must be a whole number/);
  assert.match(refused("user_sessions", { userId: "a\nb" }), /^userId must be a user id/);
  assert.equal(refused("disconnect", {}), "Give exactly one of sessionId and userId");
});
