/**
 * Serving through accept failures. In Deno 2.9.6 an error from `accept(2)` on the listening socket
 * (EMFILE once the process is out of file descriptors; ENFILE, ENOMEM) ends `Deno.serve`'s accept
 * loop: the listening socket is closed and `server.finished` rejects with `Deno.errors.Http` ("Too
 * many open files (os error 24)"). Nothing else reports it: no `onError`, no `error` or
 * `unhandledrejection` event unless `finished` goes unhandled, and then that rejection kills the
 * process. Connections already accepted, upgraded WebSockets included, carry on regardless.
 *
 * {@link keepServing} catches the rejection, logs it at most once per second, and listens again on
 * the same port after a pause, until the server is stopped: the process keeps the connections it
 * has, and takes new ones once descriptors are free again. Upgrades past `MAX_CONNECTIONS` are
 * refused long before this (`lib/edge/capacity.ts`); this is the last line.
 *
 * @module
 */

import type { Logger } from "./log.ts";

/** The pause before listening again, and the least time between two accept-failure log lines. */
export const RETRY_MS = 1000;

export interface KeepServingOptions extends Deno.ServeTcpOptions {
  log: Logger;
  /** The pause before listening again after a failure. */
  retryMs?: number;
  /** For tests: the clock the log throttle reads. */
  now?: () => number;
  /** For tests: what listens and serves. */
  serve?: (options: Deno.ServeTcpOptions, handler: Deno.ServeHandler) => Deno.HttpServer;
}

/**
 * A gate that lets one report through per `intervalMs`: it returns how many failures the report
 * covers (those held back since the last one, plus this one), or 0 to stay quiet.
 *
 * @example
 * ```ts
 * const gate = throttle(1000);
 * gate(); // 1: report it
 * gate(); // 0: within the second, held back
 * ```
 */
export function throttle(intervalMs: number, now: () => number = Date.now): () => number {
  let last = -Infinity;
  let held = 0;
  return () => {
    const at = now();
    if (at - last < intervalMs) {
      held++;
      return 0;
    }
    last = at;
    const count = held + 1;
    held = 0;
    return count;
  };
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * `Deno.serve` that survives accept failures: same options (plus `log`), and its `finished`
 * resolves once `signal` stops it. A failure to listen at the start (port in use) still throws.
 *
 * @example
 * ```ts
 * const abort = new AbortController();
 * const server = keepServing({ port: 0, signal: abort.signal, log }, () => new Response("hi"));
 * abort.abort();
 * await server.finished;
 * ```
 */
export function keepServing(
  options: KeepServingOptions,
  handler: Deno.ServeHandler,
): { finished: Promise<void> } {
  const { log, retryMs = RETRY_MS, now, serve = Deno.serve, onListen, ...serveOptions } = options;
  const { signal } = serveOptions;
  const report = throttle(RETRY_MS, now);
  let port = serveOptions.port;
  let again = false;
  const listen = () =>
    serve({
      ...serveOptions,
      port,
      onListen(addr) {
        port = addr.port;
        if (again) log.info("accepting connections again", { port });
        else onListen?.(addr);
      },
    }, handler);
  const failed = (err: unknown) => {
    const failures = report();
    if (failures === 0) return;
    log.error("not accepting connections; serving the open ones, listening again", {
      error: err instanceof Error ? err.message : String(err),
      failures,
      retryMs,
    });
  };

  let server: Deno.HttpServer | undefined = listen();
  again = true;
  const finished = (async () => {
    while (true) {
      try {
        // Resolves when the signal stops the server; rejects when accepting failed.
        if (server) return await server.finished;
      } catch (err) {
        failed(err);
      }
      await pause(retryMs, signal);
      if (signal?.aborted) return;
      try {
        server = listen();
      } catch (err) {
        // Listening needs a descriptor too; the next attempt comes after another pause.
        server = undefined;
        failed(err);
      }
    }
  })();
  return { finished };
}
