/**
 * The server as a user runs it: `main.ts` in its own process, configured by the environment and a
 * `.env` file, refusing bad configuration, and stopping cleanly on SIGTERM and SIGINT.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import { runToExit, spawnServer } from "./server_process.ts";

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
