/**
 * The server API (issue 14), black-box: a real server process with `API_KEY`, called over HTTP as
 * an application's backend would, and checked against the issue's text only. Where the text
 * leaves a choice open, the reading taken is written beside the assertion ("Reading: …").
 */

import assert from "node:assert/strict";
import { Probe } from "./helpers.ts";
import { spawnServer } from "./server_process.ts";
import {
  api,
  API_KEY,
  assertApiError,
  chatsUpToSentinel,
  closedWithin,
  okJson,
  openWith,
  welcomeOf,
} from "./spec_helpers.ts";

const API_ENV = { API_KEY, CHAT_RATE: "0" };

/** One good call of each kind, as [method, path, body]. */
const CALLS: [string, string, unknown][] = [
  ["POST", "/api/publish", { room: "lobby", text: "hello" }],
  ["POST", "/api/broadcast", { rooms: ["lobby"], text: "hello" }],
  ["POST", "/api/disconnect", { sessionId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }],
  ["GET", "/api/presence?room=lobby", undefined],
  ["GET", "/api/users/user-1/sessions", undefined],
  ["GET", "/api/history?room=lobby", undefined],
];

Deno.test("API_KEY unset: the API is off, every call 404 (and /api/stats stays)", async () => {
  await using server = await spawnServer({});
  for (const [method, path, body] of CALLS) {
    for (const key of [null, API_KEY, ""]) {
      const answer = await api(server, method, path, { body, key });
      assert.equal(answer.status, 404, `${method} ${path} with key ${key}: ${answer.text}`);
    }
  }
  assert.equal((await api(server, "GET", "/api/stats", { key: null })).status, 200);
});

Deno.test("API_KEY empty or blank: an empty bearer opens nothing", async () => {
  // Reading: an empty key is no key (the API off, 404), or a setting the server refuses at start;
  // were it a key, "Authorization: Bearer " would pass.
  for (const key of ["", "  "]) {
    const started = await spawnServer({ API_KEY: key }).catch(() => undefined);
    if (!started) continue;
    await using server = started;
    for (const authorization of ["Bearer ", "Bearer", `Bearer ${key}`]) {
      const answer = await api(server, "POST", "/api/publish", {
        body: { room: "lobby", text: "x" },
        authorization,
      });
      assert.ok(
        answer.status === 404 || answer.status === 401,
        `API_KEY ${JSON.stringify(key)}, ${authorization}: ${answer.status} ${answer.text}`,
      );
    }
  }
});

Deno.test("every API call with a missing or wrong key gets 401 unauthorized and does nothing", async () => {
  await using server = await spawnServer(API_ENV);
  await using watcher = await openWith(server);
  const since = watcher.frames.length;
  const badKeys: [string, { key?: string | null; authorization?: string }][] = [
    ["no Authorization header", { key: null }],
    ["a wrong key", { key: "wrong-key" }],
    ["the key with one more character", { key: `${API_KEY}x` }],
    ["the key less its last character", { key: API_KEY.slice(0, -1) }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["the key without the Bearer scheme", { authorization: API_KEY }],
    ["the key as Basic credentials", { authorization: `Basic ${btoa(`api:${API_KEY}`)}` }],
  ];
  for (const [method, path, body] of CALLS) {
    for (const [what, auth] of badKeys) {
      const answer = await api(server, method, path, { body, ...auth });
      assertApiError(answer, 401, "unauthorized", `${method} ${path}, ${what}`);
      assert.ok(!answer.text.includes(API_KEY), `${method} ${path}: the answer names the key`);
    }
  }
  // Nothing was published, and the watcher (the only session) is still here.
  assert.deepEqual(await chatsUpToSentinel(server, watcher, "lobby", since), []);
  assert.equal(watcher.socket.readyState, WebSocket.OPEN);
});

Deno.test("bad bodies and queries get 400 bad_request, and publish nothing", async () => {
  await using server = await spawnServer(API_ENV);
  await using watcher = await openWith(server);
  const since = watcher.frames.length;
  const rooms101 = Array.from({ length: 101 }, (_, i) => `room-${i}`);
  const bad: [string, string, unknown, string][] = [
    ["POST", "/api/publish", "{not json", "a body that is not JSON"],
    ["POST", "/api/publish", "[]", "a JSON array"],
    ["POST", "/api/publish", "null", "JSON null"],
    ["POST", "/api/publish", {}, "an empty object"],
    ["POST", "/api/publish", { room: "lobby" }, "no text"],
    ["POST", "/api/publish", { text: "hi" }, "no room"],
    ["POST", "/api/publish", { room: "lobby", text: 42 }, "a text that is a number"],
    ["POST", "/api/publish", { room: "lobby", text: "   " }, "a blank text"],
    ["POST", "/api/publish", { room: "lobby", text: "x".repeat(4001) }, "a text of 4,001"],
    ["POST", "/api/publish", { room: "bad room!", text: "hi" }, "a room name with a space"],
    ["POST", "/api/publish", { room: "r".repeat(65), text: "hi" }, "a room name of 65"],
    ["POST", "/api/publish", { room: "lobby", text: "hi", name: 7 }, "a name that is a number"],
    ["POST", "/api/broadcast", { text: "hi" }, "no rooms"],
    ["POST", "/api/broadcast", { rooms: "lobby", text: "hi" }, "rooms that is a string"],
    ["POST", "/api/broadcast", { rooms: rooms101, text: "hi" }, "101 rooms"],
    ["POST", "/api/broadcast", { rooms: ["lobby", "bad room!"], text: "hi" }, "a bad room"],
    ["POST", "/api/broadcast", { rooms: ["lobby"] }, "no text"],
    ["POST", "/api/disconnect", {}, "neither sessionId nor userId"],
    ["POST", "/api/disconnect", { sessionId: 5 }, "a sessionId that is a number"],
    ["POST", "/api/disconnect", { userId: 7 }, "a userId that is a number"],
    ["POST", "/api/disconnect", "{not json", "a body that is not JSON"],
    ["GET", "/api/presence", undefined, "no room"],
    ["GET", "/api/presence?room=bad%20room", undefined, "a bad room name"],
    ["GET", "/api/history", undefined, "no room"],
    ["GET", "/api/history?room=lobby&limit=0", undefined, "limit 0"],
    ["GET", "/api/history?room=lobby&limit=101", undefined, "limit 101"],
    ["GET", "/api/history?room=lobby&limit=ten", undefined, "limit ten"],
    ["GET", "/api/history?room=lobby&before=0", undefined, "before 0"],
    ["GET", "/api/history?room=lobby&before=1.5", undefined, "before 1.5"],
  ];
  for (const [method, path, body, what] of bad) {
    const answer = await api(server, method, path, { body });
    assertApiError(answer, 400, "bad_request", `${method} ${path}: ${what}`);
    assert.match(answer.headers.get("content-type") ?? "", /application\/json/, what);
  }
  assert.deepEqual(await chatsUpToSentinel(server, watcher, "lobby", since), []);
  assert.equal(watcher.socket.readyState, WebSocket.OPEN, "a bad disconnect closed a session");
});

Deno.test("publish: a chat from the server to the room's members, answered {msgId, ts, offset, epoch}", async () => {
  await using server = await spawnServer(API_ENV);
  await using member = await openWith(server);
  await using outsider = await openWith(server);
  assert.equal((await member.request("join", { room: "news" })).ok, true);

  const answer = okJson(
    await api(server, "POST", "/api/publish", {
      body: { room: "news", text: "breaking", name: "Newsroom", data: { kind: "alert", n: 1 } },
    }),
    "publish",
  );
  assert.equal(typeof answer.msgId, "string");
  assert.equal((answer.msgId as string).length, 26, "a ULID");
  assert.equal(typeof answer.ts, "number");
  assert.ok(Math.abs((answer.ts as number) - Date.now()) < 10_000);
  // Rooms are streams already, so the answer carries the stream position too.
  assert.equal(answer.offset, 1, JSON.stringify(answer));
  assert.equal(typeof answer.epoch, "string", JSON.stringify(answer));

  const chat = await member.next((f) => f.type === "chat" && f.data?.text === "breaking");
  assert.equal(chat.data?.room, "news");
  assert.equal(chat.data?.from, "server");
  assert.equal(chat.data?.name, "Newsroom");
  assert.equal(chat.data?.msgId, answer.msgId);
  assert.equal(chat.data?.ts, answer.ts);
  assert.equal(chat.data?.offset, answer.offset);
  assert.equal(chat.data?.epoch, answer.epoch);
  // Reading: `data` is the application's payload and rides on the chat event as it was given.
  assert.deepEqual(chat.data?.data, { kind: "alert", n: 1 }, JSON.stringify(chat));

  // Only members get it; the room's history keeps it.
  const ping = await outsider.request("ping");
  assert.equal(ping.ok, true);
  assert.equal(outsider.frames.some((f) => f.type === "chat"), false);
  const history = await member.request("history", { room: "news" });
  const messages = history.data?.messages as Record<string, unknown>[];
  assert.deepEqual(messages.map((m) => [m.msgId, m.from, m.text]), [
    [answer.msgId, "server", "breaking"],
  ]);

  // A room nobody is in takes a publish too (its history keeps it).
  const empty = okJson(
    await api(server, "POST", "/api/publish", { body: { room: "empty-room", text: "anyone?" } }),
    "publish to an empty room",
  );
  assert.equal(typeof empty.msgId, "string");
});

Deno.test("publish with an idempotencyKey: a retry is a no-op that returns the first answer", async () => {
  await using server = await spawnServer(API_ENV);
  await using member = await openWith(server);
  const since = member.frames.length;
  const body = { room: "lobby", text: "once", idempotencyKey: "order-42" };
  const first = okJson(await api(server, "POST", "/api/publish", { body }), "first");
  const retry = okJson(await api(server, "POST", "/api/publish", { body }), "retry");
  assert.deepEqual(retry, first);
  const other = okJson(
    await api(server, "POST", "/api/publish", { body: { ...body, idempotencyKey: "order-43" } }),
    "another key",
  );
  assert.notEqual(other.msgId, first.msgId);
  const plain = { room: "lobby", text: "once" };
  const noKey1 = okJson(await api(server, "POST", "/api/publish", { body: plain }), "no key");
  const noKey2 = okJson(await api(server, "POST", "/api/publish", { body: plain }), "no key");
  assert.notEqual(noKey1.msgId, noKey2.msgId, "without a key, each call publishes");

  const chats = await chatsUpToSentinel(server, member, "lobby", since);
  assert.deepEqual(chats.map((f) => f.data?.msgId), [
    first.msgId,
    other.msgId,
    noKey1.msgId,
    noKey2.msgId,
  ]);
});

Deno.test("broadcast: one message to up to 100 rooms, answered {results: [{room, msgId, ts}]}", async () => {
  await using server = await spawnServer(API_ENV);
  await using a = await openWith(server);
  await using b = await openWith(server);
  assert.equal((await a.request("join", { room: "bc-a" })).ok, true);
  assert.equal((await b.request("join", { room: "bc-b" })).ok, true);

  const answer = okJson(
    await api(server, "POST", "/api/broadcast", {
      body: { rooms: ["bc-a", "bc-b", "bc-nobody"], text: "to all", name: "Ops" },
    }),
    "broadcast",
  );
  const results = answer.results as Record<string, unknown>[];
  assert.deepEqual(results.map((r) => r.room), ["bc-a", "bc-b", "bc-nobody"]);
  for (const r of results) {
    assert.equal(typeof r.msgId, "string", JSON.stringify(r));
    assert.equal(typeof r.ts, "number", JSON.stringify(r));
  }
  assert.equal(new Set(results.map((r) => r.msgId)).size, 3, "one message per room");
  for (const [probe, room, i] of [[a, "bc-a", 0], [b, "bc-b", 1]] as const) {
    const chat = await probe.next((f) => f.type === "chat" && f.data?.room === room);
    assert.equal(chat.data?.from, "server");
    assert.equal(chat.data?.text, "to all");
    assert.equal(chat.data?.name, "Ops");
    assert.equal(chat.data?.msgId, results[i].msgId);
  }
  // a is in bc-a only (and lobby): the bc-b copy is not for it.
  assert.equal((await a.request("ping")).ok, true);
  assert.equal(a.frames.filter((f) => f.type === "chat").length, 1);

  const hundred = Array.from({ length: 100 }, (_, i) => `bc-${i}`);
  const full = okJson(
    await api(server, "POST", "/api/broadcast", { body: { rooms: hundred, text: "100" } }),
    "100 rooms",
  );
  assert.deepEqual((full.results as { room: string }[]).map((r) => r.room), hundred);
});

Deno.test("disconnect: by sessionId with 4003 by default and no resume; a code and reason of one's own", async (t) => {
  await using server = await spawnServer(API_ENV);
  await using observer = await openWith(server);

  await t.step(
    "by sessionId: 4003, the session ends (leave, not away) and cannot resume",
    async () => {
      await using target = await openWith(server);
      const { sessionId, resumeToken } = welcomeOf(target);
      okJson(
        await api(server, "POST", "/api/disconnect", { body: { sessionId } }),
        "disconnect",
      );
      const closed = await closedWithin(target, 5000);
      assert.equal(closed.code, 4003, JSON.stringify(closed));
      const presence = await observer.next((f) =>
        f.type === "presence" && f.data?.sessionId === sessionId &&
        (f.data?.action === "leave" || f.data?.action === "away")
      );
      assert.equal(presence.data?.action, "leave", JSON.stringify(presence));
      await using again = await Probe.open(
        `${server.wsUrl}?resume=${encodeURIComponent(resumeToken as string)}`,
      );
      assert.equal(welcomeOf(again).resumed, false);
      assert.notEqual(welcomeOf(again).sessionId, sessionId);
    },
  );

  await t.step("with a code and a reason", async () => {
    await using target = await openWith(server);
    okJson(
      await api(server, "POST", "/api/disconnect", {
        body: { sessionId: welcomeOf(target).sessionId, code: 4100, reason: "maintenance" },
      }),
      "disconnect with code",
    );
    const closed = await closedWithin(target, 5000);
    assert.equal(closed.code, 4100, JSON.stringify(closed));
    assert.equal(closed.reason, "maintenance");
  });
});

Deno.test("history: the newest messages, oldest first, paged back with before", async () => {
  await using server = await spawnServer(API_ENV);
  const answers = [];
  for (const text of ["one", "two", "three"]) {
    answers.push(okJson(
      await api(server, "POST", "/api/publish", { body: { room: "hist", text } }),
      text,
    ));
  }
  // Reading: the answer has the shape of the wire protocol's history reply.
  const latest = okJson(await api(server, "GET", "/api/history?room=hist&limit=2"), "history");
  assert.equal(latest.room, "hist");
  assert.equal(latest.offset, 3);
  assert.equal(latest.epoch, answers[0].epoch);
  const messages = latest.messages as Record<string, unknown>[];
  assert.deepEqual(messages.map((m) => [m.text, m.offset, m.from]), [
    ["two", 2, "server"],
    ["three", 3, "server"],
  ]);
  const older = okJson(await api(server, "GET", "/api/history?room=hist&before=2"), "before");
  assert.deepEqual((older.messages as Record<string, unknown>[]).map((m) => m.msgId), [
    answers[0].msgId,
  ]);
  // A private room's history is the application's to read: the key is the whole permission.
  okJson(
    await api(server, "POST", "/api/publish", { body: { room: "private-ops", text: "p" } }),
    "publish private",
  );
  const priv = okJson(await api(server, "GET", "/api/history?room=private-ops"), "private");
  assert.equal((priv.messages as unknown[]).length, 1);
});

/** Runs `deno task publish` with `args` and `env`, as a user would from the repository. */
async function publishCli(args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "publish", ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("deno task publish: publishes one message and prints the answer; a wrong key exits 1", async () => {
  await using server = await spawnServer(API_ENV);
  await using member = await openWith(server);
  const published = await publishCli(
    ["--url", server.origin, "--room", "lobby", "--text", "from the command line", "--name", "CI"],
    { API_KEY },
  );
  assert.equal(published.code, 0, published.stdout + published.stderr);
  const answer = JSON.parse(published.stdout.trim().split("\n").at(-1)!);
  const chat = await member.next((f) =>
    f.type === "chat" && f.data?.text === "from the command line"
  );
  assert.equal(chat.data?.from, "server");
  assert.equal(chat.data?.name, "CI");
  assert.equal(chat.data?.msgId, answer.msgId);

  const refused = await publishCli(
    ["--url", server.origin, "--room", "lobby", "--text", "not sent"],
    { API_KEY: "wrong-key" },
  );
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout + refused.stderr, /unauthorized/);
  assert.equal((await member.request("ping")).ok, true);
  assert.equal(member.frames.some((f) => f.type === "chat" && f.data?.text === "not sent"), false);
});

Deno.test("docs/api.md has a curl example for each call", async () => {
  const text = await Deno.readTextFile(new URL("../docs/api.md", import.meta.url));
  const blocks = text.split("```").filter((_, i) => i % 2 === 1);
  for (
    const path of [
      "/api/publish",
      "/api/broadcast",
      "/api/disconnect",
      "/api/presence",
      "/api/users/",
      "/api/history",
    ]
  ) {
    assert.ok(
      blocks.some((block) => block.includes("curl") && block.includes(path)),
      `no curl example for ${path}`,
    );
  }
});
