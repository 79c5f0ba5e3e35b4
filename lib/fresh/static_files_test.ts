import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { App } from "./app.ts";
import {
  contentType,
  IMMUTABLE,
  isHashedName,
  serveStaticDirs,
  staticFiles,
  staticPath,
} from "./static_files.ts";

const ROOT = fileURLToPath(new URL("./testdata", import.meta.url));

/** Static files only: anything not served falls through to a plain 404. */
function staticHandler(): (req: Request) => Promise<Response> {
  return new App({ root: ROOT }).use(staticFiles()).handler();
}

async function get(path: string, init?: RequestInit): Promise<{ res: Response; text: string }> {
  const res = await staticHandler()(new Request(`http://localhost${path}`, init));
  return { res, text: await res.text() };
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("serves files from <root>/static with their content types", async () => {
  const cases: [string, string][] = [
    ["/hello.txt", "text/plain; charset=utf-8"],
    ["/style.css", "text/css; charset=utf-8"],
    ["/app-3f2a9c1b.js", "text/javascript; charset=utf-8"],
    ["/sub/nested.json", "application/json; charset=utf-8"],
    ["/icon.svg", "image/svg+xml"],
  ];
  for (const [path, type] of cases) {
    const body = await Deno.readFile(`${ROOT}/static${path}`);
    const res = await staticHandler()(new Request(`http://localhost${path}`));
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), type, path);
    assert.equal(res.headers.get("content-length"), String(body.length), path);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body, path);
  }
});

Deno.test("contentType covers the common extensions", () => {
  const cases: [string, string][] = [
    ["a.html", "text/html; charset=utf-8"],
    ["a.mjs", "text/javascript; charset=utf-8"],
    ["a.map", "application/json; charset=utf-8"],
    ["a.png", "image/png"],
    ["a.JPG", "image/jpeg"],
    ["a.jpeg", "image/jpeg"],
    ["favicon.ico", "image/x-icon"],
    ["a.webp", "image/webp"],
    ["a.woff2", "font/woff2"],
    ["a.wasm", "application/wasm"],
    ["a.unknown", "application/octet-stream"],
    ["Makefile", "application/octet-stream"],
  ];
  for (const [name, type] of cases) assert.equal(contentType(name), type, name);
});

Deno.test("a strong ETag of the content; If-None-Match answers 304", async () => {
  const { res } = await get("/hello.txt");
  const etag = res.headers.get("etag");
  assert.equal(etag, `"${await sha1("hello static\n")}"`);
  for (const ifNoneMatch of [etag!, `W/${etag}`, `"other", ${etag}`, "*"]) {
    const cached = await get("/hello.txt", { headers: { "if-none-match": ifNoneMatch } });
    assert.equal(cached.res.status, 304, ifNoneMatch);
    assert.equal(cached.text, "");
    assert.equal(cached.res.headers.get("etag"), etag);
    assert.equal(cached.res.headers.get("cache-control"), "no-cache");
  }
  const stale = await get("/hello.txt", { headers: { "if-none-match": '"other"' } });
  assert.equal(stale.res.status, 200);
  assert.equal(stale.text, "hello static\n");
});

Deno.test("the ETag follows a changed file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "one");
    const handler = new App().use(serveStaticDirs([dir])).handler();
    const first = await handler(new Request("http://localhost/a.txt"));
    assert.equal(await first.text(), "one");
    await Deno.writeTextFile(`${dir}/a.txt`, "second version");
    const second = await handler(new Request("http://localhost/a.txt"));
    assert.equal(await second.text(), "second version");
    assert.equal(second.headers.get("etag"), `"${await sha1("second version")}"`);
    assert.notEqual(second.headers.get("etag"), first.headers.get("etag"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashed names and ?__frsh_c= are immutable; others no-cache", async () => {
  assert.equal((await get("/app-3f2a9c1b.js")).res.headers.get("cache-control"), IMMUTABLE);
  assert.equal((await get("/hello.txt")).res.headers.get("cache-control"), "no-cache");
  assert.equal(
    (await get("/hello.txt?__frsh_c=abc123")).res.headers.get("cache-control"),
    IMMUTABLE,
  );
  assert.equal(IMMUTABLE, "public, max-age=31536000, immutable");
});

Deno.test("isHashedName", () => {
  for (
    const name of [
      "app-3f2a9c1b.js",
      "chunk-K4XQ2Z7M.js",
      "main.0123abcd.css",
      "x-0123456789abcdef.wasm",
    ]
  ) {
    assert.equal(isHashedName(name), true, name);
  }
  for (
    const name of [
      "logo.png",
      "hello-worldwide.css",
      "readme-FAVICONS.png",
      "app-3f2a9c.js",
      "app-3F2a9c1b.js",
    ]
  ) {
    assert.equal(isHashedName(name), false, name);
  }
});

Deno.test("HEAD answers headers only", async () => {
  const head = await get("/hello.txt", { method: "HEAD" });
  assert.equal(head.res.status, 200);
  assert.equal(head.res.headers.get("content-length"), "13");
  assert.equal(head.text, "");
});

Deno.test("bad input: POST, PUT, DELETE or OPTIONS on a static file get 405 with Allow", async () => {
  for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
    const { res, text } = await get("/hello.txt", { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD", method);
    assert.equal(text, "Method Not Allowed", method);
    assert.equal(res.headers.get("etag"), null, method);
  }
  // The same for the built browser code, served from memory without a build.
  const app = new App({ root: ROOT }).use(staticFiles()).fsRoutes().handler();
  const js = await app(
    new Request("http://localhost/_fresh/js/client/boot.js", { method: "POST" }),
  );
  assert.equal(js.status, 405);
  assert.equal(js.headers.get("allow"), "GET, HEAD");
  await js.body?.cancel();
});

Deno.test("other methods on a path that is no static file fall through", async () => {
  const handler = new App({ root: ROOT })
    .use(staticFiles())
    .post("/*", () => new Response("fell through"))
    .handler();
  for (const path of ["/missing.txt", "/sub", "/../secret.txt", "/_fresh/js/nope.js"]) {
    const res = await handler(new Request(`http://localhost${path}`, { method: "POST" }));
    assert.equal(await res.text(), "fell through", path);
  }
});

Deno.test("missing files and folders fall through to the next middleware", async () => {
  const handler = new App({ root: ROOT })
    .use(staticFiles())
    .get("/*", () => new Response("fell through"))
    .handler();
  for (const path of ["/missing.txt", "/sub", "/sub/", "/"]) {
    const res = await handler(new Request(`http://localhost${path}`));
    assert.equal(await res.text(), "fell through", path);
  }
});

Deno.test("path traversal is refused, plain or encoded", async () => {
  // testdata/secret.txt sits next to testdata/static/.
  const attempts = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/sub/..%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/%2e%2e%5csecret.txt",
    "/..%252fsecret.txt",
    "/.hidden",
  ];
  for (const path of attempts) {
    const { res, text } = await get(path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(text, /secret|SECRET/, path);
    assert.equal(res.headers.get("etag"), null, path);
  }
});

Deno.test("staticPath refuses unsafe raw pathnames", () => {
  assert.equal(staticPath("/sub/nested.json"), "sub/nested.json");
  assert.equal(staticPath("/a%20b.txt"), "a b.txt");
  assert.equal(staticPath("/.well-known/security.txt"), ".well-known/security.txt");
  for (
    const raw of [
      "/../secret.txt",
      "/sub/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/./hello.txt",
      "/a%2fb",
      "/a%5cb",
      "/a\\b",
      "/a%00b",
      "/%E0%A4%A",
      "/",
      "/sub/",
      "//etc/passwd",
      "/.hidden",
      "relative.txt",
    ]
  ) {
    assert.equal(staticPath(raw), null, raw);
  }
});
