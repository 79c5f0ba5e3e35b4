/**
 * The cross-site WebSocket hijacking guard: browsers always send `Origin` on a WebSocket upgrade,
 * and cookies ride along, so an upgrade from a page on another site is refused before it opens.
 * Clients that are not browsers send no `Origin` and are let through.
 *
 * @module
 */

/**
 * Whether an upgrade request may proceed. The server's own origin (the `Origin` host equals the
 * request's `Host`) is always allowed; `allowed` adds more, and `["*"]` allows every origin.
 *
 * @example
 * ```ts
 * const req = new Request("http://hub.example/ws", { headers: { origin: "https://evil.example" } });
 * originAllowed(req, []); // false
 * ```
 */
export function originAllowed(req: Request, allowed: readonly string[]): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (allowed[0] === "*" || allowed.includes(origin)) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  return originHost === (req.headers.get("host") ?? new URL(req.url).host);
}
