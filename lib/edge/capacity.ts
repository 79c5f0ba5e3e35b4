/**
 * How many WebSocket connections one process holds. Every connection is a file descriptor, and a
 * process past its open-file limit cannot accept, read a file or reach Redis, so upgrades past
 * `MAX_CONNECTIONS` are refused with 503 while there is still room to answer them.
 *
 * `MAX_CONNECTIONS=0` (the default) derives the limit from the open-file limit the process runs
 * with, less a {@link reserveFor reserve} for everything else that holds a descriptor. That is the
 * soft limit as the process sees it in `/proc/self/limits`; Deno raises its soft limit to the hard
 * one at start, so on Linux it is `ulimit -Hn` of the shell that started the server.
 *
 * Deno 2.9.6 lets a program read `/proc/self/*` only with `--allow-all`: `--allow-read`, which
 * `deno task start` and `deno task compile` grant, gets `NotCapable`. Without it, and on systems
 * without `/proc`, the limit is {@link FALLBACK_OPEN_FILES assumed}, and the start-up log says so.
 *
 * @module
 */

import type { Logger } from "../server/log.ts";

/**
 * Descriptors the process holds whatever its traffic: the runtime (about 25 at idle: stdio, epoll,
 * Deno's cache databases), Redis connections and the listening socket, with room to spare.
 */
export const FIXED_RESERVE = 64;
/**
 * The share kept for what grows with traffic but is not a WebSocket: page loads and API calls (a
 * browser holds up to six HTTP connections while it loads `/`), static files being read, and
 * connections still in their handshake.
 */
export const TRAFFIC_RESERVE = 0.1;
/** The fewest connections a derived limit allows, so a tiny open-file limit still serves a few. */
export const MIN_DERIVED = 16;
/**
 * The open-file limit assumed where it cannot be read (no `--allow-all`, or not Linux). Deno raises
 * its soft limit to the hard one, and hard limits are far above this under systemd (524,288),
 * Docker (1,048,576) and on this project's test machine (20,000); the assumption keeps the 10,000
 * connections `docs/benchmarks.md` measures. Where the real limit is lower, the accept-failure
 * handling (`lib/server/accept_errors.ts`) keeps the process up; set `MAX_CONNECTIONS` there.
 */
export const FALLBACK_OPEN_FILES = 16_384;

/** Descriptors kept for everything but WebSockets, out of `openFiles`. */
export function reserveFor(openFiles: number): number {
  return FIXED_RESERVE + Math.ceil(openFiles * TRAFFIC_RESERVE);
}

/**
 * The soft "Max open files" limit from the text of `/proc/self/limits`, or undefined when the line
 * is missing or says `unlimited`.
 */
export function parseOpenFiles(limits: string): number | undefined {
  const match = limits.match(/^Max open files\s+(\d+)\s/m);
  return match ? Number(match[1]) : undefined;
}

/**
 * The process's open-file limit, or undefined where it cannot be read: not Linux, or not run with
 * `--allow-all`. Never prompts.
 */
export function readOpenFiles(): number | undefined {
  const path = "/proc/self/limits";
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
    return parseOpenFiles(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/** The connection limit and where it came from, for the start-up log. */
export interface ConnectionLimit {
  max: number;
  /** `MAX_CONNECTIONS`, the open-file limit that was read, or the fallback when none could be. */
  source: "MAX_CONNECTIONS" | "open-file limit" | "fallback";
  /** The open-file limit it was derived from, when it was. */
  openFiles?: number;
}

/**
 * The connection limit for `configured` (`MAX_CONNECTIONS`; 0 derives it from the open-file limit
 * that `readLimit` returns).
 *
 * @example
 * ```ts
 * connectionLimit(0, () => 20_000); // { max: 17936, source: "open-file limit", openFiles: 20000 }
 * connectionLimit(500).max; // 500
 * ```
 */
export function connectionLimit(
  configured: number,
  readLimit: () => number | undefined = readOpenFiles,
): ConnectionLimit {
  if (configured > 0) return { max: configured, source: "MAX_CONNECTIONS" };
  const openFiles = readLimit();
  const files = openFiles ?? FALLBACK_OPEN_FILES;
  return {
    max: Math.max(MIN_DERIVED, files - reserveFor(files)),
    source: openFiles === undefined ? "fallback" : "open-file limit",
    openFiles: files,
  };
}

/**
 * Counts WebSocket connections from their upgrade, not their `open`, so that a burst of upgrades
 * cannot all pass the check before any of them opens; each is let go once, on `close`, or on the
 * `error` Deno dispatches (with no `close`) when an upgrade fails before opening.
 */
export class ConnectionCount {
  #open = 0;

  constructor(readonly max: number) {}

  /** Connections upgraded and not yet closed. */
  get open(): number {
    return this.#open;
  }

  /** True when another upgrade would pass the limit. */
  get full(): boolean {
    return this.#open >= this.max;
  }

  /** Counts `socket`, just upgraded, until it closes. */
  track(socket: WebSocket): void {
    this.#open++;
    let counted = true;
    const release = () => {
      if (counted) this.#open--;
      counted = false;
    };
    socket.addEventListener("close", release);
    socket.addEventListener("error", () => {
      if (socket.readyState === WebSocket.CONNECTING) release();
    });
  }
}

/**
 * The count for `maxConnections` (`MAX_CONNECTIONS`; 0 derives it), logging the limit: at debug
 * when it was set or read, at info when the open-file limit had to be assumed.
 */
export function createConnectionCount(maxConnections: number, log: Logger): ConnectionCount {
  const limit = connectionLimit(maxConnections);
  if (limit.source === "fallback") {
    log.info("open-file limit unreadable without --allow-all; set MAX_CONNECTIONS to fit it", {
      maxConnections: limit.max,
      assumedOpenFiles: limit.openFiles,
    });
  } else {
    const { max, source, openFiles } = limit;
    log.debug("connection limit", { maxConnections: max, source, openFiles });
  }
  return new ConnectionCount(limit.max);
}
