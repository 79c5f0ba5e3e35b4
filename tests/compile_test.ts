/**
 * `deno task compile`: one binary that serves the app with its assets from inside itself.
 *
 * `deno compile` downloads its `denort` runtime from Deno's servers unless `DENORT_BIN` points
 * at one, so this test runs only where `DENORT_BIN` is set (it is passed through to the task).
 * Elsewhere it is skipped with a note; CI does not require it.
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const DENORT_BIN = Deno.env.get("DENORT_BIN");

if (!DENORT_BIN) {
  console.log(
    "compile_test: skipped, DENORT_BIN is not set (deno compile would download denort; " +
      "set DENORT_BIN to a denort binary of this Deno version to run it)",
  );
}

Deno.test({
  name: "the compiled binary serves / and an island chunk, started from another directory",
  ignore: !DENORT_BIN,
  async fn() {
    const compile = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: ROOT,
      env: { DENORT_BIN: DENORT_BIN! },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(compile.stdout) + new TextDecoder().decode(compile.stderr);
    assert.equal(compile.code, 0, log);
    const manifest = JSON.parse(await Deno.readTextFile(`${ROOT}_fresh/manifest.json`));

    const cwd = await Deno.makeTempDir();
    const child = new Deno.Command(`${ROOT}dist/hub`, {
      cwd,
      env: { PORT: "0", HOST: "127.0.0.1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      let port: number | undefined;
      while (port === undefined) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the binary exited before listening:\n${text}`);
        text += value;
        port = Number(text.match(/listening url="http:\/\/[^"]*:(\d+)"/)?.[1]) || undefined;
      }
      reader.releaseLock();
      child.stdout.cancel().catch(() => {});
      const origin = `http://127.0.0.1:${port}`;

      const home = await fetch(`${origin}/`);
      assert.equal(home.status, 200);
      const html = await home.text();
      assert.match(html, /<!--frsh:island:/);
      assert.ok(html.includes(manifest.boot), "the page loads the built boot script");

      const chunk = manifest.islands[0].chunk;
      const js = await fetch(origin + chunk);
      assert.equal(js.status, 200, chunk);
      assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.match(await js.text(), /export/);
      const css = await fetch(`${origin}/styles.css`);
      assert.equal(css.status, 200);
      await css.body?.cancel();

      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
