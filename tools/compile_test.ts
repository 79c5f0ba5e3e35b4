/**
 * `tools/compile.ts`, the `deno compile` that `deno task compile` runs: when `denort` cannot be had
 * it says what is missing and how `DENORT_BIN` helps, instead of Deno's raw download error. A real
 * compile is `tests/compile_test.ts` (it needs a `denort`).
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const COMPILE = fileURLToPath(new URL("./compile.ts", import.meta.url));

/**
 * Runs the wrapper on a one-line module in a fresh directory, with `env` over an environment
 * without DENORT_BIN; DENO_DIR is fresh too, so no denort cached by an earlier run is found.
 */
async function compile(env: Record<string, string>, entry = "main.ts") {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, `console.log("hi");\n`);
    const inherited = Deno.env.toObject();
    delete inherited.DENORT_BIN;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-run",
        "--allow-env=DENORT_BIN",
        COMPILE,
        "--output",
        `${dir}/out`,
        entry,
      ],
      cwd: dir,
      clearEnv: true,
      env: { ...inherited, DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    return { code: output.code, text };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A loopback port with nothing listening on it. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("compile: DENORT_BIN naming no file is refused up front, naming the variable", async () => {
  const { code, text } = await compile({ DENORT_BIN: "/nonexistent/denort" });
  assert.equal(code, 1, text);
  assert.match(text, /DENORT_BIN=\/nonexistent\/denort: no such file/);
  assert.match(
    text,
    new RegExp(`denort binary of Deno ${Deno.version.deno.replaceAll(".", "\\.")}`),
  );
  assert.doesNotMatch(text, /Caused by|Stack backtrace/);
});

Deno.test("compile: a denort that cannot be downloaded says what is missing and how DENORT_BIN helps", async () => {
  // Every download goes through a proxy that is not there: the same failure as no network.
  const proxy = `http://127.0.0.1:${closedPort()}`;
  const { code, text } = await compile({ HTTPS_PROXY: proxy, HTTP_PROXY: proxy, NO_PROXY: "" });
  assert.equal(code, 1, text);
  assert.match(text, /Cannot compile: deno compile needs denort, .* could not download it/);
  assert.match(text, /denort-[\w-]+\.zip \(.*Connection refused/);
  assert.match(text, /denort-[\w-]+\.zip/);
  assert.match(text, /DENORT_BIN=\/path\/to\/denort deno task compile/);
  assert.doesNotMatch(text, /Caused by|Stack backtrace/);
});

Deno.test("compile: other failures (an entry that is not there) pass through as Deno tells them", async () => {
  const { code, text } = await compile({ DENORT_BIN: Deno.execPath() }, "missing.ts");
  assert.notEqual(code, 0, text);
  assert.match(text, /missing\.ts/);
  assert.doesNotMatch(text, /Cannot compile: .*denort/);
});
