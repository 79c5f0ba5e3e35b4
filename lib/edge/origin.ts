/**
 * The cross-site WebSocket hijacking guard: browsers always send `Origin` on a WebSocket upgrade,
 * and cookies ride along, so an upgrade from a page on another site is refused before it opens.
 * Clients that are not browsers send no `Origin` and are let through.
 *
 * "Same origin" cannot be read off the request alone: `Origin` equal to the `Host` the request came
 * to is also what DNS rebinding looks like (a page on `attacker.example` whose name now resolves to
 * the hub; the browser sends the attacker's name in both). So the own origin is `PUBLIC_URL` when
 * set, and the only `Host` a browser may come to is then its host. Without it, `Origin` equal to
 * `Host` counts only for `localhost` and IP literals, which no DNS answer can stand for; a page
 * served under a DNS name needs `PUBLIC_URL` or `ALLOWED_ORIGINS`.
 *
 * @module
 */

/** What the guard reads from the configuration (`Config` fits). */
export interface OriginPolicy {
  /** `ALLOWED_ORIGINS`: extra origins; `["*"]` allows every origin. */
  allowedOrigins: readonly string[];
  /** `PUBLIC_URL` as a bare origin, or `""` when unset. */
  publicUrl: string;
}

/** What a `Host` header may hold: a name or address and a port, nothing a URL would read more into. */
const HOST = /^[A-Za-z0-9._~\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/;

/**
 * A `Host` header as `URL.host` writes it for `protocol` (lower case, IPv4 normalized, the default
 * port dropped), or `null` when it is not a plain host.
 */
function normalHost(host: string, protocol: string): string | null {
  if (!HOST.test(host)) return null;
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return null;
  }
}

/** An `Origin` header as a URL, or `null` unless it is a bare http(s) origin as browsers send. */
function parseOrigin(origin: string): URL | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.origin === origin ? url : null;
}

/** Whether a URL hostname is `localhost` or an IP literal (the URL parser has normalized it). */
function isAddressLike(hostname: string): boolean {
  return hostname === "localhost" || hostname.startsWith("[") ||
    /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Whether an upgrade request may proceed. No `Origin`: yes. With `publicUrl` set: only when `Host`
 * is its host, and `Origin` is `publicUrl` or allowed by `allowedOrigins`. Without it:
 * `allowedOrigins` (`["*"]` allows all), or `Origin` equal to `Host` (scheme not compared) on
 * `localhost` or an IP literal.
 *
 * @example
 * ```ts
 * const req = new Request("http://hub.example/ws", {
 *   headers: { host: "attacker.example", origin: "http://attacker.example" },
 * });
 * originAllowed(req, { allowedOrigins: [], publicUrl: "" }); // false
 * ```
 */
export function originAllowed(req: Request, policy: OriginPolicy): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  const host = req.headers.get("host") ?? new URL(req.url).host;
  const listed = policy.allowedOrigins[0] === "*" || policy.allowedOrigins.includes(origin);

  if (policy.publicUrl !== "") {
    const own = new URL(policy.publicUrl);
    if (normalHost(host, own.protocol) !== own.host) return false;
    return origin === own.origin || listed;
  }

  if (listed) return true;
  const url = parseOrigin(origin);
  if (url === null) return false;
  return normalHost(host, url.protocol) === url.host && isAddressLike(url.hostname);
}
