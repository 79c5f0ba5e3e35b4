/**
 * The build script, as in every Fresh 2 app.
 *
 * - `deno task build` (`dev.ts build`): writes the production build to `_fresh/`.
 * - `deno task start` (`dev.ts build --if-stale`): builds only when `_fresh/` is missing or older
 *   than the sources, then the task runs `_fresh/server.js`.
 * - `deno task dev` (`dev.ts`, under `--watch`): builds, then serves the build in this process;
 *   `--watch` restarts (and so rebuilds) on every change.
 *
 * @module
 */

import { Builder } from "fresh/dev";

const builder = new Builder({ root: import.meta.dirname, serverEntry: "main.ts" });

if (Deno.args.includes("build")) {
  if (!Deno.args.includes("--if-stale") || await builder.isStale()) {
    const manifest = await builder.build();
    console.log(
      `Built _fresh/ (build ${manifest.buildId}, ${manifest.islands.length} island files)`,
    );
  }
} else {
  await builder.build();
  // Not a literal specifier, so type checking does not need a build to exist.
  const entry = new URL("./_fresh/server.js", import.meta.url).href;
  await import(entry);
}
