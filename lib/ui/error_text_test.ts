import assert from "node:assert/strict";
import type { RequestErrorCode } from "../client/mod.ts";
import { ERROR_CODES, type RequestType } from "../protocol/mod.ts";
import { checkName } from "../protocol/names.ts";
import { checkDisplayName, checkRoomName, checkSessionId, nameError } from "./checks.ts";
import { errorText, nameProblem } from "./error_text.ts";

const CODES: RequestErrorCode[] = [...ERROR_CODES, "timeout", "disconnected", "closed"];
const TYPES: RequestType[] = [
  "set_name",
  "join",
  "leave",
  "history",
  "chat",
  "dm_request",
  "dm_accept",
  "dm_decline",
  "dm",
  "dm_close",
  "random",
  "rooms",
  "watch_rooms",
  "num_clients",
  "ping",
];

Deno.test("error text: every code of every request the page sends reads as a sentence", () => {
  for (const type of TYPES) {
    for (const code of CODES) {
      const text = errorText(type, code, "data.to must be a session id (a 26-character ULID)");
      assert.match(text, /^[A-Z].*[.!]$/, `${type} ${code}: ${text}`);
      assert.doesNotMatch(text, /data\.|ULID|_/, `${type} ${code}: ${text}`);
    }
  }
});

Deno.test("error text: a refusal says what to do about it", () => {
  assert.match(
    errorText("dm_request", "bad_request", "data.to must be a session id (a 26-character ULID)"),
    /not a session id/,
  );
  assert.match(errorText("dm_request", "bad_request", "data.to is your own session id"), /own/);
  assert.match(errorText("dm_request", "not_found"), /Nobody with that session id is online/);
  assert.match(errorText("join", "too_many"), /100 rooms/);
  assert.match(errorText("dm_request", "too_many"), /20 requests/);
  assert.match(
    errorText("chat", "bad_request", "data.text is longer than 4000 characters"),
    /4,000/,
  );
  assert.match(errorText("chat", "not_member"), /no longer in that room/);
  assert.match(errorText("dm_accept", "no_request"), /withdrawn, or it expired/);
});

Deno.test("names: the page refuses what the hub would, with the reason in words", () => {
  const cases: [string, RegExp][] = [
    ["", /Type a name/],
    ["x".repeat(33), /1 to 32 characters/],
    ["a\tb", /control characters \(U\+0009\)/],
    ["a\u2028b", /one line/],
    ["evil\u202Eil", /invisible characters \(U\+202E\)/],
    ["x\u0301\u0302\u0303\u0304", /3 accents/],
    ["\u3164", /visible character/],
    ["\u0301abc", /accent on its own/],
    ["GUEST-me", /guest-/],
    ["\uD83D", /half of an emoji/],
  ];
  for (const [name, reason] of cases) {
    assert.throws(() => checkDisplayName(name), reason, JSON.stringify(name));
    // The same reason, as the hub gives it, reads the same.
    let hub = "";
    try {
      checkName(name, "data.name");
    } catch (why) {
      hub = String(why);
    }
    if (name !== "") assert.match(nameProblem(hub), reason, hub);
  }
  assert.equal(checkDisplayName("  Ada "), "Ada");
  assert.equal(nameError("Ada"), null);
});

Deno.test("session ids and room names: normalized, or refused before sending", () => {
  assert.equal(checkSessionId(" 01j8zk3v4x5y6z7a8b9c0d1e2f "), "01J8ZK3V4X5Y6Z7A8B9C0D1E2F");
  assert.throws(() => checkSessionId(""), /Pick someone online/);
  assert.throws(() => checkSessionId("01J8ZK3V4X5Y6Z7A8B9C0D1E2"), /not a session id/);
  assert.throws(() => checkSessionId("01J8ZK3V4X5Y6Z7A8B9C0D1E2U"), /not a session id/);
  assert.equal(checkRoomName(" #deno "), "deno");
  assert.throws(() => checkRoomName("two words"), /no spaces/);
});
