/**
 * Island props across the wire: {@linkcode stringify} on the server, {@linkcode parse} in the
 * browser. Shared by both sides, so it uses no Deno or DOM API.
 *
 * The text is JSON: an array of slots, slot 0 holding the root value. Every object, array and
 * special value gets one slot, and containers refer to their members by slot number, so a value
 * reachable twice (one signal passed to two islands) arrives as one value, and cycles work.
 *
 * | slot                        | value                                      |
 * | --------------------------- | ------------------------------------------ |
 * | `"a"`, `1`, `true`, `null`  | that primitive                             |
 * | `[3, 4]`                    | an array of the values in slots 3 and 4    |
 * | `{ "k": 5 }`                | a plain object                             |
 * | `["Date", ms]`              | a `Date` (`ms` is `null` for invalid ones) |
 * | `["Signal", 2]`             | a `@preact/signals` signal holding slot 2  |
 * | `["Map", k, v, …]`          | a `Map`                                    |
 * | `["Set", v, …]`             | a `Set`                                    |
 * | `["BigInt", "12"]`          | a `bigint`                                 |
 *
 * A root that is a constant is sent as `[["Ref", -1]]`. A slot number below zero is a constant: -1 `undefined`, -2 `NaN`, -3 `Infinity`,
 * -4 `-Infinity`, -5 `-0`. Every `<` is written as `\u003c`, so the text can sit inside a
 * `<script>` element whatever the strings hold (no `</script>`, no `<!--`).
 *
 * @module
 */

import { type Signal, signal } from "@preact/signals";

/** A value that cannot be serialized; `path` leads to it from the root. */
export class SerializeError extends TypeError {
  /** Keys and indexes from the root to the value, e.g. `["user", "onClick"]`. */
  readonly path: readonly (string | number)[];
  /** What is wrong with the value, e.g. "is a function". */
  readonly reason: string;

  constructor(path: readonly (string | number)[], reason: string) {
    super(`Cannot serialize ${formatPath(path)}: it ${reason}`);
    this.name = "SerializeError";
    this.path = path;
    this.reason = reason;
  }
}

/** `["user", 0, "name"]` → `user[0].name`; `[]` → `the value`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "the value";
  return path.map((key, i) =>
    typeof key === "number"
      ? `[${key}]`
      : /^[A-Za-z_$][\w$]*$/.test(key)
      ? (i === 0 ? key : `.${key}`)
      : `[${JSON.stringify(key)}]`
  ).join("");
}

const SIGNAL_BRAND = Symbol.for("preact-signals");

function isSignal(value: object): value is Signal<unknown> {
  return (value as { brand?: unknown }).brand === SIGNAL_BRAND;
}

/** Preact marks every vnode with `constructor: undefined`. */
function isVNode(value: object): boolean {
  return "type" in value && "props" in value && (value as { constructor?: unknown }).constructor ===
      undefined;
}

const CONSTANTS = { undefined: -1, NaN: -2, Infinity: -3, NegInfinity: -4, NegZero: -5 } as const;

type Slot = string | number | boolean | null | unknown[] | Record<string, number>;

/**
 * Serializes `value` to text that {@linkcode parse} turns back into an equal value. Supports
 * `undefined`, `null`, booleans, numbers (`NaN`, `±Infinity` and `-0` too), strings, bigints,
 * arrays, plain objects, `Date`, `Map`, `Set` and `@preact/signals` signals (sent as a signal
 * holding the current value; computed signals too). Throws a {@linkcode SerializeError} naming
 * the path for anything else: functions, symbols, JSX elements, class instances.
 *
 * ```ts
 * import { parse, stringify } from "./serialize.ts";
 *
 * const text = stringify({ when: new Date(0), tags: ["a"] });
 * parse(text); // { when: Date(0), tags: ["a"] }
 * ```
 */
export function stringify(value: unknown): string {
  const slots: Slot[] = [];
  const seen = new Map<unknown, number>();
  const path: (string | number)[] = [];

  const ref = (v: unknown, key?: string | number): number => {
    if (key !== undefined) path.push(key);
    try {
      return encode(v);
    } finally {
      if (key !== undefined) path.pop();
    }
  };

  const encode = (v: unknown): number => {
    switch (typeof v) {
      case "undefined":
        return CONSTANTS.undefined;
      case "number":
        if (Number.isNaN(v)) return CONSTANTS.NaN;
        if (v === Infinity) return CONSTANTS.Infinity;
        if (v === -Infinity) return CONSTANTS.NegInfinity;
        if (Object.is(v, -0)) return CONSTANTS.NegZero;
        return slots.push(v) - 1;
      case "string":
      case "boolean":
        return slots.push(v) - 1;
      case "bigint":
        return slots.push(["BigInt", v.toString()]) - 1;
      case "function":
        throw new SerializeError([...path], "is a function");
      case "symbol":
        throw new SerializeError([...path], "is a symbol");
    }
    if (v === null) return slots.push(null) - 1;
    const known = seen.get(v);
    if (known !== undefined) return known;
    const obj = v as object;
    const index = slots.push(null) - 1;
    seen.set(obj, index);

    if (isSignal(obj)) {
      slots[index] = ["Signal", ref(obj.peek(), "value")];
    } else if (Array.isArray(obj)) {
      const items: number[] = [];
      for (let i = 0; i < obj.length; i++) items.push(ref(obj[i], i));
      slots[index] = items;
    } else if (obj instanceof Date) {
      const ms = obj.getTime();
      slots[index] = ["Date", Number.isNaN(ms) ? null : ms];
    } else if (obj instanceof Map) {
      const items: unknown[] = ["Map"];
      let i = 0;
      for (const [k, item] of obj) {
        items.push(ref(k, i), ref(item, i));
        i++;
      }
      slots[index] = items;
    } else if (obj instanceof Set) {
      const items: unknown[] = ["Set"];
      let i = 0;
      for (const item of obj) items.push(ref(item, i++));
      slots[index] = items;
    } else if (isVNode(obj)) {
      throw new SerializeError([...path], "is a JSX element (pass data, render it in the island)");
    } else {
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto?.constructor as { name?: string } | undefined)?.name || "unknown";
        throw new SerializeError([...path], `is an instance of ${name}, not plain data`);
      }
      const fields: Record<string, number> = {};
      for (const key of Object.keys(obj)) {
        fields[key] = ref((obj as Record<string, unknown>)[key], key);
      }
      slots[index] = fields;
    }
    return index;
  };

  // The root is encoded first, so it is slot 0, unless it is a constant.
  const root = encode(value);
  return escapeForScript(JSON.stringify(root === 0 ? slots : [["Ref", root]]));
}

/** Makes JSON text safe inside a `<script>` element (and for JS source, U+2028/2029). */
export function escapeForScript(json: string): string {
  return json.replace(
    /[<\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Turns text from {@linkcode stringify} back into a value: signals become new signals holding
 * their value, dates become `Date`s. Values that were one value on the server are one here.
 */
export function parse(text: string): unknown {
  const slots = JSON.parse(text) as Slot[];
  const done = new Map<number, unknown>();

  const decode = (n: number): unknown => {
    if (n < 0) {
      switch (n) {
        case CONSTANTS.undefined:
          return undefined;
        case CONSTANTS.NaN:
          return NaN;
        case CONSTANTS.Infinity:
          return Infinity;
        case CONSTANTS.NegInfinity:
          return -Infinity;
        case CONSTANTS.NegZero:
          return -0;
      }
      throw new SyntaxError(`Unknown constant ${n}`);
    }
    if (done.has(n)) return done.get(n);
    if (n >= slots.length) throw new SyntaxError(`Slot ${n} is missing`);
    const slot = slots[n];
    if (slot === null || typeof slot !== "object") return slot;
    if (Array.isArray(slot)) {
      if (typeof slot[0] !== "string") {
        const arr: unknown[] = [];
        done.set(n, arr);
        for (const item of slot) arr.push(decode(item as number));
        return arr;
      }
      const [tag, ...rest] = slot as [string, ...number[]];
      switch (tag) {
        case "Ref":
          return decode(rest[0]);
        case "Date": {
          const date = new Date(rest[0] === null ? NaN : rest[0]);
          done.set(n, date);
          return date;
        }
        case "BigInt":
          return BigInt(rest[0] as unknown as string);
        case "Signal": {
          const sig = signal<unknown>(undefined);
          done.set(n, sig);
          sig.value = decode(rest[0]);
          return sig;
        }
        case "Map": {
          const map = new Map();
          done.set(n, map);
          for (let i = 0; i < rest.length; i += 2) map.set(decode(rest[i]), decode(rest[i + 1]));
          return map;
        }
        case "Set": {
          const set = new Set();
          done.set(n, set);
          for (const item of rest) set.add(decode(item));
          return set;
        }
      }
      throw new SyntaxError(`Unknown tag ${JSON.stringify(tag)}`);
    }
    const obj: Record<string, unknown> = {};
    done.set(n, obj);
    for (const [key, item] of Object.entries(slot)) {
      // defineProperty, so a "__proto__" key stays a plain key.
      Object.defineProperty(obj, key, {
        value: decode(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return obj;
  };

  return decode(0);
}
