/**
 * Which URL the client connects to.
 *
 * @module
 */

/**
 * Turns `http(s)` into `ws(s)` and resolves relative URLs against the page, if any.
 *
 * @throws {TypeError} for any other scheme, naming the URL.
 */
export function toSocketUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const parsed = new URL(url, base);
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new TypeError(`HubClient needs a ws:, wss:, http: or https: URL, got "${parsed.href}"`);
  }
  return parsed.href;
}
