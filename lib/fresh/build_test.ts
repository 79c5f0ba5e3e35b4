/**
 * The production build of the fixture app: `_fresh/` layout, hashed names, manifest, and the
 * production entry serving it from another working directory (in Chromium too, if present).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Builder } from "./dev.ts";
import { browserSkipReason, checkIslandsPage } from "./testdata/browser.ts";

const ROOT = fileURLToPath(new URL("./testdata/", import.meta.url)).replace(/\/$/, "");
const OUT = join(ROOT, "_fresh");
const IMMUTABLE = "public, max-age=31536000, immutable";

async function files(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      found.push(...await files(join(dir, entry.name), `${prefix}${entry.name}/`));
    } else found.push(`${prefix}${entry.name}`);
  }
  return found.sort();
}

Deno.test("the build writes hashed bundles, a manifest and the production entry", async () => {
  const builder = new Builder({ root: ROOT, serverEntry: "main.ts" });
  const manifest = await builder.build();

  assert.equal(manifest.version, 1);
  assert.match(manifest.buildId, /^[0-9a-f]{16}$/);
  assert.match(manifest.boot, /^\/_fresh\/js\/client\/boot-[0-9a-f]{12}\.js$/);
  assert.deepEqual(manifest.islands.map((i) => i.file), ["Counter.tsx", "panels.tsx"]);
  for (const { file, chunk } of manifest.islands) {
    const stem = file.replace(/\.tsx$/, "");
    assert.match(chunk, new RegExp(`^/_fresh/js/testdata/islands/${stem}-[0-9a-f]{12}\\.js$`));
  }
  assert.ok(manifest.routes.includes("islands.tsx"));
  assert.ok(manifest.routes.includes("blog/[id].tsx"));
  assert.ok(!manifest.routes.some((r) => r.startsWith("_private")), "ignored folders stay out");
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(join(OUT, "manifest.json"))),
    manifest,
  );

  const built = await files(join(OUT, "static"));
  for (const url of [manifest.boot, ...manifest.islands.map((i) => i.chunk)]) {
    assert.ok(built.includes(url.slice(1)), `${url} is written`);
  }
  const chunks = built.filter((f) => /^_fresh\/js\/chunk-[A-Z0-9]{8}\.js$/.test(f));
  assert.ok(chunks.length >= 1, `shared chunks: ${built}`);
  assert.equal(built.length, 3 + chunks.length, `nothing else: ${built}`);
  // The boot script imports preact from a shared chunk that the islands import too.
  const boot = await Deno.readTextFile(join(OUT, "static", manifest.boot));
  assert.match(boot, /from"\.\.\/chunk-[A-Z0-9]{8}\.js"/);

  const server = await Deno.readTextFile(join(OUT, "server.js"));
  assert.match(server, /import \{ installBuild \} from "\.\.\/\.\.\/build_cache\.ts";/);
  assert.match(server, /import \* as island0 from "\.\.\/islands\/Counter\.tsx";/);
  assert.match(server, /import \* as entry from "\.\.\/main\.ts";/);
  assert.match(server, /installBuild\(import\.meta\.dirname, manifest,/);
  assert.match(server, /await entry\.start\(\);/);

  // Same sources, same build; a stale bundle left behind is removed.
  await Deno.writeTextFile(join(OUT, "static/_fresh/js/old-0123456789ab.js"), "old");
  const before = (await Deno.stat(join(OUT, "static", manifest.boot))).mtime;
  assert.deepEqual(await builder.build(), manifest);
  assert.deepEqual(await files(join(OUT, "static")), built);
  assert.deepEqual((await Deno.stat(join(OUT, "static", manifest.boot))).mtime, before);
});

Deno.test("isStale: true without a build and after a source changes", async () => {
  const missing = new Builder({ root: await Deno.makeTempDir() });
  assert.equal(await missing.isStale(), true);
  await Deno.remove(missing.root, { recursive: true });

  const builder = new Builder({ root: ROOT, serverEntry: "main.ts" });
  await builder.build();
  assert.equal(await builder.isStale(), false);
  const island = join(ROOT, "islands/Counter.tsx");
  const { atime, mtime } = await Deno.stat(island);
  await Deno.utime(island, new Date(), new Date(Date.now() + 60_000));
  try {
    assert.equal(await builder.isStale(), true);
  } finally {
    await Deno.utime(island, atime!, mtime!);
  }
});

Deno.test("the production entry serves the build from another working directory", async () => {
  const manifest = await new Builder({ root: ROOT, serverEntry: "main.ts" }).build();
  const cwd = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", join(OUT, "server.js")],
    cwd,
    env: { PORT: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let port: number | undefined;
    while (port === undefined) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited before listening: ${text}`);
      text += value;
      port = Number(text.match(/listening on port (\d+)/)?.[1]) || undefined;
    }
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    const origin = `http://127.0.0.1:${port}`;

    const page = await fetch(`${origin}/islands`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<!--frsh:island:Counter:0-->/);
    const chunks = Object.fromEntries(manifest.islands.map((i) => [i.file, i.chunk]));
    const plan = {
      islands: [
        ["Counter", chunks["Counter.tsx"], "default"],
        ["panels_Clicks", chunks["panels.tsx"], "Clicks"],
        ["panels_Echo", chunks["panels.tsx"], "Echo"],
      ],
      buildId: manifest.buildId,
    };
    assert.ok(
      html.includes(
        `<script id="__FRSH_BOOT" type="application/json">${JSON.stringify(plan)}</script>` +
          `<link rel="modulepreload" href="${chunks["Counter.tsx"]}">` +
          `<link rel="modulepreload" href="${chunks["panels.tsx"]}">` +
          `<script type="module" src="${manifest.boot}"></script>`,
      ),
      html,
    );
    // asset() adds the build id, which staticFiles() serves as immutable.
    assert.ok(html.includes(`href="/style.css?__frsh_c=${manifest.buildId}"`));

    for (const url of [manifest.boot, chunks["panels.tsx"]]) {
      const res = await fetch(origin + url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get("cache-control"), IMMUTABLE);
      assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
      await res.body?.cancel();
    }
    const css = await fetch(`${origin}/style.css?__frsh_c=${manifest.buildId}`);
    assert.equal(css.headers.get("cache-control"), IMMUTABLE);
    await css.body?.cancel();
    const txt = await fetch(`${origin}/hello.txt`);
    assert.equal(txt.headers.get("cache-control"), "no-cache");
    await txt.body?.cancel();
    const about = await fetch(`${origin}/about`);
    assert.equal(about.status, 200);
    await about.body?.cancel();

    if (browserSkipReason() === null) await checkIslandsPage(origin);
    else console.log(`build_test: browser check skipped, ${browserSkipReason()}`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(cwd, { recursive: true });
  }
});
