/**
 * The server as a user runs it: `main.ts` in its own process, configured by the environment and a
 * `.env` file, refusing bad configuration, and stopping cleanly on SIGTERM and SIGINT.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import { runToExit, spawnServer } from "./server_process.ts";
import { Redis, redisMissing } from "./redis_server.ts";

Deno.test("an invalid value stops the server with a message naming the variable", async () => {
  for (const [name, value] of [["PORT", "http"], ["RATE_LIMIT", "-1"], ["LOG_LEVEL", "chatty"]]) {
    const { code, text } = await runToExit({ [name]: value });
    assert.equal(code, 1, `${name}=${value} should exit 1:\n${text}`);
    assert.match(text, new RegExp(`Invalid configuration: ${name}: `));
  }
});

Deno.test("SIGTERM closes every socket with 1012 (service restart) and exits 0", async () => {
  const server = await spawnServer({});
  const client = new HubClient(`ws://127.0.0.1:${server.port}/ws`, { reconnect: false });
  await client.ready();
  const stats = await (await fetch(`http://127.0.0.1:${server.port}/api/stats`)).json();
  assert.equal(stats.count, 1);
  const closed = new Promise<number | undefined>((resolve) =>
    client.onState((state, info) => state === "offline" && resolve(info?.code))
  );
  server.child.kill("SIGTERM");
  assert.equal(await closed, 1012);
  const status = await server.child.status;
  assert.equal(status.code, 0, await server.output);
  assert.match(await server.output, /shutting down signal="SIGTERM"/);
  await client.close();
});

Deno.test("SIGINT stops the server too", async () => {
  const server = await spawnServer({});
  server.child.kill("SIGINT");
  assert.equal((await server.child.status).code, 0);
  assert.match(await server.output, /shutting down signal="SIGINT"/);
});

Deno.test("an env file read through --env-file configures the server", async () => {
  // The project's own .env may hold a developer's settings, so the test writes its file elsewhere.
  const dir = await Deno.makeTempDir();
  try {
    // HEARTBEAT_MS only from the file; PORT from the real environment wins over the file.
    await Deno.writeTextFile(`${dir}/.env`, "HEARTBEAT_MS=1234\nPORT=1\n");
    const server = await spawnServer({}, `${dir}/.env`);
    const client = new HubClient(`ws://127.0.0.1:${server.port}/ws`, { reconnect: false });
    const welcome = await client.ready();
    assert.equal(welcome.heartbeatMs, 1234);
    await client.close();
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0);
    await server.output;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "REDIS_URL without NODE_ID starts without sys permission (the task has no --allow-sys)",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    // spawnServer runs main.ts with the start task's permissions: net, env and read only.
    await using server = await spawnServer({ REDIS_URL: redis.url, NODE_ID: "" });
    const client = new HubClient(server.wsUrl, { reconnect: false });
    await client.ready();
    await client.close();
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0, await server.output);
    assert.doesNotMatch(await server.output, /NotCapable|--allow-sys/);
  },
});

/** The lines a run printed that are not log records (those start with an ISO timestamp). */
const plainLines = (text: string) =>
  text.trim().split("\n").filter((line) => !/^\d{4}-\d\d-\d\dT/.test(line));

Deno.test("a port in use stops the server with one line naming the address and variables", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const { code, text } = await runToExit({ PORT: String(port), HOST: "127.0.0.1" });
  assert.equal(code, 1, text);
  assert.deepEqual(plainLines(text), [
    `Cannot listen on 127.0.0.1:${port} (PORT, HOST): address already in use`,
  ]);
});

Deno.test("a HOST that is no address here, or no host at all, stops the server with one line", async () => {
  for (
    const [host, reason] of [
      ["192.0.2.1", "address not available on this machine"], // TEST-NET-1: never assigned here
      ["no-such-host.invalid", "no such host"],
    ]
  ) {
    const { code, text } = await runToExit({ PORT: "0", HOST: host });
    assert.equal(code, 1, text);
    assert.deepEqual(plainLines(text), [`Cannot listen on ${host}:0 (PORT, HOST): ${reason}`]);
  }
});

Deno.test("two signals in a row (SIGINT and SIGTERM) log one shutdown and stop once", async () => {
  const server = await spawnServer({});
  const client = new HubClient(server.wsUrl, { reconnect: false });
  await client.ready();
  const closed = new Promise<number | undefined>((resolve) =>
    client.onState((state, info) => state === "offline" && resolve(info?.code))
  );
  server.child.kill("SIGINT");
  server.child.kill("SIGTERM");
  server.child.kill("SIGINT");
  const code = await closed;
  assert.equal((await server.child.status).code, 0);
  const output = await server.output;
  const stops = [...output.matchAll(/shutting down signal="(\w+)"/g)];
  assert.equal(stops.length, 1, output);
  // Whichever signal was handled first decides how clients are told.
  assert.equal(code, stops[0][1] === "SIGTERM" ? 1012 : 1001);
  await client.close();
});

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * The server command of `deno task start` (what follows its build step), with main.ts for the
 * build's entry and project paths made absolute, so it can run in another working directory.
 */
async function startTaskCommand(): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const words = (tasks.start as string).split("&&").at(-1)!.trim().split(/\s+/);
  assert.equal(words[0], "deno", tasks.start);
  return words.slice(1).map((word) => {
    if (word === "_fresh/server.js") return `${ROOT}main.ts`;
    // A project file given to a flag, as in --preload=lib/x.ts.
    return word.replace(
      /^(--[\w-]+=)?([\w./-]+\.ts)$/,
      (_, flag = "", path) => `${flag}${ROOT}${path}`,
    );
  });
}

/** Runs the start task's server in `cwd` until it listens; resolves with the port and its output. */
async function startTaskServer(cwd: string, env: Record<string, string>) {
  // PORT comes from the test or from the .env under test, never from whoever runs the tests.
  const inherited = Deno.env.toObject();
  delete inherited.PORT;
  delete inherited.HOST;
  const child = new Deno.Command(Deno.execPath(), {
    args: await startTaskCommand(),
    cwd,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const { promise: listening, resolve } = Promise.withResolvers<number | undefined>();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      const port = text.match(/listening url="http:\/\/[^"]*:(\d+)"/)?.[1];
      if (port) resolve(Number(port));
    }
  };
  const output = Promise.all([read(child.stdout), read(child.stderr)]).then(() => text);
  child.status.then(() => resolve(undefined));
  const port = await listening;
  if (port !== undefined) child.kill("SIGTERM");
  const status = await child.status;
  return { port, code: status.code, output: await output };
}

Deno.test("deno task start without a .env file prints no warning", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const { port, code, output } = await startTaskServer(cwd, { PORT: "0", HOST: "127.0.0.1" });
    assert.ok(port, output);
    assert.equal(code, 0, output);
    // Deno's own "Warning The `--env-file` flag was used, but ... '.env' was not found."
    assert.doesNotMatch(output, /--env-file|'\.env'/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("deno task start reads .env when there is one; the real environment wins", async () => {
  const cwd = await Deno.makeTempDir();
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  try {
    // PORT only from the file; HOST from the file is bad, so the server starts only if the
    // environment's HOST wins over it.
    await Deno.writeTextFile(`${cwd}/.env`, `# settings\nPORT=${port}\nHOST="not a host"\n`);
    const run = await startTaskServer(cwd, { HOST: "127.0.0.1" });
    assert.equal(run.port, port, run.output);
    assert.equal(run.code, 0, run.output);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
