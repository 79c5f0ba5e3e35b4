/** The logger's two formats (text lines and JSON objects), its threshold, and Error fields keeping their stack. */

import assert from "node:assert/strict";
import type { LogLevel } from "./config.ts";
import { createLogger } from "./log.ts";

function capture(level: LogLevel) {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLogger(level, (line, at) => lines.push({ line, level: at }));
  return { log, lines };
}

Deno.test("a record is one line: time, level, message, then key=value fields", () => {
  const { log, lines } = capture("debug");
  log.info("listening", { url: "http://0.0.0.0:8000", port: 8000, tls: false });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "info");
  assert.match(
    lines[0].line,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO listening url="http:\/\/0\.0\.0\.0:8000" port=8000 tls=false$/,
  );
});

Deno.test("records below the level are dropped", () => {
  const { log, lines } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => [l.level, l.line.split(" ").slice(1).join(" ")]), [
    ["warn", "WARN w"],
    ["error", "ERROR e"],
  ]);
});

Deno.test("an Error field prints its message, then its stack escaped on the same line", () => {
  const { log, lines } = capture("info");
  const err = new TypeError("bad frame\nsecond line");
  log.error("request failed", { type: "send", error: err, after: 1 });
  assert.equal(lines.length, 1);
  const { line } = lines[0];
  assert.ok(!line.includes("\n"), "one record stays one line");
  const match = line.match(
    / request failed type="send" error=(".*?") error\.stack=(".*") after=1$/,
  );
  assert.ok(match, line);
  assert.equal(JSON.parse(match[1]), "bad frame\nsecond line");
  const stack: string = JSON.parse(match[2]);
  assert.equal(stack, err.stack);
  assert.match(stack, /^TypeError: bad frame\nsecond line\n {4}at .*log_test\.ts:\d+:\d+/);
});

Deno.test("an Error without a stack prints its message only", () => {
  const { log, lines } = capture("info");
  const err = new Error("no trace");
  err.stack = undefined;
  log.warn("odd", { error: err });
  assert.match(lines[0].line, / WARN odd error="no trace"$/);
});

Deno.test("by default, debug and info go to stdout, warn and error to stderr", () => {
  const seen: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => seen.push(`out ${line.split(" ").slice(1).join(" ")}`);
  console.error = (line: string) => seen.push(`err ${line.split(" ").slice(1).join(" ")}`);
  try {
    const logger = createLogger("debug");
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
  } finally {
    Object.assign(console, { log, error });
  }
  assert.deepEqual(seen, ["out DEBUG a", "out INFO b", "err WARN c", "err ERROR d"]);
});

// ---- LOG_FORMAT=json --------------------------------------------------------------------------

function captureJson(level: LogLevel) {
  const lines: string[] = [];
  const log = createLogger(level, { format: "json", sink: (line) => lines.push(line) });
  return { log, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

Deno.test("json: one object per line with time, level, msg, then the fields", () => {
  const { log, lines, records } = captureJson("debug");
  log.info("listening", { url: "http://0.0.0.0:8000", port: 8000, tls: false, tags: ["a"] });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes("\n"));
  assert.match(lines[0], /^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"info"/);
  const [record] = records();
  assert.deepEqual({ ...record, time: "t" }, {
    time: "t",
    level: "info",
    msg: "listening",
    url: "http://0.0.0.0:8000",
    port: 8000,
    tls: false,
    tags: ["a"],
  });
  assert.equal(new Date(record.time).toISOString(), record.time);
});

Deno.test("json: an Error field keeps its message and stack, on one line", () => {
  const { log, lines, records } = captureJson("info");
  const err = new TypeError("bad frame\nsecond line");
  log.error("request failed", { type: "send", error: err, nested: { cause: new Error("inner") } });
  assert.ok(!lines[0].includes("\n"), "one record stays one line");
  const [record] = records();
  assert.equal(record.level, "error");
  assert.equal(record.type, "send");
  assert.equal(record.error.message, "bad frame\nsecond line");
  assert.equal(record.error.stack, err.stack);
  assert.match(record.error.stack, /^TypeError: bad frame\nsecond line\n {4}at .*log_test\.ts/);
  assert.equal(record.nested.cause.message, "inner");
});

Deno.test("json: odd values never throw or break the record", () => {
  const { log, records } = captureJson("info");
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  log.warn("odd", {
    big: 12n,
    gone: undefined,
    fn: () => 1,
    cycle,
    msg: "shadow",
    level: 3,
    nan: NaN,
  });
  const [record] = records();
  assert.deepEqual({ ...record, time: "t" }, {
    time: "t",
    level: "warn",
    msg: "odd",
    big: "12",
    cycle: "[object Object]",
    _msg: "shadow",
    _level: 3,
    nan: null,
  });
});

Deno.test("json: the threshold and the console streams are those of the text format", () => {
  const seen: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => seen.push(`out ${JSON.parse(line).msg}`);
  console.error = (line: string) => seen.push(`err ${JSON.parse(line).msg}`);
  try {
    const logger = createLogger("info", { format: "json" });
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
  } finally {
    Object.assign(console, { log, error });
  }
  assert.deepEqual(seen, ["out b", "err c", "err d"]);
});
