import assert from "node:assert/strict";
import { LIMITS } from "./mod.ts";
import { parseFrame } from "./validate.ts";

const ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

function rejection(text: string) {
  const result = parseFrame(text);
  assert.ok(!result.ok, `expected ${text.slice(0, 80)} to be refused`);
  return result.rejection;
}

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
  assert.deepEqual(accepted('{"type":"random","id":7,"data":{"text":""}}').data, { text: "" });
  assert.deepEqual(accepted('{"type":"set_name","id":1,"data":{"name":"  Ada  "}}').data, {
    name: "Ada",
  });
  assert.deepEqual(
    accepted(`{"type":"dm","id":1,"data":{"to":"${ID}","text":"hi","junk":true}}`).data,
    { to: ID, text: "hi" },
  );
});

Deno.test("bad JSON and non-object frames: bad_json / bad_request with id null", () => {
  assert.deepEqual(rejection("{nope"), {
    id: null,
    code: "bad_json",
    message: "Frame is not valid JSON",
  });
  assert.equal(rejection("").code, "bad_json");
  for (const text of ["[]", "null", "42", '"ping"']) {
    const r = rejection(text);
    assert.equal(r.code, "bad_request");
    assert.equal(r.id, null);
  }
});

Deno.test("bad ids are refused with id null and a message naming id", () => {
  for (const id of ["{}", "[1]", "true", `"${"x".repeat(LIMITS.maxIdLength + 1)}"`]) {
    const r = rejection(`{"type":"ping","id":${id}}`);
    assert.equal(r.code, "bad_request");
    assert.equal(r.id, null);
    assert.match(r.message, /^id /);
  }
});

Deno.test("type: missing or not a string is bad_request, unknown is unknown_type", () => {
  assert.deepEqual(rejection('{"id":3}'), {
    id: 3,
    code: "bad_request",
    message: "type must be a string",
  });
  assert.equal(rejection('{"type":5,"id":3}').code, "bad_request");
  const unknown = rejection('{"type":"teleport","id":"x"}');
  assert.equal(unknown.code, "unknown_type");
  assert.equal(unknown.id, "x");
  assert.match(unknown.message, /teleport/);
  // Prototype keys are not request types.
  assert.equal(rejection('{"type":"constructor","id":1}').code, "unknown_type");
  assert.equal(rejection('{"type":"__proto__","id":1}').code, "unknown_type");
});

Deno.test("missing fields and wrong types name the field", () => {
  const cases: [string, RegExp][] = [
    ['{"type":"random","id":1}', /^data must be an object with text/],
    ['{"type":"random","id":1,"data":[]}', /^data must be an object/],
    ['{"type":"random","id":1,"data":{}}', /^data\.text is required/],
    ['{"type":"random","id":1,"data":{"text":5}}', /^data\.text must be a string/],
    ['{"type":"chat","id":1,"data":{"room":"lobby"}}', /^data\.text is required/],
    [
      '{"type":"chat","id":1,"data":{"room":"lobby","text":"   "}}',
      /^data\.text must not be empty/,
    ],
    ['{"type":"join","id":1,"data":{"room":""}}', /^data\.room must be 1 to 64/],
    ['{"type":"join","id":1,"data":{"room":"a b"}}', /^data\.room must be 1 to 64/],
    [`{"type":"join","id":1,"data":{"room":"${"r".repeat(65)}"}}`, /^data\.room must be 1 to 64/],
    ['{"type":"set_name","id":1,"data":{"name":"   "}}', /^data\.name must be 1 to 32/],
    [`{"type":"set_name","id":1,"data":{"name":"${"n".repeat(33)}"}}`, /^data\.name must be 1/],
    ['{"type":"dm_request","id":1,"data":{"to":"someone"}}', /^data\.to must be a session id/],
    ['{"type":"dm_accept","id":1,"data":{"from":null}}', /^data\.from must be a session id/],
    ['{"type":"dm_close","id":1,"data":{}}', /^data\.with is required/],
    ['{"type":"ping","id":1,"data":"x"}', /^data must be an object when given/],
  ];
  for (const [text, message] of cases) {
    const r = rejection(text);
    assert.equal(r.code, "bad_request", text);
    assert.equal(r.id, 1, text);
    assert.match(r.message, message, text);
  }
});

Deno.test("text limits: 4000 characters pass, 4001 do not", () => {
  const ok = "é".repeat(LIMITS.maxTextLength);
  assert.equal(
    (accepted(JSON.stringify({ type: "chat", data: { room: "a", text: ok } })).data as {
      text: string;
    }).text,
    ok,
  );
  const r = rejection(
    JSON.stringify({ type: "dm", id: 2, data: { to: ID, text: ok + "x" } }),
  );
  assert.equal(r.code, "bad_request");
  assert.match(r.message, /data\.text is longer than 4000/);
  assert.equal(
    rejection(JSON.stringify({ type: "random", id: 2, data: { text: ok + "x" } })).code,
    "bad_request",
  );
});
