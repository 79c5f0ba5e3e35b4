/** The hub's monotonic ULIDs: format, time prefix, and order within a millisecond and backwards. */

import assert from "node:assert/strict";
import { decodeTime, encodeTime, monotonicUlid } from "./ulid.ts";

const FORMAT = /^[0-9A-HJKMNP-TV-Z]{26}$/;

Deno.test("a ULID is 26 Crockford base-32 characters led by its time", () => {
  const ulid = monotonicUlid(() => 1_469_918_176_385);
  const id = ulid();
  assert.match(id, FORMAT);
  assert.equal(id.slice(0, 10), "01ARYZ6S41", "the spec's example time");
  assert.equal(decodeTime(id), 1_469_918_176_385);
  assert.equal(encodeTime(0), "0000000000");
  assert.equal(encodeTime(2 ** 48 - 1), "7ZZZZZZZZZ");
  assert.throws(() => encodeTime(2 ** 48), RangeError);
  assert.throws(() => encodeTime(-1), RangeError);
});

Deno.test("ids only go up: within one millisecond, and while the clock goes back", () => {
  let clock = 1000;
  const ulid = monotonicUlid(() => clock);
  const ids = Array.from({ length: 5000 }, (_, i) => {
    if (i === 2000) clock = 999; // the clock steps back
    if (i === 4000) clock = 2000;
    return ulid();
  });
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(decodeTime(ids[2500]), 1000, "a clock that went back keeps the last time");
  assert.equal(decodeTime(ids[4000]), 2000);
  // Within one millisecond only the random part's last digits move.
  assert.equal(ids[0].slice(0, 18), ids[1].slice(0, 18));
});

Deno.test("random parts of separate milliseconds differ", () => {
  let clock = 0;
  const ulid = monotonicUlid(() => ++clock);
  const randoms = new Set(Array.from({ length: 1000 }, () => ulid().slice(10)));
  assert.equal(randoms.size, 1000);
});
