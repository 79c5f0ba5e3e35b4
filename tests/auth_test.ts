/**
 * Tokens end to end, on a real server: `/ws?token=` in each `AUTH_MODE`, the 401 a bad token gets
 * before the upgrade, the user in welcome and member lists, private rooms, `refresh` over the
 * wire, a resume in `required` mode, and the Socket.IO endpoint's CONNECT `auth` payload.
 */

import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { eventually, Probe, startTestServer, stats, type TestServer } from "./helpers.ts";
import { ok, refused, welcomeOf } from "./protocol_asserts.ts";
import { upgradeAnswer } from "./raw_socket.ts";
import { connect as sioConnect } from "./socketio_helpers.ts";
import {
  keyPair,
  nowS,
  SECRET,
  sign,
  tampered,
  token as mint,
  unsignedToken,
} from "./spec_helpers.ts";
import { closedPort } from "../lib/client/testing/fake_hub.ts";
import { ConfigError } from "../lib/server/config.ts";
import { assertCapped, burst, closeAll, socketIoBurst } from "./user_limit.ts";
import { closedWithin } from "./spec_helpers.ts";

const AUTH = { authSecret: SECRET };

/** A probe on `/ws` with `query` (`token=…`, `resume=…`), welcomed. */
function open(server: TestServer, query: Record<string, string> = {}): Promise<Probe> {
  return Probe.open(`${server.wsUrl}?${new URLSearchParams(query)}`);
}

/** What an upgrade with `query` is answered, before any WebSocket exists. */
function upgrade(server: TestServer, query: string) {
  return upgradeAnswer(server.port, {}, `/ws?${query}`);
}

Deno.test("required: no token, a bad one or an expired one gets 401 with a one-line reason", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "required" });
  const good = await mint({ sub: "u1" });
  const cases: [string, string][] = [
    ["", "Token required"],
    [`token=${await mint({ sub: "u1" }, { exp: nowS() + -5 })}`, "Token expired"],
    [`token=${unsignedToken({ sub: "u1" })}`, "Invalid token"],
    [`token=${tampered(good, { sub: "root" })}`, "Invalid token"],
    [`token=${await mint({ sub: "u1" }, { alg: "HS512" })}`, "Invalid token"],
    [`token=${await mint({ sub: "u1" }, { exp: null })}`, "Invalid token"],
    [`token=${good}&token=${good}`, "Invalid token"],
  ];
  for (const [query, reason] of cases) {
    const answer = await upgrade(server, query);
    assert.equal(answer.status, 401, query);
    assert.equal(answer.body, `${reason}\n`, query);
    assert.match(answer.headers.get("www-authenticate") ?? "", /^Bearer /);
  }
  assert.equal((await upgrade(server, `token=${good}`)).status, 101);
  // A client that can set headers may send it as a bearer token instead.
  const bearer = await upgradeAnswer(server.port, { Authorization: `Bearer ${good}` });
  assert.equal(bearer.status, 101);
  const basic = await upgradeAnswer(server.port, { Authorization: "Basic dTpw" });
  assert.deepEqual([basic.status, basic.body], [401, "Token required\n"], "Basic is no token");
  const badBearer = await upgradeAnswer(server.port, { Authorization: "Bearer x.y.z" });
  assert.deepEqual([badBearer.status, badBearer.body], [401, "Invalid token\n"]);
});

Deno.test("optional: no token is anonymous, a bad token is refused all the same", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "optional" });
  await using anon = await open(server);
  assert.equal(welcomeOf(anon).userId, null);
  const bad = await upgrade(server, `token=${await mint({ sub: "u1" }, { exp: nowS() + -5 })}`);
  assert.deepEqual([bad.status, bad.body], [401, "Token expired\n"]);
  await using ada = await open(server, { token: await mint({ sub: "ada", name: "Ada" }) });
  assert.deepEqual([welcomeOf(ada).userId, welcomeOf(ada).name], ["ada", "Ada"]);
  // Both are in the lobby's member list, each with its user.
  const { members } = ok(await anon.request("join", { room: "lobby" })) as {
    members: { sessionId: string; userId: string | null }[];
  };
  const users = Object.fromEntries(members.map((m) => [m.sessionId, m.userId]));
  assert.deepEqual(users, { [welcomeOf(anon).sessionId]: null, [welcomeOf(ada).sessionId]: "ada" });
  refused(await ada.request("set_name", { name: "Someone" }), "forbidden");
  ok(await anon.request("set_name", { name: "Anon" }));
});

Deno.test("none: a token is not read, and refresh says there are no tokens", async () => {
  await using server = await startTestServer();
  await using probe = await open(server, { token: "anything" });
  assert.equal(welcomeOf(probe).userId, null);
  refused(await probe.request("refresh", { token: "anything" }), "unauthorized");
});

Deno.test("private rooms over the wire: forbidden without a grant, joined and read with one", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "optional" });
  await using ops = await open(server, {
    token: await mint({ sub: "ops", rooms: ["private-ops-*"] }),
  });
  await using other = await open(server, { token: await mint({ sub: "other" }) });
  ok(await ops.request("join", { room: "private-ops-1" }));
  ok(await ops.request("chat", { room: "private-ops-1", text: "secret" }));
  const history = ok(await ops.request("history", { room: "private-ops-1" }));
  assert.deepEqual((history.messages as { text: string }[]).map((m) => m.text), ["secret"]);
  refused(await other.request("join", { room: "private-ops-1" }), "forbidden", "private-ops-1");
  refused(await other.request("history", { room: "private-ops-1" }), "forbidden");
});

Deno.test("refresh over the wire: a bad token is unauthorized, another user's forbidden", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "required" });
  await using ada = await open(server, {
    token: await mint({ sub: "ada" }, { exp: nowS() + 60 }),
  });
  refused(await ada.request("refresh", { token: "not.a.token" }), "unauthorized");
  refused(await ada.request("refresh", { token: unsignedToken({ sub: "ada" }) }), "unauthorized");
  refused(
    await ada.request("refresh", { token: await mint({ sub: "bea" }, { exp: nowS() + 600 }) }),
    "forbidden",
  );
  refused(await ada.request("refresh", {}), "bad_request", "data.token");
  // Bad input: a well-signed token of the same user that has already expired.
  refused(
    await ada.request("refresh", { token: await mint({ sub: "ada" }, { exp: nowS() - 10 }) }),
    "unauthorized",
  );
  assert.equal(ada.socket.readyState, WebSocket.OPEN, "the session lives on");
  const fresh = await mint({ sub: "ada" }, { exp: nowS() + 600 });
  const reply = ok(await ada.request("refresh", { token: fresh }));
  assert.equal(reply.expiresAt, JSON.parse(atob(fresh.split(".")[1])).exp * 1000);
});

Deno.test("required: a resume presents a token of the session's user", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "required" });
  const token = await mint({ sub: "ada" });
  const first = await open(server, { token });
  const { sessionId, resumeToken } = welcomeOf(first);
  first.socket.close(4000, "dropped");
  await first.closed;
  // Without a token the resume is refused like any connection without one.
  assert.equal((await upgrade(server, `resume=${resumeToken}`)).status, 401);
  // Another user's token cannot take the session; it gets one of its own.
  await using bea = await open(server, {
    resume: resumeToken,
    token: await mint({ sub: "bea" }),
  });
  assert.notEqual(welcomeOf(bea).sessionId, sessionId);
  assert.equal(welcomeOf(bea).userId, "bea");
  await using again = await open(server, { resume: resumeToken, token });
  assert.deepEqual(
    [welcomeOf(again).sessionId, welcomeOf(again).resumed, welcomeOf(again).userId],
    [sessionId, true, "ada"],
  );
});

Deno.test("Socket.IO: the token in the CONNECT auth payload; a bad one gets connect_error", async () => {
  await using server = await startTestServer({ ...AUTH, authMode: "required" });
  const url = `http://127.0.0.1:${server.port}/`;
  for (const auth of [{}, { token: unsignedToken({ sub: "u1" }) }, { token: 42 }]) {
    await assert.rejects(
      sioConnect(io, url, { auth }),
      (err: Error) => /^(Token required|Invalid token)$/.test(err.message),
      JSON.stringify(auth),
    );
  }
  const token = await mint({ sub: "ada", name: "Ada" });
  await using client = await sioConnect(io, url, { auth: { token } });
  const userId = await new Promise((resolve) => {
    // The client_id already came; ask for the member list to read the user back.
    client.socket.emit(
      "join",
      { room: "lobby" },
      (reply: { members: { userId: string }[] }) => resolve(reply.members.map((m) => m.userId)),
    );
  });
  assert.deepEqual(userId, ["ada"]);
  const [refreshed] = await new Promise<unknown[]>((resolve) =>
    client.socket.emit(
      "refresh",
      { token: unsignedToken({ sub: "ada" }) },
      (...a: unknown[]) => resolve(a),
    )
  );
  assert.equal((refreshed as { error: { code: string } }).error.code, "unauthorized");
});

Deno.test("USER_CONNECTION_LIMIT on one node: /ws closes with 4005, Socket.IO gets connect_error", async () => {
  await using server = await startTestServer({
    ...AUTH,
    authMode: "required",
    userConnectionLimit: 1,
  });
  const ada = await mint({ sub: "ada" });
  await using first = await open(server, { token: ada });
  const over = new Probe(`${server.wsUrl}?token=${ada}`);
  assert.equal((await over.closed).code, 4005);
  assert.deepEqual(over.frames, []);
  const url = `http://127.0.0.1:${server.port}/`;
  await assert.rejects(
    sioConnect(io, url, { auth: { token: ada } }),
    (err: Error & { data?: { code?: number } }) =>
      err.message === "Too many connections for this user" && err.data?.code === 4005,
  );
  // A resume of her own session takes it over rather than adding one.
  first.socket.close(4000, "dropped");
  await first.closed;
  await using back = await open(server, { token: ada, resume: welcomeOf(first).resumeToken });
  assert.equal(welcomeOf(back).resumed, true);
});

Deno.test("keys that cannot be fetched: 503 with Retry-After, not 401", async () => {
  const { privateKey } = await keyPair("RS256");
  await using server = await startTestServer({
    authMode: "required",
    authJwksUrl: `http://127.0.0.1:${await closedPort()}/jwks.json`,
  });
  const jwt = await sign({ sub: "u1" }, privateKey, { alg: "RS256" });
  const answer = await upgrade(server, `token=${jwt}`);
  assert.deepEqual([answer.status, answer.headers.get("retry-after")], [503, "5"]);
  assert.equal(answer.body, "Cannot check tokens now; try again later\n");
});

Deno.test("a public key that does not load stops the server, naming AUTH_PUBLIC_KEY", async () => {
  await assert.rejects(
    startTestServer({
      authMode: "required",
      authPublicKey: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
    }),
    (err: Error) => err instanceof ConfigError && err.variable === "AUTH_PUBLIC_KEY",
  );
});

Deno.test("USER_CONNECTION_LIMIT on one node: connections that arrive together are capped too", async () => {
  await using server = await startTestServer({
    ...AUTH,
    authMode: "required",
    userConnectionLimit: 2,
  });
  const ada = await mint({ sub: "ada" });
  // Six at once, none welcomed yet when the others are checked: two get in, four get 4005.
  const first = await burst(Array.from({ length: 6 }, () => `${server.wsUrl}?token=${ada}`));
  await assertCapped(first, 2);
  // Her sessions end: their places go with them, and so do the refused ones'.
  await closeAll(first);
  await eventually(async () => assert.equal((await stats(server)).count, 0));
  const again = await burst(Array.from({ length: 3 }, () => `${server.wsUrl}?token=${ada}`));
  await assertCapped(again, 2);
  await closeAll(again);
  await eventually(async () => assert.equal((await stats(server)).count, 0));

  // Socket.IO's CONNECTs are admitted the same way: the ones over get connect_error 4005.
  const { connected, refusals } = await socketIoBurst([`http://127.0.0.1:${server.port}`], ada, 6);
  assert.equal(connected, 2);
  assert.deepEqual(refusals, [4005, 4005, 4005, 4005]);
});

Deno.test("USER_CONNECTION_LIMIT: a resume token that resumes nothing is no way past the limit", async () => {
  await using server = await startTestServer({
    ...AUTH,
    authMode: "required",
    userConnectionLimit: 1,
  });
  const ada = await mint({ sub: "ada" });
  await using first = await open(server, { token: ada });
  const { sessionId, resumeToken } = welcomeOf(first);
  // Her connected session's id with a secret that is not its token's: the resume fails, and the
  // new session it would get instead is one over her limit.
  const forged = `${sessionId}.${"x".repeat(String(resumeToken).length - sessionId.length - 1)}`;
  await using over = new Probe(`${server.wsUrl}?token=${ada}&resume=${forged}`);
  assert.equal((await closedWithin(over, 5000)).code, 4005);
  assert.equal((await first.request("ping")).ok, true);
  await eventually(async () => assert.equal((await stats(server)).count, 1));
});
