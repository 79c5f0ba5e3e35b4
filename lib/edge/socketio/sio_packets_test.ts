import assert from "node:assert/strict";
import { decodePacket, encodePacket, encodeRaw, reconstruct, SIO } from "./sio_packets.ts";
import { decodePayload, decodeText, encodePayload, PACKET } from "./engine_packets.ts";

Deno.test("decodePacket reads type, namespace, ack id and payload", () => {
  assert.deepEqual(decodePacket("0"), {
    ok: true,
    packet: { type: SIO.connect, nsp: "/", id: undefined, data: undefined, attachments: 0 },
  });
  assert.deepEqual(decodePacket('0/custom,{"token":"abc"}'), {
    ok: true,
    packet: { type: 0, nsp: "/custom", id: undefined, data: { token: "abc" }, attachments: 0 },
  });
  // A namespace without its comma, as the official suite sends it.
  assert.equal((decodePacket("0/random") as { packet: { nsp: string } }).packet.nsp, "/random");
  assert.deepEqual(decodePacket('2/chat,7["message","hi"]'), {
    ok: true,
    packet: { type: 2, nsp: "/chat", id: 7, data: ["message", "hi"], attachments: 0 },
  });
  assert.deepEqual(decodePacket('52-789["m",{"_placeholder":true,"num":0}]'), {
    ok: true,
    packet: {
      type: SIO.binaryEvent,
      nsp: "/",
      id: 789,
      data: ["m", { _placeholder: true, num: 0 }],
      attachments: 2,
    },
  });
  assert.deepEqual((decodePacket("1/chat,") as { packet: unknown }).packet, {
    type: 1,
    nsp: "/chat",
    id: undefined,
    data: undefined,
    attachments: 0,
  });
});

Deno.test("bad input: decodePacket refuses what socket.io-parser refuses, naming why", () => {
  for (
    const [input, reason] of [
      ["abc", /unknown packet type/],
      ["9", /unknown packet type/],
      ['4{"message":"x"}', /connect_error/],
      ["2{}", /does not fit/],
      ["2[]", /does not fit/],
      ['2["disconnect"]', /does not fit/],
      ["2", /missing/],
      ["0[1]", /does not fit/],
      ['1{"a":1}', /does not fit|no payload/],
      ['2abc["x"]', /not JSON/],
      ['212345678901234567["x"]', /too long/],
      ['5-["x"]', /attachments/],
      ['565-["x"]', /more than 64/],
      ["3", /missing/],
    ] as const
  ) {
    const decoded = decodePacket(input);
    assert.equal(decoded.ok, false, input);
    assert.match((decoded as { reason: string }).reason, reason, input);
  }
});

Deno.test("encodePacket writes binary types with placeholders and attachments", () => {
  assert.deepEqual(encodePacket(SIO.event, "/", undefined, ["a", 1]), {
    text: '2["a",1]',
    attachments: [],
  });
  const bytes = new Uint8Array([1, 2, 3]);
  const encoded = encodePacket(SIO.ack, "/x", 4, [{ file: bytes }, bytes.buffer]);
  assert.equal(
    encoded.text,
    '62-/x,4[{"file":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]',
  );
  assert.deepEqual(encoded.attachments, [bytes, bytes]);
  assert.equal(encodeRaw(SIO.connectError, "/nowhere", undefined, "{}"), "4/nowhere,{}");
});

Deno.test("reconstruct puts attachments back and refuses a placeholder that names none", () => {
  const one = new Uint8Array([9]);
  assert.deepEqual(reconstruct(["m", { _placeholder: true, num: 0 }], [one]), ["m", one]);
  assert.throws(() => reconstruct([{ _placeholder: true, num: 1 }], [one]), /names no attachment/);
  assert.throws(
    () => reconstruct([{ _placeholder: true, num: "0" }], [one]),
    /names no attachment/,
  );
});

Deno.test("Engine.IO payloads: records split on \\x1e, b-prefixed base64 for bytes", () => {
  assert.deepEqual(decodeText("4hello"), { type: PACKET.message, data: "hello" });
  assert.equal(decodeText("x"), null);
  assert.deepEqual(decodePayload("4hello\x1ebAQIDBA=="), [
    { type: PACKET.message, data: "hello" },
    { type: PACKET.message, data: new Uint8Array([1, 2, 3, 4]) },
  ]);
  assert.equal(decodePayload("4a\x1e"), null, "an empty record");
  assert.equal(decodePayload("b!!"), null, "bad base64");
  assert.equal(encodePayload(["4a", new Uint8Array([1, 2, 3, 4]), "2"]), "4a\x1ebAQIDBA==\x1e2");
  assert.equal(encodePayload(["6"]), "6");
});
