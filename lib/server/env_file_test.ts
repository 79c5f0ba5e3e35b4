import assert from "node:assert/strict";
import { loadEnvFile } from "./env_file.ts";

/** A stand-in for `Deno.env` over a plain object. */
function fakeEnv(vars: Record<string, string>) {
  return {
    vars,
    get: (name: string) => vars[name],
    set: (name: string, value: string) => void (vars[name] = value),
  };
}

Deno.test("a missing .env file is no error and changes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = fakeEnv({ PORT: "1" });
    assert.equal(loadEnvFile(`${dir}/.env`, env), undefined);
    assert.deepEqual(env.vars, { PORT: "1" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a .env file sets the variables the environment lacks, and only those", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/.env`,
      [
        "# a comment",
        "PORT=9000",
        "HOST=127.0.0.1 # trailing comment",
        'ALLOWED_ORIGINS="https://a.example, https://b.example"',
        "export LOG_LEVEL=debug",
        "EMPTY_HERE=from-file",
        "",
      ].join("\n"),
    );
    const env = fakeEnv({ PORT: "1", EMPTY_HERE: "" });
    assert.deepEqual(loadEnvFile(`${dir}/.env`, env), ["HOST", "ALLOWED_ORIGINS", "LOG_LEVEL"]);
    assert.deepEqual(env.vars, {
      PORT: "1",
      // Set, though empty: the environment still wins, as with --env-file.
      EMPTY_HERE: "",
      HOST: "127.0.0.1",
      ALLOWED_ORIGINS: "https://a.example, https://b.example",
      LOG_LEVEL: "debug",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a .env that cannot be read (a directory) throws, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.env`);
    assert.throws(() => loadEnvFile(`${dir}/.env`, fakeEnv({})), /Cannot read .*\.env: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
