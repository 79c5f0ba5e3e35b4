import assert from "node:assert/strict";
import { computed, type Signal, signal } from "@preact/signals";
import { escapeForScript, formatPath, parse, SerializeError, stringify } from "./serialize.ts";

function roundTrip<T>(value: T): T {
  return parse(stringify(value)) as T;
}

Deno.test("primitives, nested objects and arrays round-trip", () => {
  const value = {
    s: "text",
    n: 1.5,
    zero: 0,
    t: true,
    f: false,
    nil: null,
    list: [1, "two", [3, [4]], { five: 5 }],
    deep: { a: { b: { c: ["d"] } } },
    empty: {},
    none: [],
  };
  assert.deepEqual(roundTrip(value), value);
  for (const v of ["", "plain", 0, 42, -7.25, true, false, null, [], {}]) {
    assert.deepEqual(roundTrip(v), v);
  }
});

Deno.test("special numbers, undefined and bigint round-trip", () => {
  const out = roundTrip({ a: NaN, b: Infinity, c: -Infinity, d: -0, e: undefined, f: 12n });
  assert.ok(Number.isNaN(out.a));
  assert.equal(out.b, Infinity);
  assert.equal(out.c, -Infinity);
  assert.ok(Object.is(out.d, -0));
  assert.ok("e" in out && out.e === undefined);
  assert.equal(out.f, 12n);
  assert.equal(roundTrip(undefined), undefined);
  assert.ok(Number.isNaN(roundTrip(NaN)));
  assert.deepEqual(roundTrip([undefined, 1]), [undefined, 1]);
});

Deno.test("a Date arrives as a Date, invalid ones too", () => {
  const when = new Date(Date.UTC(2024, 1, 29, 12, 30));
  const out = roundTrip({ when, bad: new Date(NaN) });
  assert.ok(out.when instanceof Date);
  assert.equal(out.when.getTime(), when.getTime());
  assert.ok(out.bad instanceof Date && Number.isNaN(out.bad.getTime()));
});

Deno.test("a signal arrives as a signal with the same value; computed ones as signals", () => {
  const count = signal(3);
  const doubled = computed(() => count.value * 2);
  const nested = signal({ when: new Date(5), list: [signal("x")] });
  const out = roundTrip({ count, doubled, nested });
  assert.equal((out.count as Signal<number>).value, 3);
  assert.equal(out.doubled.value, 6);
  assert.ok(out.nested.value.when instanceof Date);
  assert.equal(out.nested.value.list[0].value, "x");
  // A live signal in the browser: writing it works.
  (out.count as Signal<number>).value = 4;
  assert.equal(out.count.value, 4);
});

Deno.test("one value reached twice stays one value; cycles work", () => {
  const shared = signal(1);
  const obj: Record<string, unknown> = { name: "loop" };
  obj.self = obj;
  const out = roundTrip([{ s: shared }, { s: shared }, obj]) as [
    { s: Signal<number> },
    { s: Signal<number> },
    Record<string, unknown>,
  ];
  assert.equal(out[0].s, out[1].s);
  assert.equal(out[2].self, out[2]);
});

Deno.test("Map and Set round-trip", () => {
  const out = roundTrip({
    m: new Map<unknown, unknown>([["a", 1], [2, { b: true }]]),
    s: new Set([1, "x"]),
  });
  assert.deepEqual(out.m, new Map<unknown, unknown>([["a", 1], [2, { b: true }]]));
  assert.deepEqual(out.s, new Set([1, "x"]));
});

Deno.test("strings cannot break out of a script element", () => {
  const nasty = "</script><script>alert(1)</script><!-- <!--x--> \u2028\u2029 </SCRIPT>";
  const text = stringify({ nasty, [nasty]: 1 });
  assert.doesNotMatch(text, /</);
  assert.doesNotMatch(text, /[\u2028\u2029]/);
  const out = parse(text) as Record<string, unknown>;
  assert.equal(out.nasty, nasty);
  assert.equal(out[nasty], 1);
  assert.equal(escapeForScript('"<"'), '"\\u003c"');
});

Deno.test("a __proto__ key stays a plain key", () => {
  const out = parse(stringify(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<
    string,
    unknown
  >;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("functions, symbols, JSX and class instances are refused with their path", () => {
  const cases: [unknown, string, RegExp][] = [
    [{ onClick: () => {} }, "onClick", /is a function/],
    [{ a: [1, { b: Symbol("x") }] }, "a[1].b", /is a symbol/],
    [{ child: { type: "p", props: {}, constructor: undefined } }, "child", /JSX element/],
    [{ when: new (class Thing {})() }, "when", /instance of Thing/],
    [{ "odd key": () => {} }, '["odd key"]', /function/],
  ];
  for (const [value, path, reason] of cases) {
    assert.throws(() => stringify(value), (err: unknown) => {
      assert.ok(err instanceof SerializeError);
      assert.equal(formatPath(err.path), path);
      assert.match(err.message, reason);
      return true;
    });
  }
});
