/**
 * Which URL the client connects to, and with which resume token and connection token.
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

/**
 * `url` with its `resume` query parameter set to `token`, or removed when there is no token
 * (`undefined` or `""`). The other parameters are kept exactly as written, in their order.
 */
export function withResumeToken(url: string, token: string | undefined): string {
  return withParam(url, "resume", token);
}

/**
 * The URL of one connection attempt: the client's URL with `resume` set to the latest resume token
 * (or removed), and `token` set to what `getToken()` gave for this attempt. Without `getToken`
 * (`token` undefined) a `token` written in the client's own URL is kept as it is.
 */
export function attemptUrl(
  url: string,
  resumeToken: string | undefined,
  token: string | undefined,
) {
  const resumed = withResumeToken(url, resumeToken);
  return token === undefined ? resumed : withParam(resumed, "token", token);
}

/** `url` with its query parameter `name` set to `value`, or removed when there is none. */
export function withParam(url: string, name: string, value: string | undefined): string {
  const parsed = new URL(url);
  const params = parsed.search.slice(1).split("&").filter((param) => param !== "");
  const kept = params.filter((param) => param.split("=")[0] !== name);
  if (!value && kept.length === params.length) return url;
  if (value) kept.push(`${name}=${encodeURIComponent(value)}`);
  parsed.search = kept.join("&");
  return parsed.href;
}
