/**
 * The server: a Fresh app with security headers, the services middleware, the WebSocket endpoint
 * (`routes/ws.ts`), static files and the other file-system routes. `deno task start` runs it
 * through the build's production entry, `_fresh/server.js`, which calls {@link start};
 * `deno run main.ts` works too (islands are then bundled in memory).
 *
 * @module
 */

import { App, staticFiles } from "fresh";
import { securityHeaders } from "./lib/server/security_headers.ts";
import { runServer } from "./lib/server/start.ts";
import type { Services } from "./lib/server/services.ts";
import { handler as ws } from "./routes/ws.ts";
import type { State } from "./utils.ts";

/** Builds the app around one set of services, so tests can start as many servers as they need. */
export function createApp(services: Services): App<State> {
  return new App<State>()
    // First, so that static files, error pages and 404s get the headers too.
    .use(securityHeaders(services.config))
    .use((ctx) => {
      ctx.state.services = services;
      return ctx.next();
    })
    // Every connection starts with this request: it is matched first, before the static-file
    // lookup and the page routes, which it never needs. (`fsRoutes()` lists routes/ws.ts too;
    // the first route that matches answers.)
    .get("/ws", ws.GET)
    .use(staticFiles())
    .fsRoutes();
}

/** Serves the app, configured by the environment, until SIGINT or SIGTERM. */
export function start(): Promise<void> {
  return runServer(createApp);
}

if (import.meta.main) await start();
