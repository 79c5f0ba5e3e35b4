/**
 * Sessions with a token's identity, in the hub alone (the edge checked the token): the token's
 * name and the `set_name` it forbids, private rooms and their history, `refresh`, the warning
 * 30 s before `exp` and the 4001 close at `exp`, on hand-driven timers, and resume by another user.
 */

import assert from "node:assert/strict";
import { Hub, HubError, type Identity, type Link, type Session } from "./hub.ts";
import { ManualTimers } from "./timers.ts";
import { CLOSE_CODES } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { EXPIRY_WARNING_MS } from "./expiry.ts";

const START = 1_000_000;

function setup() {
  const timers = new ManualTimers(START);
  const hub = new Hub({ heartbeatMs: 60_000, dmRequestTtlMs: 60_000, timers, resumeTtlMs: 60_000 });
  /** A connection: its frames as parsed, and the close the hub asked for. */
  const link = () => {
    const frames: { type: string; data: Record<string, unknown> }[] = [];
    const state: { closed?: number } = {};
    return {
      frames,
      get closed() {
        return state.closed;
      },
      link: {
        send: (text: string) => frames.push(JSON.parse(text)),
        close: (code: number) => state.closed = code,
      } satisfies Link,
      of: (type: string) => frames.filter((f) => f.type === type).map((f) => f.data),
    };
  };
  const connect = (identity?: Identity) => {
    const conn = link();
    const session = hub.connect(conn.link, undefined, identity);
    timers.advance(0);
    return Object.assign(conn, { session });
  };
  const call = (s: Session, type: string, data: Record<string, unknown> = {}) =>
    Promise.resolve().then(() => hub.handle(s.id, { type, id: 1, data } as ValidRequest));
  const refusal = async (s: Session, type: string, data: Record<string, unknown>) => {
    try {
      await call(s, type, data);
    } catch (err) {
      assert.ok(err instanceof HubError, String(err));
      return err.code;
    }
    assert.fail(`${type} ${JSON.stringify(data)} should have been refused`);
  };
  return { hub, timers, link, connect, call, refusal };
}

const user = (userId: string, more: Partial<Identity> = {}): Identity => ({
  userId,
  rooms: [],
  admin: false,
  expiresAt: START + 3_600_000,
  ...more,
});

Deno.test("welcome says whether the name is the token's (nameLocked)", () => {
  const { connect } = setup();
  assert.equal(connect(user("ada", { name: "Ada" })).of("welcome")[0].nameLocked, true);
  assert.equal(connect(user("bea")).of("welcome")[0].nameLocked, false);
  assert.equal(connect().of("welcome")[0].nameLocked, false);
});

Deno.test("a token's name is the session's, and set_name is forbidden; without one it is not", async () => {
  const { connect, call, refusal } = setup();
  const ada = connect(user("ada", { name: "Ada Lovelace" }));
  assert.deepEqual(
    [ada.of("welcome")[0].userId, ada.of("welcome")[0].name],
    ["ada", "Ada Lovelace"],
  );
  assert.equal(await refusal(ada.session, "set_name", { name: "Someone Else" }), "forbidden");
  assert.equal(ada.session.name, "Ada Lovelace");
  const bea = connect(user("bea"));
  assert.match(bea.session.name, /^guest-/, "no name claim: the default name");
  assert.deepEqual(await call(bea.session, "set_name", { name: "Bea" }), { name: "Bea" });
});

Deno.test("private rooms: joined and read only with a matching rooms claim or admin", async () => {
  const { connect, call, refusal } = setup();
  const member = connect(user("m", { rooms: ["private-ops", "private-team-*"] }));
  const admin = connect(user("root", { admin: true }));
  const plain = connect(user("p"));
  const anon = connect();
  for (const room of ["private-ops", "private-team-a", "private-team-"]) {
    await call(member.session, "join", { room });
  }
  assert.equal(await refusal(member.session, "join", { room: "private-opsx" }), "forbidden");
  assert.equal(await refusal(member.session, "join", { room: "private-hr" }), "forbidden");
  await call(admin.session, "join", { room: "private-hr" });
  for (const s of [plain.session, anon.session]) {
    assert.equal(await refusal(s, "join", { room: "private-ops" }), "forbidden");
    assert.equal(await refusal(s, "history", { room: "private-ops" }), "forbidden");
    assert.ok(!s.rooms.has("private-ops"));
  }
  // Public rooms are as before, for everyone.
  await call(anon.session, "join", { room: "ops" });
  await call(member.session, "chat", { room: "private-ops", text: "for us" });
  const page = await call(member.session, "history", { room: "private-ops" }) as {
    messages: { text: string; userId: string }[];
  };
  assert.deepEqual(page.messages.map((m) => [m.text, m.userId]), [["for us", "m"]]);
});

Deno.test("refresh: same user only; the session then lives until the new exp", () => {
  const { hub, timers, connect } = setup();
  const ada = connect(user("ada", { expiresAt: START + 60_000 }));
  assert.throws(
    () => hub.refresh(ada.session.id, user("bea", { expiresAt: START + 600_000 })),
    (err) => err instanceof HubError && err.code === "forbidden",
  );
  const anon = connect();
  assert.throws(
    () => hub.refresh(anon.session.id, user("ada")),
    (err) => err instanceof HubError && err.code === "forbidden",
    "an anonymous session cannot become a user's",
  );
  timers.advance(60_000 - EXPIRY_WARNING_MS);
  assert.deepEqual(ada.of("token_expiring"), [{ expiresAt: START + 60_000 }]);
  // The same expiry again is taken, and warns no second time.
  hub.refresh(ada.session.id, user("ada", { expiresAt: START + 60_000 }));
  timers.advance(0);
  assert.equal(ada.of("token_expiring").length, 1);
  // A refused refresh leaves the old token's clock running; a good one starts the new one's.
  assert.deepEqual(hub.refresh(ada.session.id, user("ada", { expiresAt: START + 600_000 })), {
    expiresAt: START + 600_000,
  });
  timers.advance(EXPIRY_WARNING_MS + 1000);
  assert.equal(ada.closed, undefined, "refreshed: not closed at the old exp");
  assert.ok(hub.session(ada.session.id));
  timers.advance(600_000 - 61_000 - EXPIRY_WARNING_MS);
  assert.equal(ada.of("token_expiring").length, 2);
  assert.equal(ada.of("token_expiring")[1].expiresAt, START + 600_000);
});

Deno.test("refresh to a token that expires sooner: the new exp rules (bad input: a shorter token)", () => {
  const { hub, timers, connect } = setup();
  const ada = connect(user("ada", { expiresAt: START + 600_000 }));
  assert.deepEqual(hub.refresh(ada.session.id, user("ada", { expiresAt: START + 40_000 })), {
    expiresAt: START + 40_000,
  });
  timers.advance(40_000 - EXPIRY_WARNING_MS);
  assert.deepEqual(ada.of("token_expiring"), [{ expiresAt: START + 40_000 }]);
  timers.advance(EXPIRY_WARNING_MS);
  assert.equal(ada.closed, CLOSE_CODES.tokenExpired, "closed at the exp it was last given");
});

Deno.test("a token that expires beyond a timer's range (2^31 ms, 24.8 days) is warned and closed on time, not at once", () => {
  const { timers, connect } = setup();
  const DAY = 86_400_000;
  const ada = connect(user("ada", { expiresAt: START + 400 * DAY }));
  timers.advance(30 * DAY);
  assert.deepEqual(ada.of("token_expiring"), [], "no warning 370 days early");
  assert.equal(ada.closed, undefined);
  timers.advance(370 * DAY - EXPIRY_WARNING_MS - 1);
  assert.deepEqual(ada.of("token_expiring"), []);
  timers.advance(1);
  assert.deepEqual(ada.of("token_expiring"), [{ expiresAt: START + 400 * DAY }]);
  timers.advance(EXPIRY_WARNING_MS);
  assert.equal(ada.closed, CLOSE_CODES.tokenExpired);
});

Deno.test("expiry: token_expiring 30 s before exp, then 4001 at exp and the session ends", async () => {
  const { hub, timers, connect, call } = setup();
  const ada = connect(user("ada", { expiresAt: START + 45_000 }));
  const bob = connect();
  await call(bob.session, "join", { room: "lobby" });
  timers.advance(15_000 - 1);
  assert.deepEqual(ada.of("token_expiring"), []);
  timers.advance(1);
  assert.deepEqual(ada.of("token_expiring"), [{ expiresAt: START + 45_000 }]);
  timers.advance(EXPIRY_WARNING_MS - 1);
  assert.equal(ada.closed, undefined);
  timers.advance(1);
  assert.equal(ada.closed, CLOSE_CODES.tokenExpired);
  assert.equal(hub.session(ada.session.id), undefined, "ended, not away: no resume");
  assert.deepEqual(await hub.userSessions("ada"), []);
  assert.ok(
    bob.of("presence").some((p) => p.sessionId === ada.session.id && p.action === "leave"),
  );
  // A token with less than 30 s left is warned at once.
  const short = connect(user("c", { expiresAt: START + 45_000 + 10_000 }));
  assert.equal(short.of("token_expiring").length, 1);
});

Deno.test("resume: a token of the session's user resumes it with the new claims; another user's does not", () => {
  const { hub, timers, connect, link } = setup();
  const ada = connect(user("ada", { expiresAt: START + 60_000 }));
  const resumeToken = ada.of("welcome")[0].resumeToken as string;
  hub.detach(ada.session.id, ada.link, false);

  const mallory = link();
  const other = hub.connect(mallory.link, resumeToken, user("mallory")) as Session;
  timers.advance(0);
  assert.notEqual(other.id, ada.session.id, "another user: a new session of its own");
  assert.equal(mallory.of("welcome")[0].resumed, false);
  assert.equal(mallory.of("welcome")[0].userId, "mallory");

  const again = link();
  const resumed = hub.connect(again.link, resumeToken, user("ada", { expiresAt: START + 900_000 }));
  timers.advance(0);
  assert.equal((resumed as Session).id, ada.session.id);
  assert.equal(again.of("welcome")[0].resumed, true);
  assert.equal(again.of("welcome")[0].userId, "ada");
  timers.advance(60_000);
  assert.equal(again.closed, undefined, "the resume's token replaced the old one");
});
