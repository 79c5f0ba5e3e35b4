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
import { KeyError } from "../auth/verify.ts";
import { keepServing } from "./accept_errors.ts";

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

/** The server could not listen on `host:port`; {@link reason} says why in a few plain words. */
export class ListenError extends Error {
  /** `host:port`, with brackets around an IPv6 host. */
  readonly address: string;
  readonly reason: string;

  constructor(readonly host: string, readonly port: number, cause: unknown) {
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const reason = listenFailure(cause, port);
    super(`Cannot listen on ${address}: ${reason}`, { cause });
    this.name = "ListenError";
    this.address = address;
    this.reason = reason;
  }
}

/** Deno's listen errors in the words a user acts on (its own are OS error texts). */
function listenFailure(err: unknown, port: number): string {
  if (err instanceof Deno.errors.AddrInUse) return "address already in use";
  if (err instanceof Deno.errors.AddrNotAvailable) return "address not available on this machine";
  if (err instanceof Deno.errors.PermissionDenied) {
    return port < 1024
      ? "permission denied (ports below 1024 need privileges)"
      : "permission denied";
  }
  const message = err instanceof Error ? err.message : String(err);
  // A HOST that is neither an address nor a name that resolves.
  if (/failed to lookup address/i.test(message)) return "no such host";
  return message;
}

/**
 * Runs `listen`. When it throws, the hub has started already (and may have joined a cluster), so
 * it is stopped, within the same bound as a shutdown, before a {@link ListenError} is thrown: a
 * failed start leaves no timers and no node behind.
 */
async function listenOrStop<T>(services: Services, config: Config, listen: () => T): Promise<T> {
  try {
    return listen();
  } catch (err) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      services.close(),
      new Promise((done) => timer = setTimeout(done, SHUTDOWN_GRACE_MS)),
    ]);
    clearTimeout(timer);
    throw new ListenError(config.host, config.port, err);
  }
}

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
  const services = await createServices(full, log);
  try {
    await services.verifier?.ready;
  } catch (err) {
    await services.close();
    if (err instanceof KeyError) throw new ConfigError(err.variable, err.detail);
    throw err;
  }
  await services.hub.start();
  const app = createApp(services);
  const abort = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  // Deno.serve with app.handler() rather than app.listen(): Fresh 2's listen() resolves to nothing
  // (no server to await on shutdown) and, given port 0, hunts for a free port from 8000 instead.
  // keepServing: Deno.serve that listens again after an accept failure (out of descriptors).
  const server = await listenOrStop(services, full, () =>
    keepServing({
      log: services.log,
      port: full.port,
      hostname: full.host,
      signal: abort.signal,
      onListen: (addr: Deno.NetAddr) => resolve(addr),
    }, app.handler()));
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
  const log = createLogger(config.logLevel, { format: config.logFormat });
  let server: RunningServer;
  try {
    server = await startServer(createApp, config, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
      Deno.exit(1);
    }
    if (!(err instanceof ListenError)) throw err;
    // One line that names the variables to change; a stack trace adds nothing a user can act on.
    console.error(`Cannot listen on ${err.address} (PORT, HOST): ${err.reason}`);
    Deno.exit(1);
  }
  // Listeners go in before "listening" is printed: a supervisor may signal as soon as it reads it.
  // The first signal stops the server; later ones (a second Ctrl+C, SIGTERM on top of SIGINT) are
  // ignored rather than forcing an exit: the stop is bounded by SHUTDOWN_GRACE_MS anyway, and
  // cutting it short would skip leaving the cluster, which hands sessions to the other nodes.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
