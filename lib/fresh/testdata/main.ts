/** The fixture app's server entry, for the build tests: `_fresh/server.js` calls `start()`. */

import { App, staticFiles } from "fresh";
import type { State } from "./utils.ts";

export function start(): void {
  const app = new App<State>().use(staticFiles()).fsRoutes();
  app.listen({
    hostname: "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? 0),
    onListen: ({ port }) => console.log(`listening on port ${port}`),
  });
}

if (import.meta.main) start();
