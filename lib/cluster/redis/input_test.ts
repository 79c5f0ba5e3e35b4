/**
 * Bad input on the pub/sub channels, over a real Redis: a raw `PUBLISH` of each bad message on a
 * room channel, a node channel or the control channel reaches no client and is counted in the
 * broker's dropped messages (what `/metrics` exports), with at most one log line a second, while a
 * good message published behind them still goes through. The node runs in-process, built as the
 * server builds it; each test's good message, published last on the same channel, is the barrier
 * that says every bad one before it was handled.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import { eventually } from "../../../tests/helpers.ts";
import { DEFAULTS } from "../../server/config.ts";
import type { Logger } from "../../server/log.ts";
import { createServices } from "../../server/services.ts";
import { RedisCluster } from "./mod.ts";
import { CONTROL, historyKey, nodeChannel, roomChannel } from "./keys.ts";
import type { ValidRequest } from "../../protocol/validate.ts";

/** A session on another node, and a message id. */
const BEA = "01JBBBBBBBBBBBBBBBBBBBBBBB";
const MSG = "01JCCCCCCCCCCCCCCCCCCCCCCC";

interface Frame {
  type: string;
  data: Record<string, unknown>;
}

/**
 * Node `n1` on a fresh Redis with one client, Ada, in the lobby; `publish` sends raw messages as
 * an outsider would, `events` are what reached Ada after her welcome, and `warnings` what the node
 * logged about dropped messages.
 */
async function setup() {
  const redis = new Redis();
  await redis.start();
  const warnings: Record<string, unknown>[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (message, fields) => {
      if (message === "dropped a malformed cluster message") warnings.push(fields ?? {});
    },
    error() {},
  };
  const node = await createServices(
    { ...DEFAULTS, redisUrl: redis.url, nodeId: "n1", nodeTtlMs: 10_000, chatRate: 0 },
    log,
  );
  await node.hub.start();
  const frames: Frame[] = [];
  const ada = await node.hub.connect((text) => {
    const frame = JSON.parse(text);
    // The hub's own timing, not anything another node sent.
    if (frame.type !== "heartbeat") frames.push(frame);
  });
  await eventually(() => assert.ok(frames.some((f) => f.type === "welcome"), "no welcome yet"));
  frames.length = 0;
  const admin = createClient({ url: redis.url });
  await admin.connect();
  const cluster = node.hub.cluster;
  assert.ok(cluster instanceof RedisCluster);
  return {
    ada: ada.id,
    admin,
    /** Ada's request, answered. */
    call: (type: string, data: Record<string, unknown>) =>
      node.hub.handle(ada.id, { type, id: 1, data } as ValidRequest),
    events: frames,
    warnings,
    dropped: () => cluster.broker.dropped.malformed,
    async publish(channel: string, messages: string[]) {
      for (const message of messages) await admin.publish(channel, message);
    },
    async [Symbol.asyncDispose]() {
      await admin.close();
      await node.close();
      await redis.stop();
    },
  };
}

/** The presence frame a node publishes for Bea joining the lobby, with `data` changed. */
function presence(data: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: "presence",
    data: { room: "lobby", sessionId: BEA, userId: null, name: "Bea", action: "join", ...data },
  });
}

/** The chat frame the lobby's stream publishes for a message of Bea's, with `data` changed. */
function chat(data: Record<string, unknown> = {}): string {
  const message = {
    room: "lobby",
    msgId: MSG,
    from: BEA,
    userId: null,
    name: "Bea",
    text: "hello",
    ts: 1_700_000_000_000,
    offset: 1,
    epoch: "AAAAAAAAAAAA",
    ...data,
  };
  return `{"type":"chat","data":${JSON.stringify(message)}}`;
}

/** Drops the one `key` of a frame's data. */
function without(frame: string, key: string): string {
  const parsed = JSON.parse(frame);
  delete parsed.data[key];
  return JSON.stringify(parsed);
}

/** Each test's bad messages, by what is wrong with them. */
const BAD_ROOM_FRAMES: Record<string, string> = {
  "text that is not JSON": "n2\nnot json {",
  "an empty frame": "n2\n",
  "a 1 MB frame": `n2\n${presence({ name: "x".repeat(1 << 20) })}`,
  "no node id line": presence(),
  "a node id line that is no node id": `no such node!\n${presence()}`,
  "JSON that is not an object": "n2\n[1,2,3]",
  "JSON that is not an event frame": 'n2\n{"data":{},"type":"presence"}',
  "an event type no node publishes (a forged welcome)":
    `n2\n{"type":"welcome","data":{"sessionId":"${BEA}","name":"Bea"}}`,
  "a field too many": `n2\n${presence({ html: "<script>" })}`,
  "no data": 'n2\n{"type":"presence"}',
  "presence with an unknown action": `n2\n${presence({ action: "explode" })}`,
  "presence for another room than the channel's": `n2\n${presence({ room: "ops" })}`,
  "presence with a name that hides a bidi override": `n2\n${presence({ name: "Bea\u202Eexe" })}`,
  "presence with a name over 32 characters": `n2\n${presence({ name: "B".repeat(33) })}`,
  "presence with a session id that is no ULID": `n2\n${presence({ sessionId: "bea" })}`,
  "chat from one node rather than from the stream": `n2\n${chat()}`,
  "presence from the stream": `*\n${presence()}`,
  "chat for another room than the channel's": `*\n${chat({ room: "ops" })}`,
  "chat text over the limit": `*\n${chat({ text: "x".repeat(4001) })}`,
  "chat text that is no string": `*\n${chat({ text: { html: "<b>" } })}`,
  "chat offset that is no number": `*\n${chat({ offset: "7" })}`,
  "chat with no epoch": `*\n${without(chat(), "epoch")}`,
  "chat with another session's default name": `*\n${chat({ name: "guest-zzzzzz" })}`,
  "chat with a name that is not trimmed": `*\n${chat({ name: " Bea" })}`,
  "chat with no userId": `*\n${without(chat(), "userId")}`,
  "chat with a userId that is a number": `*\n${chat({ userId: 7 })}`,
  "presence with a userId over 64 characters": `n2\n${presence({ userId: "u".repeat(65) })}`,
  "presence with a userId holding a line break": `n2\n${presence({ userId: "u1\nu2" })}`,
};

Deno.test({
  name:
    "bad input on a room channel: no raw PUBLISH of a bad frame reaches a client, each is counted, a good frame still goes through",
  ignore: redisMissing,
  async fn() {
    await using t = await setup();
    const started = Date.now();
    await t.publish(roomChannel("lobby"), Object.values(BAD_ROOM_FRAMES));
    await t.publish(roomChannel("lobby"), [`n2\n${presence()}`, `*\n${chat()}`]);
    await eventually(() => assert.ok(t.events.some((f) => f.type === "chat"), "no chat yet"));
    const elapsed = Date.now() - started;

    assert.deepEqual(t.events, [JSON.parse(presence()), JSON.parse(chat())]);
    assert.equal(t.dropped(), Object.keys(BAD_ROOM_FRAMES).length);
    assertLoggedOnceASecond(t.warnings, elapsed, Object.keys(BAD_ROOM_FRAMES).length);
  },
});

/** A signal for Ada from Bea, with fields changed. */
function signal(ada: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: "dm_request",
    to: ada,
    from: BEA,
    userId: null,
    name: "Bea",
    ...fields,
  });
}

function badSignals(ada: string): Record<string, string> {
  return {
    "text that is not JSON": "not json {",
    "an empty message": "",
    "null": "null",
    "an unknown kind": signal(ada, { kind: "dm_explode" }),
    "a from that is no session id": signal(ada, { from: "bea" }),
    "a to that is no session id": signal(ada, { to: 42 }),
    "a name with a line break": signal(ada, { name: "Bea\nSYSTEM: you are banned" }),
    "an empty userId": signal(ada, { userId: "" }),
    "a userId with a bidi override": signal(ada, { userId: "u\u202Eexe" }),
    "another session's default name": signal(ada, { name: "guest-abcdef" }),
    "a name over 32 characters": signal(ada, { name: "B".repeat(33) }),
    "a field too many": signal(ada, { html: "<script>" }),
    "a signal over the size cap": signal(ada, { name: "B".repeat(1 << 20) }),
    "a DM text over the limit": signal(ada, {
      kind: "dm",
      text: "x".repeat(4001),
      msgId: MSG,
      ts: 1,
    }),
    "a DM end for no reason it knows": signal(ada, { kind: "dm_end", reason: "boom" }),
    "a claim for a session id that is no ULID": JSON.stringify({
      op: "claim",
      req: 1,
      from: "n2",
      sessionId: "ada",
      secret: "s",
    }),
    "a claim answered to a node id that is no node id": JSON.stringify({
      op: "claim",
      req: 1,
      from: "n2/../n3",
      sessionId: ada,
      secret: "s",
    }),
    "a claim answer to no claim of this node (a forged session)": JSON.stringify({
      op: "claimed",
      req: 99,
      state: {
        sessionId: BEA,
        name: "Bea",
        connectedAt: 1,
        secretHash: "",
        rooms: ["lobby"],
        peers: [],
        incoming: [],
        outgoing: [],
        frames: [],
        lastOffsets: {},
      },
    }),
    "an unknown op": JSON.stringify({ op: "explode" }),
  };
}

Deno.test({
  name:
    "bad input on a node channel: no raw PUBLISH of a bad signal or claim reaches a client, each is counted, a good signal still goes through",
  ignore: redisMissing,
  async fn() {
    await using t = await setup();
    const bad = badSignals(t.ada);
    const started = Date.now();
    await t.publish(nodeChannel("n1"), Object.values(bad));
    await t.publish(nodeChannel("n1"), [signal(t.ada)]);
    await eventually(() => assert.ok(t.events.length > 0, "no signal yet"));
    const elapsed = Date.now() - started;

    assert.deepEqual(t.events, [{
      type: "dm_request",
      data: { from: BEA, userId: null, name: "Bea" },
    }]);
    assert.equal(t.dropped(), Object.keys(bad).length);
    assertLoggedOnceASecond(t.warnings, elapsed, Object.keys(bad).length);
  },
});

/** A rename of Bea's in the lobby, as her node publishes it, with fields changed. */
function renamed(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: "renamed",
    node: "n2",
    sessionId: BEA,
    name: "Bee",
    rooms: ["lobby"],
    ...fields,
  });
}

const BAD_CONTROLS: Record<string, string> = {
  "text that is not JSON": "not json {",
  "an unknown kind": renamed({ kind: "explode" }),
  "renamed with a name that hides a bidi override": renamed({ name: "Bee\u202Eexe" }),
  "renamed to another session's default name": renamed({ name: "guest-abcdef" }),
  "renamed with a room that is no room name": renamed({ rooms: ["lobby", "../etc"] }),
  "renamed with rooms that are no list": renamed({ rooms: "lobby" }),
  "renamed without rooms": renamed({ rooms: undefined }),
  "renamed from a node id that is no node id": renamed({ node: "n 2" }),
  "renamed with a field too many": renamed({ html: "<script>" }),
  "gone with a session whose name is over 32 characters": JSON.stringify({
    kind: "gone",
    node: "n2",
    sessions: [{ sessionId: BEA, name: "B".repeat(33), rooms: ["lobby"] }],
  }),
  "gone with sessions that are no list": JSON.stringify({ kind: "gone", node: "n2", sessions: 1 }),
  "moved with a session id that is no ULID": JSON.stringify({
    kind: "moved",
    node: "n2",
    sessions: ["bea"],
  }),
  "leaving with no node": JSON.stringify({ kind: "leaving" }),
};

Deno.test({
  name:
    "bad input on the control channel: no raw PUBLISH of a bad control message reaches a client, each is counted, a good one still goes through",
  ignore: redisMissing,
  async fn() {
    await using t = await setup();
    const started = Date.now();
    await t.publish(CONTROL, Object.values(BAD_CONTROLS));
    await t.publish(CONTROL, [renamed()]);
    await eventually(() => assert.ok(t.events.length > 0, "no rename yet"));
    const elapsed = Date.now() - started;

    assert.deepEqual(t.events, [{ type: "renamed", data: { sessionId: BEA, name: "Bee" } }]);
    assert.equal(t.dropped(), Object.keys(BAD_CONTROLS).length);
    assertLoggedOnceASecond(t.warnings, elapsed, Object.keys(BAD_CONTROLS).length);
  },
});

const BAD_HISTORY: Record<string, string> = {
  "text that is not JSON": "not json {",
  "a message with no msgId": JSON.stringify({ ...JSON.parse(chat()).data, msgId: undefined }),
  "a message of another room": JSON.stringify({ ...JSON.parse(chat()).data, room: "ops" }),
  "a message whose name hides a bidi override": JSON.stringify({
    ...JSON.parse(chat()).data,
    name: "Bea\u202Eexe",
  }),
};

Deno.test({
  name:
    "bad input in a room's history: no stored message that is not a chat of the room reaches a client, each is counted, the others are served",
  ignore: redisMissing,
  async fn() {
    await using t = await setup();
    await t.call("chat", { room: "lobby", text: "first" });
    await t.admin.lPush(historyKey("lobby"), Object.values(BAD_HISTORY));
    await t.call("chat", { room: "lobby", text: "second" });
    const page = await t.call("history", { room: "lobby" }) as { messages: { text: string }[] };
    assert.deepEqual(page.messages.map((m) => m.text), ["first", "second"]);
    assert.equal(t.dropped(), Object.keys(BAD_HISTORY).length);
    assert.ok(t.warnings.length >= 1);
  },
});

/**
 * At most one line per second of the burst (and one more for where it started), the first one at
 * once, each naming its culprit, and no more messages counted in the lines than were dropped.
 */
function assertLoggedOnceASecond(
  lines: Record<string, unknown>[],
  elapsedMs: number,
  dropped: number,
): void {
  assert.ok(lines.length >= 1, "the first drop is logged at once");
  assert.ok(lines.length <= Math.ceil(elapsedMs / 1000) + 1, `${lines.length} lines`);
  for (const line of lines) assert.match(String(line.error), /^[A-Z]/);
  const counted = lines.reduce((sum, line) => sum + Number(line.dropped), 0);
  assert.ok(counted <= dropped);
}
