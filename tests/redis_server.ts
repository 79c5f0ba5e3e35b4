/**
 * A throwaway `redis-server` for scale-out tests: random loopback port, no persistence,
 * restartable on the same port to play an outage.
 *
 * Outside CI, tests that need it skip with a printed reason when `redis-server` is missing; in CI
 * importing this module throws instead, so a green CI run means they ran.
 */

import assert from "node:assert/strict";
import { eventually } from "./helpers.ts";

function hasRedis(): boolean {
  try {
    new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/** True when scale-out tests must be skipped (never in CI). */
export const redisMissing = !hasRedis();
if (redisMissing) {
  if (Deno.env.get("CI") === "true") {
    throw new Error("redis-server is required in CI (apt-get install redis-server)");
  }
  console.log(
    "Skipping scale-out tests: redis-server is not installed (apt-get install redis-server)",
  );
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export class Redis implements AsyncDisposable {
  readonly port = freePort();
  #child: Deno.ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server and waits until it answers PING. */
  async start(): Promise<void> {
    this.#child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await eventually(async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
      try {
        await conn.write(new TextEncoder().encode("PING\r\n"));
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+PONG\r\n");
      } finally {
        conn.close();
      }
    }, 10_000);
  }

  /** Kills the server (its data is gone: there is no persistence). */
  async stop(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill("SIGKILL");
    await this.#child.status;
    this.#child = undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
