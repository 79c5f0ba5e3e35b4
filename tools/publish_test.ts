/**
 * `deno task publish` as a user runs it, in its own process with the task's permissions, against
 * a real server: a message published and seen by a member, and each mistake a user can make
 * (no key, a wrong key, a bad option, no server, a server with the API off) told in one line with
 * a non-zero exit, publishing nothing.
 */

import assert from "node:assert/strict";
import { startTestServer } from "../tests/helpers.ts";
import { barrier, isEvent, open } from "../tests/protocol_asserts.ts";

const KEY = "publish-cli-key-0123456789";
const SCRIPT = new URL("./publish.ts", import.meta.url).pathname;

/** Runs the command with the task's permissions; answers its exit code and output. */
async function publish(args: string[], apiKey?: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env=API_KEY", SCRIPT, ...args],
    // Empty is unset, whatever the test runner's environment holds.
    env: { API_KEY: apiKey ?? "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: text(stdout), err: text(stderr) };
}

Deno.test("deno task publish posts a message a member sees, and prints the answer", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  const url = server.origin;
  const run = await publish(
    [
      "--url",
      url,
      "--room",
      "lobby",
      "--text",
      "Deploy finished",
      "--name",
      "CI",
      "--data",
      '{"build":7}',
    ],
    KEY,
  );
  assert.equal(run.code, 0, run.err);
  const answer = JSON.parse(run.out);
  assert.equal(typeof answer.msgId, "string");
  assert.equal(answer.offset, 1);
  const event = await member.next(isEvent("chat", (d) => d.msgId === answer.msgId));
  assert.deepEqual(
    [event.data!.from, event.data!.name, event.data!.text, event.data!.data],
    ["server", "CI", "Deploy finished", { build: 7 }],
  );
});

Deno.test("deno task publish: each mistake is told in one line, with a non-zero exit", async () => {
  await using server = await startTestServer({ apiKey: KEY });
  await using member = await open(server);
  const base = ["--url", server.origin, "--room", "lobby", "--text", "hi"];
  const cases: { what: string; args: string[]; key?: string; code: number; says: RegExp }[] = [
    { what: "no API_KEY", args: base, code: 2, says: /set API_KEY/ },
    {
      what: "a wrong key",
      args: base,
      key: "nope",
      code: 1,
      says: /401 unauthorized.*check API_KEY/,
    },
    { what: "no --text", args: base.slice(0, 4), key: KEY, code: 2, says: /--text is required/ },
    {
      what: "a bad room",
      args: ["--url", server.origin, "--room", "a b", "--text", "x"],
      key: KEY,
      code: 2,
      says: /--room must be/,
    },
    { what: "--data not JSON", args: [...base, "--data", "{x"], key: KEY, code: 2, says: /--data/ },
    {
      what: "an unknown option",
      args: [...base, "--rooom", "x"],
      key: KEY,
      code: 2,
      says: /rooom/,
    },
    {
      what: "a bad --url",
      args: ["--url", "ftp://x", "--room", "a", "--text", "b"],
      key: KEY,
      code: 2,
      says: /--url/,
    },
  ];
  for (const c of cases) {
    const run = await publish(c.args, c.key);
    assert.equal(run.code, c.code, `${c.what}: ${run.err}`);
    assert.match(run.err, c.says, c.what);
    assert.equal(run.out, "", c.what);
  }
  await barrier(member);
  assert.equal(member.frames.filter(isEvent("chat")).length, 0, "nothing was published");
});

Deno.test("deno task publish: no server, or the API off, says so", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const none = await publish(
    ["--url", `http://127.0.0.1:${port}`, "--room", "lobby", "--text", "x"],
    KEY,
  );
  assert.equal(none.code, 1);
  assert.match(none.err, /cannot reach http:\/\/127\.0\.0\.1:\d+ .*is the server running/);
  await using off = await startTestServer();
  const run = await publish(["--url", off.origin, "--room", "lobby", "--text", "x"], KEY);
  assert.equal(run.code, 1);
  assert.match(run.err, /404 not_found.*API_KEY/);
});
