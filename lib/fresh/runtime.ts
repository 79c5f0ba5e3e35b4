/**
 * Code shared by the server and the browser, as `fresh/runtime`.
 *
 * @module
 */

import { getBuildId } from "./build_id.ts";

/**
 * `true` when running in a browser (island code after hydration), `false` on the server,
 * including while the server renders an island. Use it to guard code that touches browser-only
 * globals.
 *
 * ```ts
 * import { IS_BROWSER } from "fresh/runtime";
 *
 * const width = IS_BROWSER ? globalThis.innerWidth : 0;
 * ```
 */
export const IS_BROWSER: boolean = typeof document !== "undefined";

/**
 * Returns the URL to use for a file in `static/`: with a production build, the path plus
 * `?__frsh_c=<build id>`, which `staticFiles()` serves with a one-year immutable cache header.
 * The build id changes whenever a static file or a client bundle does. Without a build (tests,
 * running `main.ts` directly), the path is returned unchanged. External URLs (`//host/…`,
 * `https:…`) and relative paths are returned unchanged too.
 *
 * ```ts
 * import { asset } from "fresh/runtime";
 *
 * asset("/styles.css"); // "/styles.css?__frsh_c=3f2a9c1b…" after `deno task build`
 * ```
 */
export function asset(path: string): string {
  const id = getBuildId();
  if (id === null || !path.startsWith("/") || path.startsWith("//")) return path;
  const hash = path.indexOf("#");
  const [base, fragment] = hash === -1 ? [path, ""] : [path.slice(0, hash), path.slice(hash)];
  if (/[?&]__frsh_c=/.test(base)) return path;
  return `${base}${base.includes("?") ? "&" : "?"}__frsh_c=${encodeURIComponent(id)}${fragment}`;
}
