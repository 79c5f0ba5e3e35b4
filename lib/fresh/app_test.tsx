import assert from "node:assert/strict";
import { App, HttpError, type Middleware, staticFiles } from "./mod.ts";
import type { State } from "./testdata/utils.ts";

const ROOT = new URL("./testdata/", import.meta.url);

function fixtureApp(): App<State> {
  return new App<State>({ root: ROOT }).use(staticFiles()).fsRoutes();
}

async function fetchText(
  handler: (req: Request) => Promise<Response>,
  path: string,
  init?: RequestInit,
): Promise<{ res: Response; text: string }> {
  const res = await handler(new Request(`http://localhost${path}`, init));
  return { res, text: await res.text() };
}

/** Runs `fn` with console.error captured (`fn` may watch it grow); returns what was logged. */
async function quietly(fn: (logged: unknown[][]) => Promise<void>): Promise<unknown[][]> {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    await fn(logged);
  } finally {
    console.error = original;
  }
  return logged;
}

Deno.test("file routes answer their URLs", async () => {
  const handler = fixtureApp().handler();
  const cases: [string, string][] = [
    ["/", "<h1>Home</h1>"],
    ["/about", "<h1>About</h1>"],
    ["/blog", "<h1>Blog index</h1>"],
    ["/blog/42", "<h1>Blog post 42</h1>"],
    ["/pricing", "<h1>Pricing</h1>"],
    ["/docs", "<h1>Docs []</h1>"],
    ["/docs/a/b", "<h1>Docs [a/b]</h1>"],
    ["/custom/thing-1", "<p>override thing-1</p>"],
  ];
  for (const [path, expected] of cases) {
    const { res, text } = await fetchText(handler, path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
    assert.ok(text.startsWith("<!DOCTYPE html><html"), path);
    assert.ok(text.includes(expected), `${path}: ${text}`);
  }
  const { res, text } = await fetchText(handler, "/api/stats");
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(text), { ok: true, trail: ["routes/_middleware"] });
});

Deno.test("static segments win over params, params over catch-alls", async () => {
  const handler = fixtureApp().handler();
  assert.match((await fetchText(handler, "/blog/new")).text, /<h1>New post<\/h1>/);
  assert.match((await fetchText(handler, "/about")).text, /<h1>About<\/h1>/);
  assert.match((await fetchText(handler, "/anything")).text, /<h1>Slug anything<\/h1>/);
  assert.match((await fetchText(handler, "/docs/x")).text, /<h1>Docs \[x\]<\/h1>/);
});

Deno.test("params reach handler and page decoded", async () => {
  const { res, text } = await fetchText(fixtureApp().handler(), "/blog/hello%20world");
  assert.equal(res.headers.get("x-post"), "hello world");
  assert.match(text, /<h1>Blog post hello world<\/h1>/);
});

Deno.test("_ files and folders are not routes", async () => {
  const handler = fixtureApp().handler();
  const utils = await fetchText(handler, "/_utils");
  assert.doesNotMatch(utils.text, /must not be a route/);
  assert.match(utils.text, /Slug _utils/);
  assert.equal((await fetchText(handler, "/_private/hidden")).res.status, 404);
  assert.equal((await fetchText(handler, "/(_components)/Widget")).res.status, 404);
});

Deno.test("_app wraps layouts, which nest outer to inner", async () => {
  const handler = fixtureApp().handler();
  const post = await fetchText(handler, "/blog/42");
  assert.match(
    post.text,
    /^<!DOCTYPE html><html lang="en"><head><title>fixture<\/title><\/head><body class="app"><div class="root-layout"><section class="blog-layout"><article><h1>Blog post 42<\/h1>/,
  );
  const pricing = await fetchText(handler, "/pricing");
  assert.match(
    pricing.text,
    /<body class="app"><div class="root-layout"><div class="marketing-layout"><h1>Pricing<\/h1><\/div><\/div><\/body>/,
  );
  const about = await fetchText(handler, "/about");
  assert.doesNotMatch(about.text, /blog-layout|marketing-layout/);
});

Deno.test("config can skip the app wrapper and inherited layouts", async () => {
  const { text } = await fetchText(fixtureApp().handler(), "/bare");
  assert.doesNotMatch(text, /fixture|root-layout/);
  assert.equal(
    text,
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><p>bare</p></body></html>',
  );
});

Deno.test("unmatched paths render _404 with status 404", async () => {
  const { res, text } = await fetchText(fixtureApp().handler(), "/nope/deeper");
  assert.equal(res.status, 404);
  assert.match(
    text,
    /<body class="app"><div class="root-layout"><h1[^>]*>Not found: \/nope\/deeper<\/h1>/,
  );
});

Deno.test("HttpError(404) from a handler renders _404 with the error in props", async () => {
  const { res, text } = await fetchText(fixtureApp().handler(), "/gone");
  assert.equal(res.status, 404);
  assert.match(text, /data-error="HttpError: No such thing">Not found: \/gone</);
});

Deno.test("HttpError from a handler renders _error with its status", async () => {
  const { res, text } = await fetchText(fixtureApp().handler(), "/forbidden");
  assert.equal(res.status, 403);
  assert.match(
    text,
    /<main class="error-page"><h1>Error 403<\/h1><p class="message">No entry<\/p>/,
  );
  assert.match(
    text,
    /<p class="trail">routes\/_middleware<\/p>/,
    "state survives into the error page",
  );
});

Deno.test("a plain Error renders _error as 500 and is logged", async () => {
  const handler = fixtureApp().handler();
  let boom!: { res: Response; text: string };
  const logged = await quietly(async () => {
    boom = await fetchText(handler, "/boom");
  });
  assert.equal(boom.res.status, 500);
  assert.match(boom.text, /<h1>Error 500<\/h1><p class="message">kaboom<\/p>/);
  assert.equal(logged.length, 1);
  assert.equal((logged[0][0] as Error).message, "kaboom");
});

Deno.test("HttpError from a folder _middleware renders _error; passing on reaches the page", async () => {
  const handler = fixtureApp().handler();
  const denied = await fetchText(handler, "/admin");
  assert.equal(denied.res.status, 403);
  assert.match(denied.text, /<h1>Error 403<\/h1><p class="message">Admins only<\/p>/);
  const allowed = await fetchText(handler, "/admin", { headers: { "x-user": "admin" } });
  assert.equal(allowed.res.status, 200);
  assert.match(allowed.text, /<h1>Hello admin<\/h1>/);
});

Deno.test("without error pages, errors fall back to plain text", async () => {
  const app = new App()
    .get("/forbidden", () => {
      throw new HttpError(403, "Go away");
    })
    .get("/boom", () => {
      throw new Error("secret detail");
    });
  const handler = app.handler();
  const forbidden = await fetchText(handler, "/forbidden");
  assert.equal(forbidden.res.status, 403);
  assert.equal(forbidden.text, "Go away");
  assert.equal(forbidden.res.headers.get("content-type"), "text/plain; charset=utf-8");
  let boom!: { res: Response; text: string };
  await quietly(async () => {
    boom = await fetchText(handler, "/boom");
  });
  assert.equal(boom.res.status, 500);
  assert.equal(boom.text, "Internal Server Error", "the message of a plain Error is not leaked");
  const missing = await fetchText(handler, "/missing");
  assert.equal(missing.res.status, 404);
  assert.equal(missing.text, "Not Found");
});

Deno.test("a method the route does not handle gets 405 with Allow", async () => {
  const handler = fixtureApp().handler();
  const put = await fetchText(handler, "/api/stats", { method: "PUT" });
  assert.equal(put.res.status, 405);
  assert.equal(put.res.headers.get("allow"), "GET, HEAD, POST");
  assert.match(put.text, /<h1>Error 405<\/h1>/);
  const del = await fetchText(handler, "/form", { method: "DELETE" });
  assert.equal(del.res.status, 405);
  assert.equal(del.res.headers.get("allow"), "GET, HEAD, POST");
  const page = await fetchText(handler, "/about", { method: "POST" });
  assert.equal(page.res.status, 405);
  assert.equal(page.res.headers.get("allow"), "GET, HEAD");

  const plain = new App().get("/only", () => new Response("x")).handler();
  const res = await plain(new Request("http://localhost/only", { method: "POST" }));
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD");
});

Deno.test("HEAD runs the GET handler and drops the body", async () => {
  const handler = fixtureApp().handler();
  const post = await fetchText(handler, "/blog/7", { method: "HEAD" });
  assert.equal(post.res.status, 200);
  assert.equal(post.res.headers.get("x-post"), "7");
  assert.equal(post.res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(post.text, "");
  const api = await fetchText(handler, "/api/stats", { method: "HEAD" });
  assert.equal(api.res.status, 200);
  assert.equal(api.text, "");
});

Deno.test("per-method handlers: POST renders the page with data and status", async () => {
  const handler = fixtureApp().handler();
  const form = new FormData();
  form.set("name", "Ada");
  const posted = await fetchText(handler, "/form", { method: "POST", body: form });
  assert.equal(posted.res.status, 201);
  assert.match(posted.text, /<p>Thanks Ada<\/p>/);
  const shown = await fetchText(handler, "/form");
  assert.equal(shown.res.status, 200, "a page without GET handler still answers GET");
  assert.match(shown.text, /<form method="post">form<\/form>/);
  const json = await fetchText(handler, "/api/stats", {
    method: "POST",
    body: JSON.stringify({ a: 1 }),
  });
  assert.equal(json.res.status, 201);
  assert.deepEqual(JSON.parse(json.text), { received: { a: 1 } });
});

Deno.test("a handler function answers every method", async () => {
  const handler = fixtureApp().handler();
  assert.equal(
    (await fetchText(handler, "/api/echo", { method: "PATCH" })).text,
    "PATCH /api/echo",
  );
  assert.equal(
    (await fetchText(handler, "/api/echo", { method: "DELETE" })).text,
    "DELETE /api/echo",
  );
});

Deno.test("middlewares run in order around the handler; state reaches the page", async () => {
  const order: string[] = [];
  const mw = (name: string): Middleware<State> => async (ctx) => {
    (ctx.state.trail ??= []).push(name);
    order.push(`${name} before`);
    const res = await ctx.next();
    order.push(`${name} after`);
    return res;
  };
  const app = new App<State>({ root: ROOT }).use(mw("app-1")).use(mw("app-2")).fsRoutes();
  const { res, text } = await fetchText(app.handler(), "/blog/1");
  assert.match(
    text,
    /<p class="trail">app-1,app-2,routes\/_middleware,blog\/_middleware#1,blog\/_middleware#2<\/p>/,
  );
  assert.deepEqual(order, ["app-1 before", "app-2 before", "app-2 after", "app-1 after"]);
  assert.equal(res.headers.get("x-root-middleware"), "1", "set after ctx.next() returned");
});

Deno.test("a middleware registered after a route does not run for it", async () => {
  const seen: string[] = [];
  const app = new App()
    .use((ctx) => (seen.push(`first ${ctx.url.pathname}`), ctx.next()))
    .get("/a", () => new Response("a"))
    .use((ctx) => (seen.push(`second ${ctx.url.pathname}`), ctx.next()))
    .get("/b", () => new Response("b"));
  const handler = app.handler();
  await fetchText(handler, "/a");
  await fetchText(handler, "/b");
  assert.deepEqual(seen, ["first /a", "first /b", "second /b"]);
});

Deno.test("app.use(path, middleware) runs only at and below the path", async () => {
  const app = new App<State>({ root: ROOT })
    .use("/api", async (ctx) => {
      const res = await ctx.next();
      res.headers.set("x-api", "1");
      return res;
    })
    .fsRoutes();
  const handler = app.handler();
  assert.equal((await fetchText(handler, "/api/stats")).res.headers.get("x-api"), "1");
  assert.equal((await fetchText(handler, "/about")).res.headers.get("x-api"), null);
});

Deno.test("each request gets a fresh state object", async () => {
  const sizes: number[] = [];
  const app = new App<State>()
    .use((ctx) => {
      sizes.push(Object.keys(ctx.state).length);
      ctx.state.user = "someone";
      return ctx.next();
    })
    .get("/", (ctx) => new Response(ctx.state.user));
  const handler = app.handler();
  assert.equal((await fetchText(handler, "/")).text, "someone");
  await fetchText(handler, "/");
  assert.deepEqual(sizes, [0, 0]);
});

Deno.test("ctx.req is the very Request passed in, in middlewares and handlers", async () => {
  const seen: Request[] = [];
  const app = new App()
    .use((ctx) => (seen.push(ctx.req), ctx.next()))
    .get("/ws", (ctx) => (seen.push(ctx.req), new Response("ok")));
  const req = new Request("http://localhost/ws", { headers: { upgrade: "websocket" } });
  await app.handler()(req);
  assert.equal(seen.length, 2);
  assert.equal(seen[0], req);
  assert.equal(seen[1], req);
});

Deno.test("ctx.route, ctx.params and ctx.info", async () => {
  const seen: unknown[] = [];
  const app = new App<State>({ root: ROOT })
    .use((ctx) => (seen.push([ctx.route, ctx.params, ctx.info]), ctx.next()))
    .fsRoutes();
  const handler = app.handler();
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1234 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
  await handler(new Request("http://localhost/blog/9"), info);
  await handler(new Request("http://localhost/nope/x"));
  assert.deepEqual(seen[0], ["/blog/:id", { id: "9" }, info]);
  assert.equal((seen[0] as unknown[])[2], info);
  assert.deepEqual(seen[1], [null, {}, undefined]);
  assert.match((await fetchText(handler, "/")).text, /<p class="route">\/<\/p>/);
});

Deno.test("ctx.redirect answers with Location and status", async () => {
  const { res } = await fetchText(fixtureApp().handler(), "/old");
  assert.equal(res.status, 301);
  assert.equal(res.headers.get("location"), "/about");
  const app = new App()
    .get("/a", (ctx) => ctx.redirect("//evil.example/x"))
    .get("/b", (ctx) => ctx.redirect("https://example.com/"));
  const a = await app.handler()(new Request("http://localhost/a"));
  assert.equal(a.status, 302);
  assert.equal(a.headers.get("location"), "/evil.example/x");
  const b = await app.handler()(new Request("http://localhost/b"));
  assert.equal(b.headers.get("location"), "https://example.com/");
});

Deno.test("ctx.render in a file route uses the app wrapper and layouts", async () => {
  const { res, text } = await fetchText(fixtureApp().handler(), "/rendered");
  assert.equal(res.status, 202);
  assert.equal(res.headers.get("x-rendered"), "1");
  assert.match(text, /<body class="app"><div class="root-layout"><p>rendered by ctx<\/p><\/div>/);
});

Deno.test("ctx.render in app.get() uses the _app wrapper but no file layouts", async () => {
  const app = new App<State>({ root: ROOT })
    .get("/hello", (ctx) => ctx.render(<h1>Hi</h1>))
    .fsRoutes();
  const { text } = await fetchText(app.handler(), "/hello");
  assert.match(text, /^<!DOCTYPE html><html lang="en">.*<body class="app"><h1>Hi<\/h1><\/body>/);
});

Deno.test("handler() starts the route load; a failure is logged once and answers 500", async () => {
  const app = new App({ root: new URL("./testdata/nope/", import.meta.url) }).fsRoutes();
  const statuses: number[] = [];
  let beforeRequests = 0;
  const logged = await quietly(async (soFar) => {
    const handler = app.handler();
    // No request yet: a server learns of a broken route file when it starts, not on first use.
    for (let i = 0; i < 100 && soFar.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    beforeRequests = soFar.length;
    for (let i = 0; i < 2; i++) {
      const res = await handler(new Request("http://localhost/"));
      statuses.push(res.status);
      await res.body?.cancel();
    }
  });
  assert.equal(beforeRequests, 1, "the failure is logged before the first request");
  assert.deepEqual(statuses, [500, 500]);
  assert.equal(logged.length, 1);
  assert.match(String(logged[0][1]), /Routes folder not found/);
});

Deno.test("listen() with broken routes keeps serving 500s, without an unhandled rejection", async () => {
  const controller = new AbortController();
  const logged = await quietly(async () => {
    const server = new App({ root: new URL("./testdata/nope/", import.meta.url) })
      .fsRoutes()
      .listen({ port: 0, hostname: "127.0.0.1", signal: controller.signal, onListen() {} });
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
      assert.equal(res.status, 500);
      await res.body?.cancel();
    } finally {
      controller.abort();
      await server.finished;
    }
  });
  assert.equal(logged.length, 1);
});

Deno.test("routes are scanned once: a file added later is not picked up", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/routes`);
    await Deno.writeTextFile(
      `${root}/routes/a.ts`,
      'export const handler = () => new Response("a");',
    );
    const handler = new App({ root }).fsRoutes().handler();
    assert.equal((await fetchText(handler, "/a")).text, "a");
    await Deno.writeTextFile(
      `${root}/routes/b.ts`,
      'export const handler = () => new Response("b");',
    );
    assert.equal((await fetchText(handler, "/b")).res.status, 404);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("concurrent first requests all wait for the route load", async () => {
  const handler = fixtureApp().handler();
  const responses = await Promise.all(
    ["/", "/about", "/blog/3"].map((p) => handler(new Request(`http://localhost${p}`))),
  );
  for (const res of responses) {
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
});

Deno.test("fsRoutes() twice is refused", () => {
  assert.throws(() => new App().fsRoutes().fsRoutes(), /only be called once/);
});

Deno.test("a WebSocket upgrade on ctx.req works through middlewares", async () => {
  const controller = new AbortController();
  const app = new App()
    .use(async (ctx) => {
      const res = await ctx.next();
      res.headers.set("x-seen", "1");
      return res;
    })
    .get("/ws", (ctx) => {
      const { socket, response } = Deno.upgradeWebSocket(ctx.req);
      socket.onmessage = (e) => socket.send(`echo ${e.data}`);
      return response;
    });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: controller.signal, onListen() {} },
    app.handler(),
  );
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("hi");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    assert.equal(reply, "echo hi");
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close();
    await closed;
  } finally {
    controller.abort();
    await server.finished;
  }
});

Deno.test("listen() serves on port 0 and stops with the signal", async () => {
  const controller = new AbortController();
  let listened: Deno.NetAddr | null = null;
  const server = fixtureApp().listen({
    port: 0,
    hostname: "127.0.0.1",
    signal: controller.signal,
    onListen: (addr) => {
      listened = addr;
    },
  });
  try {
    assert.notEqual(listened, null);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const page = await fetch(`${base}/about`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<h1>About<\/h1>/);
    const file = await fetch(`${base}/hello.txt`);
    assert.equal(await file.text(), "hello static\n");
  } finally {
    controller.abort();
    await server.finished;
  }
});
