import assert from "node:assert/strict";
import { keepServing, throttle } from "./accept_errors.ts";
import type { Fields, Logger } from "./log.ts";

/** A logger that keeps its records. */
function recorder(): Logger & { records: { level: string; message: string; fields?: Fields }[] } {
  const records: { level: string; message: string; fields?: Fields }[] = [];
  const at = (level: string) => (message: string, fields?: Fields) =>
    records.push({ level, message, fields });
  return { records, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A stand-in for `Deno.serve` whose servers fail when told to: `fail()` rejects the current
 * server's `finished` as an accept failure does; `refuse` makes the next listens throw.
 */
function fakeServe() {
  const calls: Deno.ServeTcpOptions[] = [];
  let current: PromiseWithResolvers<void> | undefined;
  const fake = {
    calls,
    refuse: 0,
    serve(options: Deno.ServeTcpOptions): Deno.HttpServer {
      calls.push(options);
      if (fake.refuse > 0) {
        fake.refuse--;
        throw new Error("Too many open files (os error 24)");
      }
      current = Promise.withResolvers<void>();
      options.signal?.addEventListener("abort", () => current!.resolve(), { once: true });
      const addr = { transport: "tcp", hostname: "127.0.0.1", port: options.port || 4321 } as const;
      options.onListen?.(addr);
      return { finished: current.promise, addr } as unknown as Deno.HttpServer;
    },
    fail() {
      current!.reject(new Deno.errors.Http("Error: Too many open files (os error 24)"));
    },
  };
  return fake;
}

const handler = () => new Response("hi");

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), "condition never held");
}

Deno.test("throttle lets one report through per interval and counts those held back", () => {
  let now = 0;
  const gate = throttle(1000, () => now);
  assert.equal(gate(), 1);
  now = 400;
  assert.equal(gate(), 0);
  now = 999;
  assert.equal(gate(), 0);
  now = 1000;
  assert.equal(gate(), 3);
  now = 5000;
  assert.equal(gate(), 1);
});

Deno.test("an accept failure is logged and the server listens again on the same port", async () => {
  const log = recorder();
  const fake = fakeServe();
  const abort = new AbortController();
  const listened: number[] = [];
  const server = keepServing({
    port: 0,
    signal: abort.signal,
    log,
    retryMs: 10,
    serve: fake.serve,
    onListen: (addr) => listened.push(addr.port),
  }, handler);
  assert.equal(fake.calls.length, 1);

  fake.fail();
  await until(() => fake.calls.length === 2);
  // The port the first listen got, not port 0 again; onListen only for the first.
  assert.equal(fake.calls[1].port, 4321);
  assert.deepEqual(listened, [4321]);
  assert.deepEqual(log.records.map((r) => [r.level, r.message]), [
    ["error", "not accepting connections; serving the open ones, listening again"],
    ["info", "accepting connections again"],
  ]);
  assert.equal(log.records[0].fields?.error, "Error: Too many open files (os error 24)");

  abort.abort();
  await server.finished;
});

Deno.test("failures within a second make one log line; a failed listen is tried again", async () => {
  const log = recorder();
  const fake = fakeServe();
  const abort = new AbortController();
  let now = 0;
  const server = keepServing(
    { port: 0, signal: abort.signal, log, retryMs: 5, now: () => now, serve: fake.serve },
    handler,
  );
  // Out of descriptors: the accept fails, then so do three listens.
  fake.refuse = 3;
  fake.fail();
  await until(() => fake.calls.length === 5);
  const errors = () => log.records.filter((r) => r.level === "error");
  assert.equal(errors().length, 1);

  now = 1000;
  fake.fail();
  await until(() => errors().length === 2);
  // The second line covers the three failed listens held back and this failure.
  assert.equal(errors()[1].fields?.failures, 4);

  abort.abort();
  await server.finished;
});

Deno.test("stopping during the pause ends finished at once", async () => {
  const fake = fakeServe();
  const abort = new AbortController();
  const server = keepServing(
    { port: 0, signal: abort.signal, log: recorder(), retryMs: 60_000, serve: fake.serve },
    handler,
  );
  fake.fail();
  await new Promise((r) => setTimeout(r, 10));
  abort.abort();
  await server.finished;
  assert.equal(fake.calls.length, 1);
});

Deno.test("a failure to listen at the start still throws (port in use)", () => {
  const fake = fakeServe();
  fake.refuse = 1;
  assert.throws(
    () => keepServing({ port: 0, log: recorder(), serve: fake.serve }, handler),
    /Too many open files/,
  );
});

Deno.test("with the real Deno.serve, finished resolves when the signal stops it", async () => {
  const abort = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = keepServing(
    { port: 0, hostname: "127.0.0.1", signal: abort.signal, log: recorder(), onListen: resolve },
    handler,
  );
  const { port } = await listening;
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "hi");
  abort.abort();
  await server.finished;
});
