/**
 * Connection limits against servers in their own processes: `MAX_CONNECTIONS` set by hand, derived
 * from `ulimit -n`, and a process run out of file descriptors. Each checks that the extra
 * connections are refused cleanly, the process stays up, and every connection it holds still
 * answers a ping.
 */

import assert from "node:assert/strict";
import { connectionLimit } from "../lib/edge/capacity.ts";
import { delay, eventually, Probe } from "./helpers.ts";
import { upgradeAnswer } from "./raw_socket.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

/** Opens `count` probes, a batch at a time, and returns them all. */
async function openProbes(server: ServerProcess, count: number): Promise<Probe[]> {
  const probes: Probe[] = [];
  while (probes.length < count) {
    const batch = Math.min(50, count - probes.length);
    probes.push(
      ...await Promise.all(Array.from({ length: batch }, () => Probe.open(server.wsUrl))),
    );
  }
  return probes;
}

/** A ping round trip on every probe. */
async function pingEach(probes: Probe[]): Promise<void> {
  const replies = await Promise.all(probes.map((probe) => probe.request("ping")));
  assert.ok(replies.every((reply) => reply.ok), "a held connection did not answer its ping");
}

async function closeAll(probes: Probe[]): Promise<void> {
  await Promise.all(probes.map((probe) => probe[Symbol.asyncDispose]()));
}

/** Whether the process is still running. */
function watch(server: ServerProcess): () => boolean {
  let exited = false;
  server.child.status.then(() => exited = true);
  return () => !exited;
}

/** A 503 with Retry-After for the next upgrade, before any upgrade happens. */
async function assertFull(server: ServerProcess): Promise<void> {
  const answer = await upgradeAnswer(server.port);
  assert.equal(answer.status, 503);
  assert.equal(answer.headers.get("retry-after"), "5");
  assert.match(answer.body, /Too many connections/);
}

Deno.test("MAX_CONNECTIONS: upgrades past it get 503 with Retry-After; held ones carry on", async () => {
  await using server = await spawnServer({ MAX_CONNECTIONS: "5" });
  const running = watch(server);
  const probes = await openProbes(server, 5);
  try {
    for (let i = 0; i < 3; i++) await assertFull(server);
    // A WebSocket client sees a connection that failed to open.
    const refused = new Probe(server.wsUrl);
    await assert.rejects(refused.opened);
    await refused.closed;

    assert.ok(running());
    await pingEach(probes);
    assert.equal((await fetch(`${server.origin}/api/stats`).then((r) => r.json())).count, 5);

    // A connection that closes frees its place.
    await probes.pop()![Symbol.asyncDispose]();
    await eventually(async () => {
      probes.push(await Probe.open(server.wsUrl));
    });
    await assertFull(server);
    await pingEach(probes);
  } finally {
    await closeAll(probes);
  }
});

Deno.test("MAX_CONNECTIONS unset: the limit derives from ulimit -n and refuses before the fds run out", async () => {
  const openFiles = 200;
  const { max } = connectionLimit(0, () => openFiles);
  // --allow-all: Deno lets nothing less read /proc/self/limits.
  await using server = await spawnServer({}, undefined, { openFiles, allowAll: true });
  const running = watch(server);
  const probes = await openProbes(server, max);
  try {
    await assertFull(server);
    assert.ok(running());
    await pingEach(probes);
    // Room is left for plain HTTP too.
    const stats = await fetch(`${server.origin}/api/stats`).then((r) => r.json());
    assert.equal(stats.count, max);
    assert.doesNotMatch(server.printed(), /Too many open files|not accepting/);
  } finally {
    await closeAll(probes);
  }
});

Deno.test("out of file descriptors: the process stays up, keeps its connections and accepts again", async () => {
  // With the start task's permissions the limit cannot be read, and the one assumed is far past
  // what `ulimit -n 64` allows, so the descriptors run out first.
  await using server = await spawnServer({}, undefined, { openFiles: 64 });
  assert.match(server.printed(), /open-file limit unreadable.* maxConnections=14681 /);
  const running = watch(server);
  const started = Date.now();
  const probes: Probe[] = [];
  let failures = 0;
  try {
    while (failures < 5 && probes.length < 100) {
      const probe = new Probe(server.wsUrl);
      try {
        await probe.opened;
        await probe.next((f) => f.type === "welcome");
        probes.push(probe);
      } catch {
        failures++;
        await probe[Symbol.asyncDispose]();
      }
    }
    assert.equal(failures, 5, "the descriptors never ran out");
    assert.ok(probes.length >= 10, `only ${probes.length} connections before the limit`);

    await delay(1500);
    assert.ok(running(), `the server exited:\n${server.printed()}`);
    await pingEach(probes);

    // Freed descriptors: the server listens again and takes new connections.
    await closeAll(probes.splice(0, probes.length / 2));
    await eventually(async () => {
      probes.push(await Probe.open(server.wsUrl));
    }, 10_000);
    assert.equal((await fetch(`${server.origin}/api/stats`)).status, 200);
    await pingEach(probes);

    const printed = server.printed();
    assert.doesNotMatch(printed, /Uncaught/);
    const lines = printed.split("\n").filter((line) => line.includes("not accepting connections"));
    assert.ok(lines.length >= 1, printed);
    assert.match(lines[0], /error="[^"]*Too many open files/);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(lines.length <= Math.ceil(seconds) + 1, `${lines.length} lines in ${seconds} s`);
    assert.match(printed, /accepting connections again/);
  } finally {
    await closeAll(probes);
  }
});
