/**
 * What one server process holds for its routes: configuration, logger, hub and open sockets.
 * A middleware puts it on `ctx.state`, so routes never reach for module-level singletons and tests
 * can run several servers side by side in one process.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { ConnectionContext } from "./connection.ts";
import { Hub } from "./hub.ts";
import { createLogger, type Logger } from "./log.ts";
import { CLOSE_CODES } from "./protocol.ts";

export interface Services extends ConnectionContext {
  /** Closes every socket with 1001 and stops the hub's timers. */
  close(): void;
}

/** Builds the hub and its companions for `config`; the heartbeat starts at once. */
export function createServices(
  config: Config,
  log: Logger = createLogger(config.logLevel),
): Services {
  const hub = new Hub({ heartbeatMs: config.heartbeatMs, dmRequestTtlMs: config.dmRequestTtlMs });
  hub.startHeartbeat();
  const sockets = new Set<WebSocket>();
  return {
    config,
    log,
    hub,
    sockets,
    close() {
      for (const socket of sockets) {
        try {
          socket.close(CLOSE_CODES.goingAway, "Server shutting down");
        } catch {
          // Already closing: nothing left to tell this client.
        }
      }
      sockets.clear();
      hub.close();
    },
  };
}
