/**
 * Who may read `/metrics`. With `METRICS_TOKEN` set, a request needs `Authorization: Bearer
 * <token>` (401 otherwise), wherever it comes from. Without one, only a peer on this machine may
 * (403 otherwise): a loopback address or a Unix socket, and no forwarding header, since a reverse
 * proxy on the same machine connects from loopback on behalf of anyone.
 *
 * @module
 */

import { hasBearer } from "../bearer.ts";

/** Whether `hostname` (as `Deno.NetAddr` spells it) is a loopback address. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Headers a proxy adds: the request was made by someone else, wherever the proxy runs. */
const FORWARDED = ["forwarded", "x-forwarded-for", "x-real-ip"];

/** Whether the request comes from this machine, not through a proxy. */
export function isLocalPeer(req: Request, info: Deno.ServeHandlerInfo | undefined): boolean {
  const addr = info?.remoteAddr;
  if (!addr || FORWARDED.some((name) => req.headers.has(name))) return false;
  if (addr.transport === "unix" || addr.transport === "unixpacket") return true;
  return (addr.transport === "tcp" || addr.transport === "udp") && isLoopback(addr.hostname);
}

/** The refusal for a request that may not read `/metrics`, or undefined when it may. */
export function metricsRefusal(
  req: Request,
  info: Deno.ServeHandlerInfo | undefined,
  token: string,
): Response | undefined {
  const headers = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };
  if (token) {
    if (hasBearer(req, token)) return undefined;
    return new Response("Metrics need Authorization: Bearer <METRICS_TOKEN>\n", {
      status: 401,
      headers: { ...headers, "www-authenticate": 'Bearer realm="metrics"' },
    });
  }
  if (isLocalPeer(req, info)) return undefined;
  return new Response(
    "Metrics are served to this machine only; set METRICS_TOKEN to allow more\n",
    {
      status: 403,
      headers,
    },
  );
}
