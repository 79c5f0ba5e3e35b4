/**
 * Security headers on every answer: HTML pages get a Content-Security-Policy and the browser
 * isolation headers, every response gets `X-Content-Type-Options: nosniff`. Registered first in
 * `main.ts`, so static files, error pages and 404s get them too.
 *
 * The policy admits scripts from this origin only, with no nonce: the page has no inline script
 * (`lib/fresh/` boots islands from a file). `connect-src` names the WebSocket origin explicitly
 * (`ws://` and `wss://` of the page's host), since `'self'` does not cover `ws:` in every browser.
 *
 * @module
 */

import type { Middleware } from "fresh";

/** What the middleware reads from the configuration (`Config` fits). */
export interface SecurityHeadersOptions {
  /** `PUBLIC_URL`, the origin browsers reach the page at; `""` when unset. */
  publicUrl: string;
}

/** A host fit to stand in a CSP source: a name or address and a port. URL accepts `;` and `,`. */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/;

/** Browser features the page never uses, turned off for it and anything it could embed. */
const PERMISSIONS_POLICY = [
  "accelerometer",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "publickey-credentials-get",
  "serial",
  "usb",
  "xr-spatial-tracking",
].map((feature) => `${feature}=()`).join(", ");

/**
 * The Content-Security-Policy of a page served at `host` (as `URL.host` writes it). A host that
 * is not plain leaves `connect-src` at `'self'` rather than writing it into the policy.
 *
 * @example
 * ```ts
 * contentSecurityPolicy("127.0.0.1:8000");
 * // "default-src 'self'; script-src 'self'; connect-src 'self' ws://127.0.0.1:8000 …"
 * ```
 */
export function contentSecurityPolicy(host: string): string {
  const socket = PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self'${socket}`,
    // Neither falls back to default-src.
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** The headers for an HTML page at `host`; a route that set one of them keeps its own. */
function pageHeaders(host: string): [string, string][] {
  return [
    ["content-security-policy", contentSecurityPolicy(host)],
    ["referrer-policy", "no-referrer"],
    ["cross-origin-opener-policy", "same-origin"],
    ["permissions-policy", PERMISSIONS_POLICY],
  ];
}

/**
 * The middleware. The page's host is `PUBLIC_URL`'s when set (behind a proxy, the `Host` the
 * server sees may be the proxy's), else the request's.
 */
export function securityHeaders<State>(options: SecurityHeadersOptions): Middleware<State> {
  const publicHost = options.publicUrl === "" ? null : new URL(options.publicUrl).host;
  return async (ctx) => {
    let res = await ctx.next();
    // A WebSocket upgrade's 101 goes out as Deno made it.
    if (res.status === 101) return res;
    const html = /^text\/html\b/i.test(res.headers.get("content-type") ?? "");
    const headers: [string, string][] = [["x-content-type-options", "nosniff"]];
    if (html) headers.push(...pageHeaders(publicHost ?? ctx.url.host));
    try {
      set(res.headers, headers);
    } catch {
      // Headers of Response.redirect() and fetch() answers are immutable; answer with a copy.
      res = new Response(res.body, res);
      set(res.headers, headers);
    }
    return res;
  };
}

function set(target: Headers, headers: readonly [string, string][]): void {
  for (const [name, value] of headers) {
    if (!target.has(name)) target.set(name, value);
  }
}
