/**
 * Code shared by the server and (later) the browser, as `fresh/runtime`.
 *
 * @module
 */

/**
 * `true` when running in a browser, `false` on the server. Use it to guard
 * code that touches browser-only globals.
 *
 * ```ts
 * import { IS_BROWSER } from "fresh/runtime";
 *
 * const width = IS_BROWSER ? globalThis.innerWidth : 0;
 * ```
 */
export const IS_BROWSER: boolean = typeof document !== "undefined";

/**
 * Returns the URL to use for a file in `static/`.
 *
 * In Fresh 2 this appends a build-id cache-bust query (`?__frsh_c=…`) so the
 * file may be cached for a year. Until the build step exists this returns the
 * path unchanged; `staticFiles()` already treats `?__frsh_c=` URLs as immutable.
 *
 * ```ts
 * import { asset } from "fresh/runtime";
 *
 * asset("/styles.css"); // "/styles.css"
 * ```
 */
export function asset(path: string): string {
  return path;
}
