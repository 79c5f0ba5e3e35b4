/**
 * The frame parser on its own: what passes and how it is normalized, and every kind of bad frame,
 * each refused with the id it answers, its code and its exact message. `tests/protocol_test.ts`
 * sends a few of these over a real socket to show the connection survives them.
 */

import assert from "node:assert/strict";
import { LIMITS } from "./mod.ts";
import { parseFrame, type Rejection } from "./validate.ts";

const ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

function accepted(text: string) {
  const result = parseFrame(text);
  assert.ok(result.ok, `expected ${text.slice(0, 80)} to pass: ${JSON.stringify(result)}`);
  return result.request;
}

Deno.test("valid frames pass with normalized data", () => {
  assert.deepEqual(accepted('{"type":"ping"}'), { type: "ping", id: undefined, data: {} });
  assert.deepEqual(accepted('{"type":"ping","id":"a","data":{"extra":1}}'), {
    type: "ping",
    id: "a",
    data: {},
  });
  // A type without fields takes any object as data, and ignores it (an array is refused below).
  assert.deepEqual(accepted('{"type":"rooms","id":0,"data":{"x":[1]}}').data, {});
  assert.deepEqual(accepted('{"type":"random","id":7,"data":{"text":""}}').data, { text: "" });
  assert.deepEqual(accepted('{"type":"set_name","id":1,"data":{"name":"  Ada  "}}').data, {
    name: "Ada",
  });
  assert.deepEqual(
    accepted(`{"type":"dm","id":1,"data":{"to":"${ID}","text":"hi","junk":true}}`).data,
    { to: ID, text: "hi" },
  );
  for (const id of [0, -2.5, "", "i".repeat(LIMITS.maxIdLength)]) {
    assert.equal(accepted(JSON.stringify({ type: "ping", id })).id, id);
  }
});

Deno.test("the longest valid values pass: 4000 characters of text, 64 of room, 32 of name", () => {
  const text = "é".repeat(LIMITS.maxTextLength);
  const room = "A-z_0.9" + "r".repeat(57);
  assert.deepEqual(accepted(JSON.stringify({ type: "chat", data: { room, text } })).data, {
    room,
    text,
  });
  const name = "n".repeat(LIMITS.maxNameLength);
  assert.deepEqual(accepted(JSON.stringify({ type: "set_name", data: { name } })).data, { name });
});

interface BadFrame {
  /** The bad input the case tries. */
  what: string;
  /** The frame: a string is sent as it is, anything else as its JSON. */
  frame: unknown;
  /** The refusal it must get: the id it answers, the code and the whole message. */
  refusal: Rejection;
}

const ID_MESSAGE = "id must be a finite number or a string of at most 64 characters";
const ROOM_MESSAGE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." or "-"';
const NAME_MESSAGE = "data.name must be 1 to 32 characters after trimming";
const ULID_MESSAGE = "must be a session id (a 26-character ULID)";

const BAD_FRAMES: BadFrame[] = [
  // ---- not a JSON object
  {
    what: "invalid JSON",
    frame: '{"type":"ping","id":1',
    refusal: { id: null, code: "bad_json", message: "Frame is not valid JSON" },
  },
  {
    what: "plain text",
    frame: "hello",
    refusal: { id: null, code: "bad_json", message: "Frame is not valid JSON" },
  },
  {
    what: "an empty frame",
    frame: "",
    refusal: { id: null, code: "bad_json", message: "Frame is not valid JSON" },
  },
  {
    what: "a JSON number",
    frame: "42",
    refusal: { id: null, code: "bad_request", message: "Frame must be a JSON object" },
  },
  {
    what: "a JSON string",
    frame: '"ping"',
    refusal: { id: null, code: "bad_request", message: "Frame must be a JSON object" },
  },
  {
    what: "a JSON array",
    frame: "[]",
    refusal: { id: null, code: "bad_request", message: "Frame must be a JSON object" },
  },
  {
    what: "JSON null",
    frame: "null",
    refusal: { id: null, code: "bad_request", message: "Frame must be a JSON object" },
  },
  // ---- id: refused with id null, since the id itself cannot be answered to
  {
    what: "id true",
    frame: '{"type":"ping","id":true}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "id an object",
    frame: '{"type":"ping","id":{"n":1}}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "id an array",
    frame: '{"type":"ping","id":[1]}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "id null",
    frame: '{"type":"ping","id":null}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "id a 65-character string",
    frame: { type: "ping", id: "i".repeat(65) },
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "id an overflowing number",
    frame: '{"type":"ping","id":1e400}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  {
    what: "a bad id and an unknown type: the id is checked first",
    frame: '{"type":"shout","id":false}',
    refusal: { id: null, code: "bad_request", message: ID_MESSAGE },
  },
  // ---- type
  {
    what: "no type",
    frame: { id: 1 },
    refusal: { id: 1, code: "bad_request", message: "type must be a string" },
  },
  {
    what: "a numeric type",
    frame: { id: 2, type: 5 },
    refusal: { id: 2, code: "bad_request", message: "type must be a string" },
  },
  {
    what: "an unknown type",
    frame: { id: 3, type: "shout" },
    refusal: { id: 3, code: "unknown_type", message: 'Unknown type "shout"' },
  },
  {
    what: "type __proto__",
    frame: '{"id":4,"type":"__proto__"}',
    refusal: { id: 4, code: "unknown_type", message: 'Unknown type "__proto__"' },
  },
  {
    what: "type toString",
    frame: { id: 5, type: "toString" },
    refusal: { id: 5, code: "unknown_type", message: 'Unknown type "toString"' },
  },
  {
    what: "type constructor",
    frame: { id: "c", type: "constructor" },
    refusal: { id: "c", code: "unknown_type", message: 'Unknown type "constructor"' },
  },
  {
    what: "type reply",
    frame: { id: 6, type: "reply" },
    refusal: { id: 6, code: "unknown_type", message: 'Unknown type "reply"' },
  },
  {
    what: "an event type",
    frame: { id: 7, type: "welcome" },
    refusal: { id: 7, code: "unknown_type", message: 'Unknown type "welcome"' },
  },
  {
    what: "a 100-character unknown type, named by its first 64",
    frame: { id: 8, type: "t".repeat(100) },
    refusal: { id: 8, code: "unknown_type", message: `Unknown type "${"t".repeat(64)}"` },
  },
  // ---- data
  {
    what: "random without data",
    frame: { id: 10, type: "random" },
    refusal: { id: 10, code: "bad_request", message: "data must be an object with text" },
  },
  {
    what: "random with data a string",
    frame: { id: 11, type: "random", data: "hi" },
    refusal: { id: 11, code: "bad_request", message: "data must be an object with text" },
  },
  {
    what: "random with data an array",
    frame: { id: 11, type: "random", data: [] },
    refusal: { id: 11, code: "bad_request", message: "data must be an object with text" },
  },
  {
    what: "random with data null",
    frame: { id: 11, type: "random", data: null },
    refusal: { id: 11, code: "bad_request", message: "data must be an object with text" },
  },
  {
    what: "random without data.text",
    frame: { id: 12, type: "random", data: {} },
    refusal: { id: 12, code: "bad_request", message: "data.text is required" },
  },
  {
    what: "random with a numeric text",
    frame: { id: 13, type: "random", data: { text: 5 } },
    refusal: { id: 13, code: "bad_request", message: "data.text must be a string" },
  },
  {
    what: "random with 4001 characters",
    frame: { id: 14, type: "random", data: { text: "x".repeat(4001) } },
    refusal: { id: 14, code: "bad_request", message: "data.text is longer than 4000 characters" },
  },
  {
    what: "ping with data a string",
    frame: { id: 15, type: "ping", data: "x" },
    refusal: { id: 15, code: "bad_request", message: "data must be an object when given" },
  },
  {
    what: "ping with data null",
    frame: { id: 16, type: "ping", data: null },
    refusal: { id: 16, code: "bad_request", message: "data must be an object when given" },
  },
  {
    what: "ping with data an array",
    frame: { id: 17, type: "ping", data: [1] },
    refusal: { id: 17, code: "bad_request", message: "data must be an object when given" },
  },
  {
    what: "ping with data an empty array",
    frame: { id: 18, type: "ping", data: [] },
    refusal: { id: 18, code: "bad_request", message: "data must be an object when given" },
  },
  // ---- chat
  {
    what: "chat without data.room",
    frame: { id: 20, type: "chat", data: { text: "hi" } },
    refusal: { id: 20, code: "bad_request", message: "data.room is required" },
  },
  {
    what: "chat without data.text",
    frame: { id: 21, type: "chat", data: { room: "lobby" } },
    refusal: { id: 21, code: "bad_request", message: "data.text is required" },
  },
  {
    what: "chat with a blank text",
    frame: { id: 22, type: "chat", data: { room: "lobby", text: " \n\t " } },
    refusal: { id: 22, code: "bad_request", message: "data.text must not be empty" },
  },
  {
    what: "chat with an empty text",
    frame: { id: 23, type: "chat", data: { room: "lobby", text: "" } },
    refusal: { id: 23, code: "bad_request", message: "data.text must not be empty" },
  },
  {
    what: "chat with 4001 characters",
    frame: { id: 24, type: "chat", data: { room: "lobby", text: "y".repeat(4001) } },
    refusal: { id: 24, code: "bad_request", message: "data.text is longer than 4000 characters" },
  },
  {
    what: "chat with 2001 emoji (4002 UTF-16 code units)",
    frame: { id: 24, type: "chat", data: { room: "lobby", text: "\u{1F600}".repeat(2001) } },
    refusal: { id: 24, code: "bad_request", message: "data.text is longer than 4000 characters" },
  },
  {
    what: "chat with a text array",
    frame: { id: 25, type: "chat", data: { room: "lobby", text: ["hi"] } },
    refusal: { id: 25, code: "bad_request", message: "data.text must be a string" },
  },
  {
    what: "chat with a bad room and no text: the room is checked first",
    frame: { id: 26, type: "chat", data: { room: "a b" } },
    refusal: { id: 26, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "chat with a newline in the room",
    frame: { id: 38, type: "chat", data: { room: "lobby\n", text: "hi" } },
    refusal: { id: 38, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  // ---- rooms
  {
    what: "join with an empty room",
    frame: { id: 30, type: "join", data: { room: "" } },
    refusal: { id: 30, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a space in the room",
    frame: { id: 31, type: "join", data: { room: "my room" } },
    refusal: { id: 31, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a 65-character room",
    frame: { id: 32, type: "join", data: { room: "r".repeat(65) } },
    refusal: { id: 32, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a non-ASCII room",
    frame: { id: 33, type: "join", data: { room: "café" } },
    refusal: { id: 33, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a slash in the room",
    frame: { id: 34, type: "join", data: { room: "a/b" } },
    refusal: { id: 34, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a numeric room",
    frame: { id: 35, type: "join", data: { room: 42 } },
    refusal: { id: 35, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "join with a null room",
    frame: { id: 36, type: "join", data: { room: null } },
    refusal: { id: 36, code: "bad_request", message: `data.room ${ROOM_MESSAGE}` },
  },
  {
    what: "leave without data",
    frame: { id: 37, type: "leave" },
    refusal: { id: 37, code: "bad_request", message: "data must be an object with room" },
  },
  // ---- names
  {
    what: "set_name with a 33-character name",
    frame: { id: 40, type: "set_name", data: { name: "n".repeat(33) } },
    refusal: { id: 40, code: "bad_request", message: NAME_MESSAGE },
  },
  {
    what: "set_name with 17 emoji (34 UTF-16 code units)",
    frame: { id: 41, type: "set_name", data: { name: "\u{1F600}".repeat(17) } },
    refusal: { id: 41, code: "bad_request", message: NAME_MESSAGE },
  },
  {
    what: "set_name with a blank name",
    frame: { id: 42, type: "set_name", data: { name: "   " } },
    refusal: { id: 42, code: "bad_request", message: NAME_MESSAGE },
  },
  {
    what: "set_name with an empty name",
    frame: { id: 43, type: "set_name", data: { name: "" } },
    refusal: { id: 43, code: "bad_request", message: NAME_MESSAGE },
  },
  {
    what: "set_name with a numeric name",
    frame: { id: 44, type: "set_name", data: { name: 7 } },
    refusal: { id: 44, code: "bad_request", message: "data.name must be a string" },
  },
  {
    what: "set_name without data.name",
    frame: { id: 45, type: "set_name", data: {} },
    refusal: { id: 45, code: "bad_request", message: "data.name is required" },
  },
  // ---- direct messages
  {
    what: "dm_request to a non-ULID",
    frame: { id: 50, type: "dm_request", data: { to: "bob" } },
    refusal: { id: 50, code: "bad_request", message: `data.to ${ULID_MESSAGE}` },
  },
  {
    what: "dm_request to a lower-case ULID",
    frame: { id: 50, type: "dm_request", data: { to: ID.toLowerCase() } },
    refusal: { id: 50, code: "bad_request", message: `data.to ${ULID_MESSAGE}` },
  },
  {
    what: "dm_accept with a numeric from",
    frame: { id: 51, type: "dm_accept", data: { from: 1 } },
    refusal: { id: 51, code: "bad_request", message: `data.from ${ULID_MESSAGE}` },
  },
  {
    what: "dm_accept with a null from",
    frame: { id: 51, type: "dm_accept", data: { from: null } },
    refusal: { id: 51, code: "bad_request", message: `data.from ${ULID_MESSAGE}` },
  },
  {
    what: "dm_decline without from",
    frame: { id: 52, type: "dm_decline", data: {} },
    refusal: { id: 52, code: "bad_request", message: "data.from is required" },
  },
  {
    what: "dm_close without with",
    frame: { id: 53, type: "dm_close", data: {} },
    refusal: { id: 53, code: "bad_request", message: "data.with is required" },
  },
  {
    what: "dm without text",
    frame: { id: 54, type: "dm", data: { to: ID } },
    refusal: { id: 54, code: "bad_request", message: "data.text is required" },
  },
  {
    what: "dm with 4001 characters",
    frame: { id: 55, type: "dm", data: { to: ID, text: "é".repeat(4001) } },
    refusal: { id: 55, code: "bad_request", message: "data.text is longer than 4000 characters" },
  },
  // ---- without id, errors answer id null
  {
    what: "a bad frame without id",
    frame: { type: "chat", data: { room: "lobby" } },
    refusal: { id: null, code: "bad_request", message: "data.text is required" },
  },
  {
    what: "an unknown type without id",
    frame: { type: "no_such_type" },
    refusal: { id: null, code: "unknown_type", message: 'Unknown type "no_such_type"' },
  },
];

Deno.test("bad frames are refused with the id they answer, their code and their message", async (t) => {
  for (const bad of BAD_FRAMES) {
    await t.step(bad.what, () => {
      const text = typeof bad.frame === "string" ? bad.frame : JSON.stringify(bad.frame);
      assert.deepEqual(parseFrame(text), { ok: false, rejection: bad.refusal });
    });
  }
});
