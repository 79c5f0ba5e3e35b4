/**
 * A levelled logger with two line formats, one record per line either way. Below-threshold calls
 * cost one comparison.
 *
 * `text` (the default): `time LEVEL message key=value...`, so logs stay greppable without a JSON
 * parser. An Error field prints as its message, `error="boom"`, followed by its stack as a second
 * field of the same line, `error.stack="Error: boom\n    at …"` (JSON-escaped, like every string).
 * The stack stays on the record's line rather than on continuation lines so that a record is still
 * one line: `grep 'request failed'` returns the whole record with its stack, and line-based tools
 * (`tail -f | grep`, `sort`, log shippers) never split one. `JSON.parse` of the value gives the
 * stack back with its line breaks.
 *
 * `json` (`LOG_FORMAT=json`): one object per line, `{"time","level","msg",...fields}`, for log
 * shippers. An Error field becomes `{"message","stack"}` under its own key, so `error.message` and
 * `error.stack` are paths a shipper indexes without a mapping clash; a field named like one of
 * the three record keys is written with a leading `_` rather than replace it. Values JSON cannot
 * hold are written as text (bigints) or dropped (functions, `undefined`), and a value that cannot
 * be serialized at all (a cycle) is written as its `String()`: logging never throws.
 *
 * @module
 */

import type { LogFormat, LogLevel } from "./config.ts";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** Where formatted lines go: one call per record, without a trailing newline. */
export type LogSink = (line: string, level: LogLevel) => void;

export interface LoggerOptions {
  /** `text` by default. */
  format?: LogFormat;
  /** The console by default: stdout below warn, stderr from warn up. */
  sink?: LogSink;
}

/** Debug and info to stdout, warnings and errors to stderr (the console functions of the time). */
function consoleSink(): LogSink {
  const { log, error } = console;
  return (line, level) => level === "warn" || level === "error" ? error(line) : log(line);
}

function field(key: string, value: unknown): string {
  return ` ${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
}

function formatText(level: LogLevel, message: string, fields?: Fields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase()} ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (!(value instanceof Error)) {
        line += field(key, value);
        continue;
      }
      line += field(key, value.message);
      if (value.stack) line += field(`${key}.stack`, value.stack);
    }
  }
  return line;
}

/** Errors (top-level or nested) as their message and stack; bigints as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { message: value.message, stack: value.stack };
  if (typeof value === "bigint") return value.toString();
  return value;
}

function serialize(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, jsonValue);
  } catch {
    return JSON.stringify(String(value));
  }
}

const RECORD_KEYS = new Set(["time", "level", "msg"]);

function formatJson(level: LogLevel, message: string, fields?: Fields): string {
  // Built by hand rather than as one object so that one bad field cannot cost the whole record.
  let line = `{"time":"${new Date().toISOString()}","level":"${level}","msg":${
    JSON.stringify(message)
  }`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      const json = serialize(value);
      if (json === undefined) continue;
      line += `,${JSON.stringify(RECORD_KEYS.has(key) ? `_${key}` : key)}:${json}`;
    }
  }
  return line + "}";
}

/**
 * Creates a logger that drops records below `level` and hands the others to a sink, as text lines
 * or JSON objects. A bare sink as second argument stands for `{ sink }`.
 *
 * @example
 * ```ts
 * const log = createLogger("info", { format: "json" });
 * log.info("listening", { port: 8000 }); // {"time":"…","level":"info","msg":"listening","port":8000}
 * ```
 */
export function createLogger(level: LogLevel, options: LoggerOptions | LogSink = {}): Logger {
  const { format = "text", sink = consoleSink() } = typeof options === "function"
    ? { sink: options }
    : options;
  const write = format === "json" ? formatJson : formatText;
  const threshold = ORDER[level];
  const emit = (at: LogLevel) => (message: string, fields?: Fields) => {
    if (ORDER[at] >= threshold) sink(write(at, message, fields), at);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

const nothing = () => {};

/** A logger that keeps quiet, for tests and tools. */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};
