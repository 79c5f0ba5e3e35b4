/**
 * Identity over a session's life (issue 14), black-box: `token_expiring`, `refresh`, the 4001
 * close at `exp`, and resume in `required` mode. Tokens live a few seconds, so every wait is bounded by a token's own `exp`.
 */

import assert from "node:assert/strict";
import { Probe } from "./helpers.ts";
import { spawnServer } from "./server_process.ts";
import {
  closedWithin,
  keyPair,
  nowS,
  openWith,
  SECRET,
  sign,
  token,
  unsignedToken,
  upgradeWith,
  welcomeOf,
  wsUrl,
} from "./spec_helpers.ts";

const REQUIRED = { AUTH_MODE: "required", AUTH_SECRET: SECRET, CHAT_RATE: "0" };

Deno.test("token_expiring {expiresAt} comes thirty seconds before exp", async () => {
  await using server = await spawnServer(REQUIRED);
  const exp = nowS() + 32;
  await using probe = await openWith(server, await token({ sub: "user-exp" }, { exp }));
  const due = exp * 1000 - 30_000;
  const event = await probe.next((f) => f.type === "token_expiring", due - Date.now() + 3000);
  const at = Date.now();
  // Reading: expiresAt is a time like every other on the wire, epoch milliseconds: exp * 1000.
  assert.equal(event.data?.expiresAt, exp * 1000, JSON.stringify(event));
  assert.ok(at >= due - 1000, `token_expiring ${due - at} ms early`);
  assert.ok(at <= due + 1500, `token_expiring ${at - due} ms late`);
});

Deno.test("a session whose token expires is closed with 4001 within a second of exp; refused refreshes change nothing", async (t) => {
  await using server = await spawnServer(REQUIRED);
  const exp = nowS() + 4;
  await using probe = await openWith(server, await token({ sub: "user-4001" }, { exp }));

  const refresh = (jwt: string) => probe.request("refresh", { token: jwt });
  await t.step("a token for another sub gets forbidden", async () => {
    const reply = await refresh(await token({ sub: "user-other" }, { exp: nowS() + 600 }));
    assert.equal(reply.ok, false, JSON.stringify(reply));
    assert.equal(reply.error?.code, "forbidden", JSON.stringify(reply));
  });
  for (
    const [what, make] of [
      [
        "a bad signature",
        () => sign({ sub: "user-4001" }, "another-secret-0123456789abcdef012345"),
      ],
      ["alg: none", () => Promise.resolve(unsignedToken({ sub: "user-4001", exp: nowS() + 600 }))],
      ["no exp", () => token({ sub: "user-4001" }, { exp: null })],
      ["HS512", () => sign({ sub: "user-4001" }, SECRET, { alg: "HS512" })],
      ["not a JWT", () => Promise.resolve("garbage")],
      // An invalid token's sub cannot be trusted, so it is unauthorized, not forbidden.
      [
        "a bad signature for another sub",
        () => sign({ sub: "user-other" }, "another-secret-0123456789abcdef012345"),
      ],
      [
        "alg: none for another sub",
        () => Promise.resolve(unsignedToken({ sub: "user-other", exp: nowS() + 600 })),
      ],
    ] as const
  ) {
    await t.step(`${what} gets unauthorized`, async () => {
      const reply = await refresh(await make());
      assert.equal(reply.ok, false, JSON.stringify(reply));
      assert.equal(reply.error?.code, "unauthorized", JSON.stringify(reply));
    });
  }

  await t.step("the session lives on, then closes with 4001 within a second of exp", async () => {
    assert.ok(Date.now() < exp * 1000, "the refusals took longer than the token's life");
    assert.equal((await probe.request("ping")).ok, true, "the session did not live on");
    const closed = await closedWithin(probe, exp * 1000 - Date.now() + 3000);
    assert.equal(closed.code, 4001, JSON.stringify(closed));
    assert.ok(closed.at >= exp * 1000 - 1000, `closed ${exp * 1000 - closed.at} ms before exp`);
    // A second, plus a little for the close frame to reach this process on a loaded machine.
    assert.ok(closed.at <= exp * 1000 + 1250, `closed ${closed.at - exp * 1000} ms after exp`);
  });
});

Deno.test("refresh with an expired token of the same sub gets unauthorized, and the session lives on", async () => {
  await using server = await spawnServer(REQUIRED);
  const exp = nowS() + 20;
  await using probe = await openWith(server, await token({ sub: "user-late" }, { exp }));
  const reply = await probe.request("refresh", {
    token: await token({ sub: "user-late" }, { exp: nowS() - 10 }),
  });
  assert.equal(reply.ok, false, JSON.stringify(reply));
  assert.equal(reply.error?.code, "unauthorized", JSON.stringify(reply));
  // "...and the session lives on until its current token's exp", 20 s away.
  const closed = await closedWithin(probe, 1500).catch(() => undefined);
  assert.equal(closed, undefined, `closed after a refused refresh: ${JSON.stringify(closed)}`);
  assert.equal((await probe.request("ping")).ok, true);
});

Deno.test("refresh with a new token for the same sub keeps the session past the old exp; token_expiring follows the new one", async () => {
  await using server = await spawnServer(REQUIRED);
  const exp = nowS() + 3;
  await using probe = await openWith(server, await token({ sub: "user-refresh" }, { exp }));
  // The new token lives 33 s, so its token_expiring is due about when the old token expires.
  const newExp = nowS() + 33;
  const reply = await probe.request("refresh", {
    token: await token({ sub: "user-refresh" }, { exp: newExp }),
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const due = newExp * 1000 - 30_000;
  const expiring = await probe.next(
    (f) => f.type === "token_expiring" && f.data?.expiresAt === newExp * 1000,
    due - Date.now() + 3000,
  );
  assert.ok(
    Date.now() >= due - 1000,
    `token_expiring for the new token ${due - Date.now()} ms early`,
  );
  assert.ok(expiring);
  // Past the old exp and the second the server has to close it.
  const wait = exp * 1000 + 1500 - Date.now();
  const closedEarly = await closedWithin(probe, Math.max(wait, 0)).catch(() => undefined);
  assert.equal(
    closedEarly,
    undefined,
    `closed after a good refresh: ${JSON.stringify(closedEarly)}`,
  );
  const ping = await probe.request("ping");
  assert.equal(ping.ok, true);
  assert.equal(welcomeOf(probe).userId, "user-refresh");
});

Deno.test("AUTH_MODE=required: a resume also presents a valid token whose sub is the session's user", async (t) => {
  await using server = await spawnServer(REQUIRED);
  const good = await token({ sub: "user-resume", name: "Ada" });
  const first = await openWith(server, good);
  const sessionId = welcomeOf(first).sessionId;
  first.socket.close(4000, "network changed");
  await first.closed;

  let resumeToken = welcomeOf(first).resumeToken as string;
  await t.step("a resume without a token gets 401", async () => {
    const answer = await upgradeWith(server, { resume: resumeToken });
    assert.equal(answer.status, 401, `${answer.status} ${answer.body}`);
  });

  await t.step("with the user's token it resumes, and the session keeps its user", async () => {
    const again = await Probe.open(wsUrl(server, { resume: resumeToken, token: good }));
    const welcome = welcomeOf(again);
    assert.equal(welcome.resumed, true, JSON.stringify(welcome));
    assert.equal(welcome.sessionId, sessionId);
    assert.equal(welcome.userId, "user-resume");
    assert.equal(welcome.name, "Ada");
    resumeToken = welcome.resumeToken as string;
    again.socket.close(4000, "network changed");
    await again.closed;
  });

  await t.step("another user's valid token does not take the session", async () => {
    const mallory = await token({ sub: "user-mallory" });
    // Reading: refused before the upgrade (401) or a new session of its own; either way not
    // this session.
    const probe = new Probe(wsUrl(server, { resume: resumeToken, token: mallory }));
    const opened = await probe.opened.then(() => true, () => false);
    if (opened) {
      const welcome = (await probe.next((f) => f.type === "welcome")).data!;
      assert.equal(welcome.resumed, false, JSON.stringify(welcome));
      assert.notEqual(welcome.sessionId, sessionId);
      assert.equal(welcome.userId, "user-mallory");
    }
    await probe[Symbol.asyncDispose]();
  });

  await t.step("...and leaves it to its owner to resume", async () => {
    // Reading: as with any refused resume, "it affects no session".
    await using owner = await Probe.open(wsUrl(server, { resume: resumeToken, token: good }));
    const welcome = welcomeOf(owner);
    assert.equal(welcome.resumed, true, JSON.stringify(welcome));
    assert.equal(welcome.sessionId, sessionId);
  });

  await t.step("USER_CONNECTION_LIMIT unset: no limit per user", async () => {
    const jwt = await token({ sub: "user-many" });
    const probes = await Promise.all([1, 2, 3, 4].map(() => openWith(server, jwt)));
    for (const probe of probes) assert.equal((await probe.request("ping")).ok, true);
    for (const probe of probes) await probe[Symbol.asyncDispose]();
  });
});

Deno.test("a resume's token replaces the session's: the session lives past the old token's exp", async () => {
  // Reading: in required mode the resume "presents a valid token" for the session's user; from
  // then on that token is the session's, as after a refresh, so the old exp no longer ends it.
  await using server = await spawnServer(REQUIRED);
  const exp = nowS() + 3;
  const first = await openWith(server, await token({ sub: "user-resume-exp" }, { exp }));
  const { sessionId, resumeToken } = welcomeOf(first);
  first.socket.close(4000, "network changed");
  await first.closed;
  await using resumed = await Probe.open(wsUrl(server, {
    resume: resumeToken as string,
    token: await token({ sub: "user-resume-exp" }, { exp: nowS() + 120 }),
  }));
  assert.equal(welcomeOf(resumed).resumed, true);
  assert.equal(welcomeOf(resumed).sessionId, sessionId);
  const wait = exp * 1000 + 1500 - Date.now();
  const closed = await closedWithin(resumed, Math.max(wait, 0)).catch(() => undefined);
  assert.equal(closed, undefined, `closed at the old token's exp: ${JSON.stringify(closed)}`);
  assert.equal((await resumed.request("ping")).ok, true);
});

Deno.test("AUTH_MODE=required: a resume with an expired or forged token of the right user gets 401 and leaves the session resumable", async () => {
  await using server = await spawnServer(REQUIRED);
  const first = await openWith(server, await token({ sub: "user-stale" }));
  const { sessionId, resumeToken } = welcomeOf(first);
  first.socket.close(4000, "network changed");
  await first.closed;
  for (
    const [what, jwt] of [
      ["expired", await token({ sub: "user-stale" }, { exp: nowS() - 10 })],
      ["alg: none", unsignedToken({ sub: "user-stale", exp: nowS() + 60 })],
      ["another secret", await sign({ sub: "user-stale" }, "another-secret-0123456789abcdef0123")],
    ] as const
  ) {
    const answer = await upgradeWith(server, { resume: resumeToken as string, token: jwt });
    assert.equal(answer.status, 401, `${what}: ${answer.status} ${answer.body}`);
  }
  await using owner = await Probe.open(wsUrl(server, {
    resume: resumeToken as string,
    token: await token({ sub: "user-stale" }),
  }));
  assert.equal(welcomeOf(owner).resumed, true);
  assert.equal(welcomeOf(owner).sessionId, sessionId);
});

Deno.test("refresh checks a token as the upgrade does: aud, iss, the key and its algorithm", async () => {
  const rsa = await keyPair("RS256");
  const other = await keyPair("RS256");
  await using server = await spawnServer({
    AUTH_MODE: "required",
    AUTH_PUBLIC_KEY: rsa.pem,
    AUTH_AUDIENCE: "spec-hub",
    AUTH_ISSUER: "https://issuer.spec.test",
  });
  const good = { sub: "user-rf", aud: "spec-hub", iss: "https://issuer.spec.test" };
  const rs = (claims: Record<string, unknown>, key = rsa.privateKey) =>
    sign(claims, key, { alg: "RS256" });
  await using probe = await openWith(server, await rs(good));
  for (
    const [what, jwt] of [
      ["a wrong audience", await rs({ ...good, aud: "other-hub" })],
      ["no audience", await rs({ sub: good.sub, iss: good.iss })],
      ["a wrong issuer", await rs({ ...good, iss: "https://evil.spec.test" })],
      ["another RSA key", await rs(good, other.privateKey)],
      ["HS256 with the public key as secret", await sign(good, rsa.pem, { alg: "HS256" })],
      ["no exp", await sign(good, rsa.privateKey, { alg: "RS256", exp: null })],
    ] as const
  ) {
    const reply = await probe.request("refresh", { token: jwt });
    assert.equal(reply.ok, false, `${what}: ${JSON.stringify(reply)}`);
    assert.equal(reply.error?.code, "unauthorized", `${what}: ${JSON.stringify(reply)}`);
  }
  assert.equal((await probe.request("ping")).ok, true);
  const ok = await probe.request("refresh", { token: await rs(good) });
  assert.equal(ok.ok, true, JSON.stringify(ok));
});

Deno.test("AUTH_MODE=optional: an anonymous session cannot become a user by refresh", async () => {
  // Reading: "the new token must carry the same sub"; an anonymous session has none, so any
  // token is another user's: forbidden, and the session stays anonymous.
  await using server = await spawnServer({ AUTH_MODE: "optional", AUTH_SECRET: SECRET });
  await using anon = await openWith(server);
  const reply = await anon.request("refresh", {
    token: await token({ sub: "user-upgrade", admin: true }),
  });
  assert.equal(reply.ok, false, JSON.stringify(reply));
  assert.equal(reply.error?.code, "forbidden", JSON.stringify(reply));
  const join = await anon.request("join", { room: "private-admins" });
  assert.equal(join.error?.code, "forbidden", JSON.stringify(join));
});

Deno.test("a token that expires in weeks or years keeps its session (no early token_expiring, no 4001)", async () => {
  // The issue sets no upper bound on exp; timers longer than 2^31-1 ms (24.8 days) fire at once
  // in JavaScript unless the server splits them.
  await using server = await spawnServer(REQUIRED);
  for (const days of [20, 25, 40, 400]) {
    await using probe = await openWith(
      server,
      await token({ sub: `user-${days}d` }, { exp: nowS() + days * 86_400 }),
    );
    const closed = await closedWithin(probe, 1500).catch(() => undefined);
    assert.equal(closed, undefined, `${days} days: closed ${JSON.stringify(closed)}`);
    assert.equal(
      probe.frames.some((f) => f.type === "token_expiring"),
      false,
      `${days} days: ${probe.describe()}`,
    );
  }
});

Deno.test("a refresh to a token that expires sooner: the session closes with 4001 at the new exp", async () => {
  // Reading: after a refresh the new token is the session's, so its exp is the one that ends it,
  // whether later or sooner than the old one.
  await using server = await spawnServer(REQUIRED);
  await using probe = await openWith(server, await token({ sub: "user-shorter" }));
  const exp = nowS() + 3;
  const reply = await probe.request("refresh", {
    token: await token({ sub: "user-shorter" }, { exp }),
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const closed = await closedWithin(probe, exp * 1000 - Date.now() + 3000);
  assert.equal(closed.code, 4001, JSON.stringify(closed));
  assert.ok(closed.at >= exp * 1000 - 1000, `closed ${exp * 1000 - closed.at} ms before exp`);
  assert.ok(closed.at <= exp * 1000 + 1250, `closed ${closed.at - exp * 1000} ms after exp`);
});
