/**
 * The server as a user runs it: `main.ts` in its own process, configured by the environment and a
 * `.env` file, refusing bad configuration, and stopping cleanly on SIGTERM and SIGINT.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Process {
  child: Deno.ChildProcess;
  port: number;
  output: Promise<string>;
}

/** Starts `main.ts` as `deno task start` does, with `env`, and waits for its "listening" line. */
async function spawnServer(env: Record<string, string>, envFile?: string): Promise<Process> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      envFile ? `--env-file=${envFile}` : "--env-file",
      `${ROOT}main.ts`,
    ],
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const { promise: listening, resolve, reject } = Promise.withResolvers<number>();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      const match = text.match(/listening url="http:\/\/[^"]*:(\d+)"/);
      if (match) resolve(Number(match[1]));
    }
  };
  const output = Promise.all([read(child.stdout), read(child.stderr)]).then(() => text);
  child.status.then((s) =>
    reject(new Error(`server exited with ${s.code} before listening:\n${text}`))
  );
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${text}`)), 20_000);
  try {
    return { child, port: await listening, output };
  } finally {
    clearTimeout(timer);
  }
}

async function runToExit(env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", `${ROOT}main.ts`],
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("an invalid value stops the server with a message naming the variable", async () => {
  for (const [name, value] of [["PORT", "http"], ["RATE_LIMIT", "-1"], ["LOG_LEVEL", "chatty"]]) {
    const { code, text } = await runToExit({ [name]: value });
    assert.equal(code, 1, `${name}=${value} should exit 1:\n${text}`);
    assert.match(text, new RegExp(`Invalid configuration: ${name}: `));
  }
});

Deno.test("SIGTERM closes every socket with 1001 and exits 0", async () => {
  const server = await spawnServer({});
  const client = new HubClient(`ws://127.0.0.1:${server.port}/ws`, { reconnect: false });
  await client.ready();
  const stats = await (await fetch(`http://127.0.0.1:${server.port}/api/stats`)).json();
  assert.equal(stats.count, 1);
  const closed = new Promise<number | undefined>((resolve) =>
    client.onState((state, info) => state === "offline" && resolve(info?.code))
  );
  server.child.kill("SIGTERM");
  assert.equal(await closed, 1001);
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
