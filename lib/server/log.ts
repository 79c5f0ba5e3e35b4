/**
 * A levelled logger: one line per record, `time level message key=value...`, so logs stay greppable
 * without a JSON parser. Below-threshold calls cost one comparison.
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

function format(level: LogLevel, message: string, fields?: Fields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase()} ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      const text = value instanceof Error ? value.message : value;
      line += ` ${key}=${typeof text === "string" ? JSON.stringify(text) : String(text)}`;
    }
  }
  return line;
}

/**
 * Creates a logger that drops records below `level`.
 *
 * @example
 * ```ts
 * const log = createLogger("info");
 * log.info("listening", { port: 8000 });
 * ```
 */
export function createLogger(level: LogLevel): Logger {
  const threshold = ORDER[level];
  const emit =
    (at: LogLevel, out: (line: string) => void) => (message: string, fields?: Fields) => {
      if (ORDER[at] >= threshold) out(format(at, message, fields));
    };
  return {
    debug: emit("debug", console.log),
    info: emit("info", console.log),
    warn: emit("warn", console.error),
    error: emit("error", console.error),
  };
}

const nothing = () => {};

/** A logger that keeps quiet, for tests and tools. */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};
