/**
 * Serves seed 001's page (`fixtures/seed001/`, as the seed wrote it) from an origin of its own,
 * as the seeds' pages are served from elsewhere, with socket.io-client 4.0.1's browser build from
 * npm in place of the CDN's. The page calls `io()`, which dials the page's own origin, so
 * everything under `/socket.io/` is passed on to the hub (long-polls by fetch, WebSockets frame by
 * frame), Origin included: the hub must allow the page's origin, as a deployment would.
 */

import "socket.io-client-4.0.1";

const FIXTURE = new URL("./fixtures/seed001/", import.meta.url);

/** socket.io-client 4.0.1's browser build, read from Deno's npm cache. */
async function clientBuild(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(out.stdout)) as { npmCache: string };
  return await Deno.readTextFile(
    `${npmCache}/registry.npmjs.org/socket.io-client/4.0.1/dist/socket.io.js`,
  );
}

/** Relays one WebSocket between the page and the hub until either side closes. */
function relay(req: Request, target: string): Response {
  // Read before the upgrade: the request's headers are gone after it.
  const origin = req.headers.get("origin");
  const { socket: page, response } = Deno.upgradeWebSocket(req);
  const hub = new WebSocket(target, origin ? { headers: { origin } } as unknown as string[] : []);
  page.binaryType = hub.binaryType = "arraybuffer";
  const waiting: (string | ArrayBuffer)[] = [];
  page.onmessage = (event) => {
    if (hub.readyState === WebSocket.OPEN) hub.send(event.data);
    else waiting.push(event.data);
  };
  hub.onopen = () => {
    for (const data of waiting.splice(0)) hub.send(data);
  };
  hub.onmessage = (event) => page.readyState === WebSocket.OPEN && page.send(event.data);
  const end = (other: WebSocket) => () => {
    if (other.readyState === WebSocket.OPEN || other.readyState === WebSocket.CONNECTING) {
      other.close();
    }
  };
  page.onclose = end(hub);
  hub.onclose = end(page);
  page.onerror = hub.onerror = () => {};
  return response;
}

export interface SeedPage extends AsyncDisposable {
  /** Where the page is: `http://127.0.0.1:<port>/`. */
  url: string;
  origin: string;
}

/** Serves the page on a random loopback port, passing `/socket.io/` on to the hub at `hubPort`. */
export async function serveSeedPage(hubPort: number): Promise<SeedPage> {
  const files: Record<string, [string, string]> = {
    "/": [await Deno.readTextFile(new URL("index.html", FIXTURE)), "text/html; charset=utf-8"],
    "/app.js": [await Deno.readTextFile(new URL("app.js", FIXTURE)), "text/javascript"],
    "/socket.io.js": [await clientBuild(), "text/javascript"],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    // Browsers ask for one; a 404 would be a console error.
    if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
    const file = files[url.pathname];
    if (file) return new Response(file[0], { headers: { "content-type": file[1] } });
    if (!url.pathname.startsWith("/socket.io/")) return new Response("Not found", { status: 404 });
    const target = `127.0.0.1:${hubPort}${url.pathname}${url.search}`;
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return relay(req, `ws://${target}`);
    }
    const headers = new Headers(req.headers);
    headers.delete("host");
    const answer = await fetch(`http://${target}`, {
      method: req.method,
      headers,
      body: req.method === "POST" ? await req.arrayBuffer() : undefined,
      signal: req.signal,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: `${origin}/`,
    origin,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
