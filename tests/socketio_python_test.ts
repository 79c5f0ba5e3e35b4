/**
 * Debian's python-socketio 5.7.2 (`python3-socketio`, run with /usr/bin/python3) against the
 * Socket.IO endpoint over WebSocket, long-polling and the upgrade, and its reconnection after the
 * TCP connection is cut. The client script is `fixtures/socketio_python_client.py`.
 *
 * Outside CI these tests skip with a printed reason when the package is missing; in CI they fail,
 * so a green run means they ran (`.ci/run` installs it).
 */

import assert from "node:assert/strict";
import { eventually, startTestServer } from "./helpers.ts";
import { socketIoEdge } from "../lib/edge/socketio/mod.ts";
import { TcpProxy } from "./socketio_helpers.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./fixtures/socketio_python_client.py", import.meta.url).pathname;

/** Why the Python client cannot run here, or null when it can. */
function missing(): string | null {
  try {
    const out = new Deno.Command(PYTHON, {
      args: ["-c", "import socketio, engineio, websocket, requests"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (out.success) return null;
    return "python3-socketio (with python3-websocket and python3-requests) is not installed";
  } catch {
    return `${PYTHON} is not installed`;
  }
}

const reason = missing();
if (reason !== null) {
  if (Deno.env.get("CI") === "true") {
    throw new Error(
      `${reason}: apt-get install python3-socketio python3-websocket python3-requests`,
    );
  }
  console.log(`Skipping python-socketio tests: ${reason}`);
}

/** Runs the client script; its stdout lines as JSON, one by one. */
function runClient(url: string, transports: string, mode = "basic") {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, url, transports, mode],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let buffered = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return {
    /** The next JSON line, or a failure with whatever the client wrote to stderr. */
    async next(): Promise<Record<string, unknown>> {
      while (!buffered.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`python client ended:\n${await stderr}`);
        buffered += value;
      }
      const cut = buffered.indexOf("\n");
      const line = buffered.slice(0, cut);
      buffered = buffered.slice(cut + 1);
      return JSON.parse(line);
    },
    async [Symbol.asyncDispose]() {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await lines.cancel().catch(() => {});
      await child.status;
      await stderr;
    },
  };
}

for (const transports of ["websocket", "polling", "polling,websocket"]) {
  Deno.test({
    name: `python-socketio 5.7.2 over ${transports}: the seeds' calls on /, /chat and /user`,
    ignore: reason !== null,
    async fn() {
      await using server = await startTestServer();
      await using client = runClient(server.origin, transports);
      const results = await client.next();
      const clientId = results.clientId as string;
      assert.match(clientId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.deepEqual(results.myResponse, { data: "Connected" });
      const random = results.random as { text: string; n: number };
      assert.equal(random.text, `py ${random.n}`);
      assert.deepEqual(results.numClients, { count: 1 });
      assert.deepEqual(results.message, { from: clientId, content: "to myself" });
      assert.equal(results.newMessage, "hello chat");
      assert.deepEqual(results.userAck, { delivered: 1 });
      assert.equal(results.transport, transports === "polling" ? "polling" : "websocket");
    },
  });
}

for (const transports of ["websocket", "polling"]) {
  Deno.test({
    name:
      `python-socketio 5.7.2 over ${transports}: reconnects by itself after the TCP connection is cut`,
    ignore: reason !== null,
    async fn() {
      await using server = await startTestServer();
      await using proxy = new TcpProxy(server.port);
      await using client = runClient(proxy.origin, transports, "reconnect");
      const { ready } = await client.next();
      // Cut under a waiting GET: between two GETs, a client opens a new connection and carries on.
      const edge = socketIoEdge(server.services).main;
      if (transports === "polling") await eventually(() => assert.equal(edge.polling, 1));
      proxy.dropAll();
      const { reconnected } = await client.next();
      assert.equal(typeof reconnected, "string");
      assert.notEqual(reconnected, ready);
    },
  });
}
