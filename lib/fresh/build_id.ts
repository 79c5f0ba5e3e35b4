/**
 * The build id that `asset()` appends as `?__frsh_c=`. Set by the production build on the server
 * and by the boot script in the browser; `null` (no cache-busting) without a build.
 *
 * It lives on `globalThis`, so every copy of this module agrees on it.
 *
 * @module
 */

const KEY = Symbol.for("fresh.buildId");

/** The current build id, or `null`. */
export function getBuildId(): string | null {
  return (globalThis as Record<symbol, string | null | undefined>)[KEY] ?? null;
}

/** Sets (or with `null`, clears) the build id. */
export function setBuildId(id: string | null): void {
  (globalThis as Record<symbol, string | null>)[KEY] = id;
}
