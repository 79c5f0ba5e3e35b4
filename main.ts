/**
 * The server: a Fresh app with security headers, static files, the services middleware and
 * file-system routes (`routes/ws.ts` is the WebSocket endpoint). `deno task start` runs it through
 * the build's production entry, `_fresh/server.js`, which calls {@link start}; `deno run main.ts`
 * works too (islands are then bundled in memory).
 *
 * @module
 */

import { App, staticFiles } from "fresh";
import { securityHeaders } from "./lib/server/security_headers.ts";
import { runServer } from "./lib/server/start.ts";
import type { Services } from "./lib/server/services.ts";
import type { State } from "./utils.ts";

/** Builds the app around one set of services, so tests can start as many servers as they need. */
export function createApp(services: Services): App<State> {
  return new App<State>()
    // First, so that static files, error pages and 404s get the headers too.
    .use(securityHeaders(services.config))
    .use(staticFiles())
    .use((ctx) => {
      ctx.state.services = services;
      return ctx.next();
    })
    .fsRoutes();
}

/** Serves the app, configured by the environment, until SIGINT or SIGTERM. */
export function start(): Promise<void> {
  return runServer(createApp);
}

if (import.meta.main) await start();
