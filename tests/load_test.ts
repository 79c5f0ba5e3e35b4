/**
 * End-to-end tests of `deno task load` (tools/load.ts): run as a subprocess, as a user would,
 * against the real server and against bespoke servers that misbehave in known ways.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { LoadReport } from "../tools/load/run.ts";
import { parseLoadArgs } from "../tools/load/main.ts";
import { startTestServer } from "./helpers.ts";

const LOAD = fileURLToPath(new URL("../tools/load/main.ts", import.meta.url));

interface LoadRun {
  code: number;
  report: LoadReport;
  stderr: string;
}

async function load(args: string[]): Promise<LoadRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", LOAD, "--json", ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  let report: LoadReport;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`load printed no JSON (exit ${output.code}):\n${stdout}\n${stderr}`);
  }
  return { code: output.code, report, stderr };
}

/** Frames to send for one request: a frame now, or `[frame, delayMs]` later. */
type Reply = (
  request: { id: number; text: string },
  index: number,
) => (string | [string, number])[];

/** A bare server that answers `random` requests through `reply` (which may drop or garble). */
function bespokeServer(reply: Reply): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  let index = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => socket.send(`{"type":"welcome","data":{}}`);
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      for (const out of reply({ id: frame.id, text: frame.data.text }, ++index)) {
        if (typeof out === "string") socket.send(out);
        else {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (socket.readyState === WebSocket.OPEN) socket.send(out[0]);
          }, out[1]);
          timers.add(timer);
        }
      }
    };
    return response;
  });
  server.finished.then(() => timers.forEach(clearTimeout));
  return Object.assign(server, { url: `ws://127.0.0.1:${server.addr.port}/ws` });
}

const right = (id: number, text: string, n = 42) =>
  JSON.stringify({ type: "reply", id, ok: true, data: { text: `${text} ${n}`, n } });

Deno.test("load: every request to the hub gets one right reply", async () => {
  await using server = await startTestServer();
  const { code, report, stderr } = await load([
    "--url",
    server.wsUrl,
    "--messages",
    "600",
    "--connections",
    "4",
    "--inflight",
    "8",
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(report.messages, 600);
  assert.equal(report.sent, 600);
  assert.equal(report.received, 600);
  assert.equal(report.ok, 600);
  assert.equal(report.failed, 0);
  assert.equal(report.duplicated, 0);
  assert.equal(report.outOfOrder, 0);
  assert.equal(report.missing, 0);
  assert.equal(report.unsent, 0);
  assert.equal(report.passed, true);
  assert.deepEqual(report.problems, []);
  assert.ok(report.msgsPerSec > 0);
  const l = report.latencyMs;
  assert.ok(0 <= l.min && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
  // Not a terminal: plain progress lines on stderr, never on stdout.
  assert.match(stderr, /progress: 600\/600 received, 0 failed, 0 missing/);
});

Deno.test("load: a server that drops every 100th reply is caught, exactly", async () => {
  await using server = bespokeServer(({ id, text }, index) =>
    index % 100 === 0 ? [] : [
      right(id, text),
    ]
  );
  const { code, report } = await load([
    "--url",
    server.url,
    "--messages",
    "1000",
    "--inflight",
    "4",
    "--timeout",
    "300",
  ]);
  assert.equal(code, 1);
  assert.equal(report.passed, false);
  assert.equal(report.sent, 1000);
  assert.equal(report.received, 990);
  assert.equal(report.ok, 990);
  assert.equal(report.missing, 10);
  assert.equal(report.failed, 0);
  assert.equal(report.duplicated, 0);
  assert.equal(report.late, 0);
  // One connection sends ids in order, so the server's 100th request is id 100, and so on.
  assert.deepEqual(report.missingIds, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  assert.equal(report.problems.length, 10);
  assert.match(report.problems[0], /id 100: no reply within 300 ms/);
});

Deno.test("load: wrong, duplicated, late and out-of-order replies are counted", async () => {
  let held: string | undefined;
  await using server = bespokeServer(({ id, text }) => {
    if (id === 3) return [right(id, text, 0)]; // n out of range
    if (id === 5) return [right(id, text), right(id, text)]; // duplicate
    if (id === 7) return [right(id, "other")]; // wrong text
    if (id === 9) { // held back, answered after id 10: out of order
      held = right(id, text);
      return [];
    }
    if (id === 10) return [right(id, text), held!];
    if (id === 11) return [[right(id, text), 400]]; // after the 300 ms timeout: late
    if (id === 12) return [JSON.stringify({ type: "reply", id: 9999, ok: true, data: {} })];
    if (id === 19) return []; // dropped, so the run lasts until the late reply to 11 is in
    return [right(id, text)];
  });
  const { code, report } = await load([
    "--url",
    server.url,
    "--messages",
    "20",
    "--inflight",
    "2",
    "--timeout",
    "300",
  ]);
  assert.equal(code, 1);
  assert.equal(report.sent, 20);
  assert.equal(report.received, 17); // ids 11, 12 and 19 got no reply in time
  assert.equal(report.ok, 15);
  assert.equal(report.failed, 3); // ids 3 and 7, and the reply to id 9999
  assert.equal(report.duplicated, 1);
  assert.equal(report.outOfOrder, 1);
  assert.equal(report.missing, 3);
  assert.equal(report.late, 1);
  assert.deepEqual(report.missingIds.toSorted((a, b) => a - b), [11, 12, 19]);
  assert.ok(report.problems.some((p) => /id 3: n is 0/.test(p)), report.problems.join("\n"));
  assert.ok(report.problems.some((p) => /id 7: text is "other 42"/.test(p)));
  assert.ok(report.problems.some((p) => /id 5: duplicate reply/.test(p)));
  assert.ok(report.problems.some((p) => /id 11: reply came after the 300 ms timeout/.test(p)));
});

Deno.test("load: --origin is sent with the upgrade", async () => {
  await using server = await startTestServer({ allowedOrigins: ["https://app.example"] });
  const allowed = await load([
    "--url",
    server.wsUrl,
    "--messages",
    "20",
    "--origin",
    "https://app.example",
  ]);
  assert.equal(allowed.code, 0);
  assert.equal(allowed.report.ok, 20);
  const refused = await load([
    "--url",
    server.wsUrl,
    "--messages",
    "20",
    "--origin",
    "https://evil.example",
  ]);
  assert.equal(refused.code, 1);
  assert.equal(refused.report.sent, 0);
  assert.equal(refused.report.unsent, 20);
  assert.match(refused.report.problems[0], /could not open/);
});

Deno.test("load: command-line options are checked", () => {
  const args = parseLoadArgs([]);
  assert.equal(args.url, "ws://127.0.0.1:8000/ws");
  assert.equal(args.messages, 10_000);
  assert.equal(args.connections, 1);
  assert.equal(args.inflight, 1);
  assert.equal(args.timeoutMs, 10_000);
  assert.equal(args.json, false);
  assert.equal(parseLoadArgs(["--messages", "5", "--timeout", "250"]).timeoutMs, 250);
  assert.throws(() => parseLoadArgs(["--messages", "0"]), /--messages must be a whole number/);
  assert.throws(() => parseLoadArgs(["--inflight", "2.5"]), /--inflight/);
  assert.throws(() => parseLoadArgs(["--url", "http://x"]), /--url must be a ws/);
  assert.throws(() => parseLoadArgs(["--bogus"]));
});

/** Runs the load client as `deno task load` does (`--allow-env=PORT`), with `env` added. */
async function loadAsTask(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env=PORT", LOAD, "--quiet", ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/** A loopback port with nothing listening on it (bound, then let go). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("load: PORT sets the default --url; --url still wins; a bad PORT is named", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(parseLoadArgs([], env({ PORT: "9123" })).url, "ws://127.0.0.1:9123/ws");
  assert.equal(parseLoadArgs([], env({ PORT: "" })).url, "ws://127.0.0.1:8000/ws");
  assert.equal(parseLoadArgs([], env({})).url, "ws://127.0.0.1:8000/ws");
  assert.equal(
    parseLoadArgs(["--url", "ws://example.com/ws"], env({ PORT: "9123" })).url,
    "ws://example.com/ws",
  );
  assert.throws(() => parseLoadArgs([], env({ PORT: "http" })), /PORT must be .*got "http"/);
  assert.throws(() => parseLoadArgs([], env({ PORT: "0" })), /PORT must be .*got "0"/);
  // A bad PORT does not matter when --url says where to go.
  assert.equal(parseLoadArgs(["--url", "ws://h:1/ws"], env({ PORT: "0" })).url, "ws://h:1/ws");
});

Deno.test("load: as the task runs it, PORT alone points it at the hub", async () => {
  await using server = await startTestServer();
  const run = await loadAsTask(["--messages", "50"], { PORT: String(server.port) });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`load: ws://127\\.0\\.0\\.1:${server.port}/ws, 50 messages`));
  assert.match(run.stdout, /PASS/);
});

Deno.test("load: nothing listening at the URL names the cause and hints at --url", async () => {
  const port = closedPort();
  for (const args of [[], ["--url", `ws://127.0.0.1:${port}/ws`]]) {
    // First from PORT (the default URL), then from --url.
    const run = await loadAsTask([...args, "--messages", "5"], { PORT: String(port) });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /FAIL/);
    assert.match(
      run.stderr,
      new RegExp(`cannot connect to ws://127\\.0\\.0\\.1:${port}/ws \\(connection refused\\)`),
      run.stderr,
    );
    assert.match(run.stderr, /is the server running\? pass --url ws:\/\/host:port\/ws/);
  }
});

Deno.test("load: an upgrade the server refuses (foreign --origin) says so, not 'is it running'", async () => {
  await using server = await startTestServer({ allowedOrigins: ["https://app.example"] });
  const run = await loadAsTask(
    ["--url", server.wsUrl, "--messages", "5", "--origin", "https://evil.example"],
    {},
  );
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`${server.wsUrl.replaceAll(".", "\\.")} refused the upgrade`),
  );
  assert.match(run.stderr, /403/);
  assert.doesNotMatch(run.stderr, /is the server running/);
});
