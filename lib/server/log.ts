/**
 * A levelled logger: one line per record, `time level message key=value...`, so logs stay greppable
 * without a JSON parser. Below-threshold calls cost one comparison.
 *
 * An Error field prints as its message, `error="boom"`, followed by its stack as a second field
 * of the same line, `error.stack="Error: boom\n    at …"` (JSON-escaped, like every string). The
 * stack stays on the record's line rather than on continuation lines so that a record is still one
 * line: `grep 'request failed'` returns the whole record with its stack, and line-based tools
 * (`tail -f | grep`, `sort`, log shippers) never split one. `JSON.parse` of the value gives the
 * stack back with its line breaks.
 *
 * @module
 */

import type { LogLevel } from "./config.ts";

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

/** Debug and info to stdout, warnings and errors to stderr (the console functions of the time). */
function consoleSink(): LogSink {
  const { log, error } = console;
  return (line, level) => level === "warn" || level === "error" ? error(line) : log(line);
}

function field(key: string, value: unknown): string {
  return ` ${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
}

function format(level: LogLevel, message: string, fields?: Fields): string {
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

/**
 * Creates a logger that drops records below `level` and hands the others to `sink` (by default
 * the console: stdout below warn, stderr from warn up).
 *
 * @example
 * ```ts
 * const log = createLogger("info");
 * log.info("listening", { port: 8000 });
 * ```
 */
export function createLogger(level: LogLevel, sink: LogSink = consoleSink()): Logger {
  const threshold = ORDER[level];
  const emit = (at: LogLevel) => (message: string, fields?: Fields) => {
    if (ORDER[at] >= threshold) sink(format(at, message, fields), at);
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
