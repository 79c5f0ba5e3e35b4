import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { comparePatterns, loadFsRoutes, patternFromFile, scanRoutesDir } from "./fs_routes.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const ROUTES = join(TESTDATA, "routes");

Deno.test("patternFromFile maps file paths to URL patterns", () => {
  const cases: [string, string][] = [
    ["index.tsx", "/"],
    ["about.tsx", "/about"],
    ["blog/index.tsx", "/blog"],
    ["blog/[id].tsx", "/blog/:id"],
    ["[id].tsx", "/:id"],
    ["[[lang]]/docs.tsx", "/:lang?/docs"],
    ["docs/[...path].tsx", "/docs/:path*"],
    ["(marketing)/pricing.tsx", "/pricing"],
    ["(a)/(b)/index.tsx", "/"],
    ["api/stats.ts", "/api/stats"],
    ["ws.ts", "/ws"],
    ["odd(name).tsx", "/odd\\(name\\)"],
    ["c++.tsx", "/c\\+\\+"],
  ];
  for (const [file, pattern] of cases) assert.equal(patternFromFile(file), pattern, file);
});

Deno.test("patternFromFile refuses params that are not a whole segment", () => {
  assert.throws(() => patternFromFile("post-[id].tsx"), /whole segment/);
  assert.throws(() => patternFromFile("[a-b].tsx"), /Unsupported route segment/);
});

Deno.test("comparePatterns puts static before param before optional before catch-all", () => {
  const sorted = [
    "/:rest*",
    "/blog/:id",
    "/:id",
    "/",
    "/blog",
    "/blog/new",
    "/:lang?",
    "/blog/:rest*",
  ]
    .sort(comparePatterns);
  assert.deepEqual(sorted, [
    "/",
    "/blog",
    "/blog/new",
    "/blog/:id",
    "/blog/:rest*",
    "/:id",
    "/:lang?",
    "/:rest*",
  ]);
});

Deno.test("scanRoutesDir skips test files, declarations, _ files and _ or (_ folders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = [
      "index.tsx",
      "_app.tsx",
      "_utils.ts",
      "page_test.tsx",
      "page.test.ts",
      "types.d.ts",
      "notes.md",
      "(_islands)/Counter.tsx",
      "_private/x.tsx",
      ".hidden/y.tsx",
      "(group)/z.tsx",
      "api/stats.ts",
      "api/stats_test.ts",
    ];
    for (const file of files) {
      await Deno.mkdir(join(dir, file, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, file), "");
    }
    assert.deepEqual(await scanRoutesDir(dir), [
      "(group)/z.tsx",
      "_app.tsx",
      "api/stats.ts",
      "index.tsx",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanRoutesDir names a missing folder", async () => {
  await assert.rejects(scanRoutesDir(join(TESTDATA, "nope")), /Routes folder not found: .*nope/);
});

Deno.test("loadFsRoutes orders the fixture routes most specific first", async () => {
  const fs = await loadFsRoutes(ROUTES);
  const patterns = fs.routes.map((r) => r.pattern);
  const before = (a: string, b: string) =>
    assert.ok(patterns.indexOf(a) < patterns.indexOf(b), `${a} before ${b} in ${patterns}`);
  before("/about", "/:slug");
  before("/blog/new", "/blog/:id");
  before("/blog", "/blog/:id");
  before("/docs/:path*", "/:slug");
  assert.ok(patterns.includes("/pricing"), "group folder left out of the URL");
  assert.ok(patterns.includes("/custom/:thing"), "routeOverride applied");
  assert.ok(!patterns.some((p) => p.includes("hidden") || p.includes("Widget") || p.includes("_")));
  assert.notEqual(fs.app, null);
  assert.equal(fs.middlewares.length, 1);
  assert.equal(fs.notFoundPage?.file, "_404.tsx");
  assert.equal(fs.errorPage?.file, "_error.tsx");

  const post = fs.routes.find((r) => r.pattern === "/blog/:id")!;
  assert.equal(post.ui.layouts.length, 2, "root and blog layouts");
  assert.equal(post.middlewares.length, 2, "blog/_middleware exports two");
  assert.deepEqual(post.methods, ["GET", "HEAD"]);
  assert.equal(fs.routes.find((r) => r.pattern === "/api/echo")!.methods, "*");
  assert.deepEqual(fs.routes.find((r) => r.pattern === "/form")!.methods, ["GET", "HEAD", "POST"]);
});

Deno.test("loadFsRoutes reports two files claiming one URL", async () => {
  await assert.rejects(
    loadFsRoutes(join(TESTDATA, "conflict", "routes")),
    /Routes about\/index\.tsx and about\.tsx both map to "\/about"/,
  );
});

Deno.test("loadFsRoutes rejects modules without usable exports", async () => {
  const load = (mod: Record<string, unknown>) => () => Promise.resolve(mod);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "x.ts"), "");
    await assert.rejects(loadFsRoutes(dir, load({})), /x\.ts exports neither a handler nor/);
    await assert.rejects(
      loadFsRoutes(dir, load({ handler: (_req: Request, _ctx: unknown) => new Response() })),
      /Fresh 1's signature/,
    );
    await assert.rejects(
      loadFsRoutes(dir, load({ handler: { FETCH: () => new Response() } })),
      /handler\.FETCH/,
    );
    await assert.rejects(
      loadFsRoutes(dir, load({ default: async () => await Promise.resolve(null) })),
      /x\.ts: async components are not supported yet/,
    );
    await Deno.rename(join(dir, "x.ts"), join(dir, "_layout.tsx"));
    await assert.rejects(loadFsRoutes(dir, load({ config: {} })), /must export a component/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
