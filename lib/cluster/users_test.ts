/**
 * Users across a deployment, through the hub: the same steps and the same answers with the
 * in-memory cluster (one hub) and with Redis (two hubs, read from either node). Each session's
 * `userId` is in every member list and event that names it, `null` for an anonymous one, and
 * `Registry.userSessions`, the deployment-wide per-user index, lists a user's sessions.
 */

import assert from "node:assert/strict";
import { Redis, redisMissing } from "../../tests/redis_server.ts";
import { Hub, type Link, type Session } from "../hub/hub.ts";
import { ManualTimers } from "../hub/timers.ts";
import { silentLogger } from "../server/log.ts";
import { LocalCluster } from "./local.ts";
import { RedisCluster } from "./redis/mod.ts";
import type { UserSession } from "./seam.ts";
import type { HistoryReply, RoomReply } from "../protocol/mod.ts";
import type { ValidRequest } from "../protocol/validate.ts";
import { eventually } from "../../tests/helpers.ts";

const RESUME_TTL_MS = 60_000;

/** A session of `userId` on `hub`, once welcomed (counted on every node). */
async function open(hub: Hub, userId: string | null) {
  const welcomed = Promise.withResolvers<void>();
  const frames: { type: string; data: Record<string, unknown> }[] = [];
  const link: Link = {
    send: (frame) => {
      frames.push(JSON.parse(frame));
      if (frame.startsWith('{"type":"welcome"')) welcomed.resolve();
    },
    close() {},
  };
  const identity = userId === null
    ? undefined
    : { userId, rooms: [], admin: false, expiresAt: Date.now() + 3_600_000 };
  const session: Session = await hub.connect(link, undefined, identity);
  await welcomed.promise;
  /** The data of the events of `type` so far. */
  const events = (type: string) => frames.filter((f) => f.type === type).map((f) => f.data);
  return { session, link, events };
}

/** Runs a request the edge would have checked. */
function request(hub: Hub, session: Session, type: string, data: Record<string, unknown>) {
  return hub.handle(session.id, { type, id: 1, data } as ValidRequest);
}

/**
 * `ada` (a user, on the first hub) and `anon` (anonymous, on the second) meet in a room, chat,
 * read its history and exchange a DM: every place that names one of them carries its user id.
 */
async function userIdSteps(hubs: [Hub, Hub], settle: () => Promise<void>) {
  const [h0, h1] = hubs;
  const ada = await open(h0, "ada");
  const anon = await open(h1, null);
  assert.equal(ada.events("welcome")[0].userId, "ada");
  assert.equal(anon.events("welcome")[0].userId, null);
  await request(h1, anon.session, "join", { room: "ops" });
  const joined = await request(h0, ada.session, "join", { room: "ops" }) as RoomReply;
  assert.deepEqual(
    joined.members.map(({ sessionId, userId }) => ({ sessionId, userId })).sort(bySession),
    [{ sessionId: ada.session.id, userId: "ada" }, { sessionId: anon.session.id, userId: null }]
      .sort(bySession),
  );
  await request(h0, ada.session, "chat", { room: "ops", text: "hi" });
  await settle();
  await eventually(() => assert.equal(anon.events("chat").length, 1));
  const presence = anon.events("presence").filter((p) => p.room === "ops");
  assert.deepEqual(presence.map((p) => [p.sessionId, p.userId, p.action]), [
    [ada.session.id, "ada", "join"],
  ]);
  assert.equal(anon.events("chat")[0].userId, "ada");
  const history = await request(h1, anon.session, "history", { room: "ops" }) as HistoryReply;
  assert.deepEqual(history.messages.map((m) => [m.from, m.userId]), [[ada.session.id, "ada"]]);

  await request(h0, ada.session, "dm_request", { to: anon.session.id });
  await eventually(() => assert.equal(anon.events("dm_request").length, 1));
  assert.equal(anon.events("dm_request")[0].userId, "ada");
  await request(h1, anon.session, "dm_accept", { from: ada.session.id });
  await eventually(() => assert.equal(ada.events("dm_accepted").length, 1));
  await request(h1, anon.session, "dm", { to: ada.session.id, text: "hello" });
  await eventually(() => assert.equal(ada.events("dm").length, 1));
  assert.equal(ada.events("dm")[0].userId, null, "anonymous is null, never absent");
}

const bySession = (a: { sessionId: string }, b: { sessionId: string }) =>
  a.sessionId < b.sessionId ? -1 : 1;

/** What a test compares: the answer without the times, which it checks apart. */
const shape = (sessions: UserSession[]) =>
  sessions.map(({ sessionId, name, away }) => ({ sessionId, name, away }));

/**
 * The steps, on `hubs` (the first and second may be one hub): two sessions of one user on
 * different hubs, an anonymous one and another user's, then a rename, a drop, a resume window and
 * an end, each read from both hubs.
 */
async function userIndexSteps(hubs: [Hub, Hub], settle: () => Promise<void>) {
  const [h0, h1] = hubs;
  const first = await open(h0, "ada");
  const second = await open(h1, "ada");
  await open(h0, null);
  await open(h1, "bea");
  await settle();
  const both = [
    { sessionId: first.session.id, name: first.session.name, away: false },
    { sessionId: second.session.id, name: second.session.name, away: false },
  ];
  for (const hub of hubs) {
    const sessions = await hub.userSessions("ada");
    assert.deepEqual(shape(sessions), both, "oldest first, from either node");
    assert.equal(sessions[0].connectedAt, first.session.connectedAt);
    assert.equal((await hub.userSessions("bea")).length, 1);
    assert.deepEqual(await hub.userSessions("nobody"), []);
  }

  await request(h1, second.session, "set_name", { name: "Ada L" });
  h1.detach(second.session.id, second.link, false);
  await settle();
  for (const hub of hubs) {
    assert.deepEqual(shape(await hub.userSessions("ada")), [
      both[0],
      { sessionId: second.session.id, name: "Ada L", away: true },
    ]);
  }

  h0.disconnect(first.session.id);
  h1.disconnect(second.session.id);
  await settle();
  for (const hub of hubs) assert.deepEqual(await hub.userSessions("ada"), []);
}

type Steps = (hubs: [Hub, Hub], settle: () => Promise<void>) => Promise<void>;
const STEPS: [string, Steps][] = [
  ["user ids in members and events", userIdSteps],
  ["user sessions: listed by user, renamed, away, ended", userIndexSteps],
];

for (const [what, steps] of STEPS) {
  Deno.test(`${what}, in-memory cluster`, async () => {
    const hub = new Hub({
      heartbeatMs: 60_000,
      dmRequestTtlMs: 60_000,
      resumeTtlMs: RESUME_TTL_MS,
      timers: new ManualTimers(1_000_000),
      cluster: new LocalCluster(),
    });
    await hub.start();
    try {
      await steps([hub, hub], () => Promise.resolve());
    } finally {
      await hub.close();
    }
  });
  Deno.test({
    name: `${what}, Redis: the same from either of two nodes`,
    ignore: redisMissing,
    fn: () => redisSteps(steps),
  });
}

/** Runs `steps` on two hubs joined by a Redis of their own. */
async function redisSteps(steps: Steps) {
  await using redis = new Redis();
  await redis.start();
  const hubs = ["n0", "n1"].map((nodeId) =>
    new Hub({
      heartbeatMs: 60_000,
      dmRequestTtlMs: 60_000,
      resumeTtlMs: RESUME_TTL_MS,
      cluster: new RedisCluster({
        url: redis.url,
        nodeId,
        nodeTtlMs: 10_000,
        log: silentLogger,
        resumeTtlMs: RESUME_TTL_MS,
      }),
    })
  ) as [Hub, Hub];
  try {
    await Promise.all(hubs.map((hub) => hub.start()));
    // Writes that say nothing back (rename, away, close) are in Redis once a later read is.
    const settle = async () => {
      await Promise.all(hubs.map((hub) => hub.deploymentCount()));
    };
    await steps(hubs, settle);
  } finally {
    await Promise.all(hubs.map((hub) => hub.close()));
  }
}
