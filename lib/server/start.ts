/**
 * Starting and stopping one server process: configuration from the environment, listening, and a
 * clean stop on SIGINT/SIGTERM. `main.ts` calls {@link runServer}; tests call {@link startServer}
 * with their own configuration to run servers in-process on port 0.
 *
 * @module
 */

import type { App } from "fresh";
import { type Config, ConfigError, DEFAULTS, loadConfig } from "./config.ts";
import { createLogger, type Logger } from "./log.ts";
import { CLOSE_CODES } from "../protocol/mod.ts";
import { createServices, type Services } from "./services.ts";

/** Builds the app for a set of services; `main.ts` exports one. */
export type AppFactory<S> = (services: Services) => App<S>;

export interface RunningServer {
  services: Services;
  /** The bound port, useful when listening on port 0. */
  port: number;
  /** `http://host:port` reachable from this machine. */
  origin: string;
  /** Closes every WebSocket with 1001, then stops listening. Resolves when done. */
  shutdown(code?: number): Promise<void>;
}

/** How long shutdown waits for connections to finish before giving up on them. */
const SHUTDOWN_GRACE_MS = 3000;

/**
 * Starts a server with `config` (defaults for anything left out).
 *
 * @example
 * ```ts
 * const server = await startServer(createApp, { port: 0, host: "127.0.0.1" });
 * await fetch(`${server.origin}/api/stats`);
 * await server.shutdown();
 * ```
 */
export async function startServer<S>(
  createApp: AppFactory<S>,
  config: Partial<Config> = {},
  log?: Logger,
): Promise<RunningServer> {
  const full: Config = { ...DEFAULTS, ...config };
  const services = createServices(full, log ?? createLogger(full.logLevel));
  await services.hub.start();
  const app = createApp(services);
  const abort = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  // Deno.serve with app.handler() rather than app.listen(): Fresh 2's listen() resolves to nothing
  // (no server to await on shutdown) and, given port 0, hunts for a free port from 8000 instead.
  const server = Deno.serve({
    port: full.port,
    hostname: full.host,
    signal: abort.signal,
    onListen: (addr: Deno.NetAddr) => resolve(addr),
  }, app.handler());
  const addr = await listening;
  const host = addr.hostname === "0.0.0.0" || addr.hostname === "::" ? "127.0.0.1" : addr.hostname;
  let stopping: Promise<void> | undefined;
  return {
    services,
    port: addr.port,
    origin: `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`,
    shutdown(code?: number) {
      stopping ??= (async () => {
        // Sockets get their 1001 at once; leaving the cluster and the last connections get a
        // bounded wait, so a stop never hangs on a Redis that is gone.
        const leaving = services.close(code);
        abort.abort();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all([leaving, server.finished]),
          new Promise((done) => timer = setTimeout(done, SHUTDOWN_GRACE_MS)),
        ]);
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/**
 * The production entry: reads the environment, exits with status 1 and a message naming the
 * variable when a value is bad, serves until SIGINT or SIGTERM, then stops cleanly with status 0.
 */
export async function runServer<S>(createApp: AppFactory<S>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig((name) => Deno.env.get(name));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Invalid configuration: ${err.message}`);
    Deno.exit(1);
  }
  const log = createLogger(config.logLevel);
  const server = await startServer(createApp, config, log);
  // Listeners go in before "listening" is printed: a supervisor may signal as soon as it reads it.
  const stop = async (signal: string) => {
    log.info("shutting down", { signal, sessions: server.services.hub.count });
    // SIGTERM is how a deployment restarts a node: clients reconnect at once and resume on
    // another node. SIGINT is someone stopping the server by hand.
    await server.shutdown(
      signal === "SIGTERM" ? CLOSE_CODES.serviceRestart : CLOSE_CODES.goingAway,
    );
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void stop(signal));
  }
  log.info("listening", { url: `http://${config.host}:${server.port}`, ws: "/ws" });
}
