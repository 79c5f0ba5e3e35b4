/**
 * The checks of what other nodes send, without Redis: the frames a hub makes pass unchanged, and
 * each bad input named here is refused with an error that names the culprit. The same inputs over
 * a real Redis are in `input_test.ts`; this file covers what a `PUBLISH` test cannot see (states,
 * the hash of a secret from the version before, the log's pace).
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeEvent } from "../../hub/session.ts";
import { encodeChat } from "../memory_streams.ts";
import { hashSecret } from "../../hub/tokens.ts";
import type { SessionState } from "../seam.ts";
import type { Logger } from "../../server/log.ts";
import { MAX_FRAME_LENGTH, roomFrame, sessionState, signal } from "./validate.ts";
import { parseControl } from "./control.ts";
import { parseNodeMessage } from "./node_channel.ts";
import { DROP_LOG_INTERVAL_MS, Drops } from "./drops.ts";

/** Throws an error whose message (not its `Error: ` prefix) matches `message`. */
function refuses(check: () => unknown, message: RegExp): void {
  assert.throws(check, { message });
}

const ADA = "01JAAAAAAAAAAAAAAAAAAAAAAA";
const BEA = "01JBBBBBBBBBBBBBBBBBBBBBBB";
const MSG = "01JCCCCCCCCCCCCCCCCCCCCCCC";

const message = {
  room: "lobby",
  msgId: MSG,
  from: BEA,
  userId: null,
  name: "Bea",
  text: "hello",
  ts: 1_700_000_000_000,
  offset: 7,
  epoch: "AAAAAAAAAAAA",
};

Deno.test("the frames hubs publish pass: chat from the stream, presence and renames from a node", () => {
  const chat = roomFrame("lobby", "*", encodeChat(message));
  assert.equal(chat.type, "chat");
  assert.deepEqual(chat.data, message);
  const presence = encodeEvent("presence", {
    room: "lobby",
    sessionId: BEA,
    userId: null,
    name: "Bea",
    action: "away",
  });
  assert.equal(roomFrame("lobby", "node-1", presence).type, "presence");
  const renamed = encodeEvent("renamed", { sessionId: BEA, name: "Renée" });
  assert.equal(roomFrame("lobby", "node-1", renamed).type, "renamed");
  // Default names are nobody's choice, and still each session's own.
  const guest = encodeEvent("presence", {
    room: "lobby",
    sessionId: BEA,
    userId: null,
    name: "guest-bbbbbb",
    action: "join",
  });
  assert.equal(roomFrame("lobby", "node-1", guest).type, "presence");
});

Deno.test("the longest chat a client can send, every character escaped, is under the frame cap", () => {
  const text = "\u0001".repeat(4000);
  const frame = encodeChat({ ...message, text, name: "\u00e9".repeat(32) });
  assert.ok(JSON.stringify(text).length > 6 * 4000);
  assert.ok(frame.length <= MAX_FRAME_LENGTH, `${frame.length} > ${MAX_FRAME_LENGTH}`);
  assert.equal(roomFrame("lobby", "*", frame).type, "chat");
});

Deno.test("a server API message passes: from the server, with its data; the largest fits the cap", () => {
  const fromServer = { ...message, from: "server", name: "server" };
  assert.deepEqual(roomFrame("lobby", "*", encodeChat(fromServer)).data, fromServer);
  const withData = { ...fromServer, data: { invoice: 42, tags: ["a"] } };
  assert.deepEqual(roomFrame("lobby", "*", encodeChat(withData)).data, withData);
  const largest = {
    ...fromServer,
    text: "\u0001".repeat(4000),
    name: "\u00e9".repeat(32),
    data: { s: "x".repeat(8184) },
  };
  assert.equal(JSON.stringify(largest.data).length, 8192);
  const frame = encodeChat(largest);
  assert.ok(frame.length <= MAX_FRAME_LENGTH, `${frame.length} > ${MAX_FRAME_LENGTH}`);
  assert.equal(roomFrame("lobby", "*", frame).type, "chat");
  const refused = (chat: object, why: RegExp) =>
    refuses(() => roomFrame("lobby", "*", encodeChat(chat as typeof message)), why);
  refused({ ...withData, data: [1] }, /^Room frame chat\.data must be an object/);
  refused({ ...withData, data: { s: "x".repeat(8200) } }, /^Room frame chat\.data is longer/);
  refused({ ...fromServer, from: "Server" }, /^Room frame chat\.from must be a session id/);
});

Deno.test("bad room frames are refused, each error naming what is wrong", () => {
  const refused = (from: string, frame: string, why: RegExp) =>
    refuses(() => roomFrame("lobby", from, frame), why);
  refused("n2", "", /^Room frame is not an event frame/);
  refused("n2", "x".repeat(MAX_FRAME_LENGTH + 1), /^Room frame is \d+ characters, over/);
  refused("n 2", encodeChat(message), /^Room frame's node id line must be a node id/);
  refused("*", encodeChat({ ...message, room: "ops" }), /names room "ops", not lobby/);
  refused("*", encodeChat({ ...message, name: "Bea\u202E" }), /^Room frame chat\.name must not/);
  refused("*", encodeChat({ ...message, offset: -1 }), /^Room frame chat\.offset must be/);
  refused("n2", encodeChat(message), /^Room frame chat came from "n2"/);
  refused("n2", '{"type":"chat","data":{},"__proto__":{}}', /unknown field "__proto__"/);
  refused("n2", '{"type":"welcome","data":{}}', /^Room frame has an unexpected type "welcome"/);
});

Deno.test("bad signals are refused; a good one of each kind passes", () => {
  const good = [
    { kind: "dm_request", to: ADA, from: BEA, userId: null, name: "Bea" },
    { kind: "dm_accepted", to: ADA, from: BEA, name: "guest-bbbbbb" },
    { kind: "dm_declined", to: ADA, from: BEA },
    { kind: "dm", to: ADA, from: BEA, userId: null, name: "Bea", text: "", msgId: MSG, ts: 1 },
    { kind: "dm_end", to: ADA, from: BEA, reason: "disconnected" },
    { kind: "dm_away", to: ADA, from: BEA },
    { kind: "dm_back", to: ADA, from: BEA },
    { kind: "disconnect", to: ADA, code: 4003, reason: "Disconnected by the application" },
  ];
  for (const s of good) assert.deepEqual(signal(s), s);
  // The server API's disconnect: an application's close code and a reason a close frame can hold.
  const disconnect = { kind: "disconnect", to: ADA, code: 4003, reason: "" };
  refuses(() => signal({ ...disconnect, code: 1000 }), /^Signal disconnect\.code must be/);
  refuses(() => signal({ ...disconnect, code: 4003.5 }), /^Signal disconnect\.code must be/);
  refuses(() => signal({ ...disconnect, reason: "é".repeat(62) }), /reason must be/);
  refuses(() => signal({ ...disconnect, from: BEA }), /unknown field "from"/);
  refuses(() => signal({ kind: "disconnect", to: ADA, code: 4003 }), /needs reason/);
  refuses(() => signal({ kind: "dm_away", to: ADA, from: BEA, name: "x" }), /unknown field/);
  refuses(
    () => signal({ kind: "dm_accepted", to: ADA, from: BEA, name: "guest-aaaaaa" }),
    /^Signal dm_accepted\.name must not start with "guest-"/,
  );
  refuses(() => signal({ kind: "toString", to: ADA, from: BEA }), /unknown kind/);
  refuses(
    () =>
      parseNodeMessage(
        JSON.stringify({ kind: "dm_away", to: ADA, from: BEA, pad: "x".repeat(MAX_FRAME_LENGTH) }),
      ),
    /^Node message is \d+ characters/,
  );
});

Deno.test("control messages: every kind a node sends passes, with its fields checked", () => {
  const gone = { sessionId: BEA, userId: null, name: "Bea", rooms: ["lobby"], away: true };
  const controls = [
    {
      kind: "renamed",
      node: "n2",
      sessionId: BEA,
      name: "Bee",
      rooms: ["lobby", "ops"],
    },
    { kind: "gone", node: "n2", sessions: [gone] },
    { kind: "moved", node: "n2", sessions: [BEA] },
    { kind: "leaving", node: "n2" },
  ];
  for (const c of controls) assert.deepEqual(parseControl(JSON.stringify(c)), c);
  refuses(
    () =>
      parseControl(JSON.stringify({ kind: "gone", node: "n2", sessions: [{ ...gone, away: 1 }] })),
    /^Control gone\.sessions\[0\]\.away must be true or false/,
  );
  refuses(
    () => parseControl(JSON.stringify({ ...controls[0], rooms: Array(101).fill("r") })),
    /^Control renamed\.rooms has more than 100 items/,
  );
});

function state(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sessionId: ADA,
    userId: null,
    name: "Ada",
    connectedAt: 1,
    secretHash: hashSecret("s3cret"),
    rooms: ["lobby"],
    peers: [[BEA, "Bea"]],
    incoming: [],
    outgoing: [[MSG, 2]],
    frames: [
      encodeChat(message),
      encodeEvent("dm", { from: BEA, userId: null, name: "Bea", text: "hi", msgId: MSG, ts: 1 }),
      encodeEvent("dm_closed", { with: BEA, reason: "closed" }),
    ],
    lastOffsets: { lobby: { epoch: "AAAAAAAAAAAA", offset: 6 } },
    ...overrides,
  };
}

Deno.test("a state a node hands over or saves passes as it is", () => {
  const good = state({ awayUntil: 5, lost: true });
  assert.deepEqual(sessionState(good), good as unknown as SessionState);
  const connected = state();
  assert.deepEqual(sessionState(connected), connected as unknown as SessionState);
});

Deno.test("a state from the version before, with the secret itself, arrives with its hash only", () => {
  const old = state({ secret: "s3cret" });
  delete old.secretHash;
  const checked = sessionState(old);
  assert.equal(checked.secretHash, hashSecret("s3cret"));
  assert.ok(!("secret" in checked), "the secret goes no further");
  assert.equal(sessionState({ ...old, secret: "" }).secretHash, "");
});

Deno.test("bad states are refused: a frame to replay that no hub would send, a secret that is no hash", () => {
  const forged = encodeEvent("welcome", {
    sessionId: ADA,
    userId: null,
    name: "Ada",
    connectedAt: 1,
    serverTime: 1,
    heartbeatMs: 1,
    resumeToken: "",
    resumeTtlMs: 0,
    resumed: true,
    nameLocked: false,
  });
  refuses(
    () => sessionState(state({ frames: [forged] })),
    /^State\.frames\[0\] has an unexpected type "welcome"/,
  );
  refuses(
    () => sessionState(state({ secretHash: "s3cret" })),
    /^State\.secretHash must be a SHA-256/,
  );
  refuses(() => sessionState(state({ peers: [[BEA]] })), /^State\.peers\[0\] must be a pair/);
  refuses(
    () => sessionState(state({ lastOffsets: { "bad room": { epoch: "e", offset: 1 } } })),
    /^State\.lastOffsets key must be a room name/,
  );
  refuses(() => sessionState(state({ awayUntil: "soon" })), /^State\.awayUntil must be/);
});

Deno.test("drops are counted each, and logged at most once a second with the count since the last line", () => {
  let now = 10_000;
  const lines: Record<string, unknown>[] = [];
  const log = { warn: (_: string, fields: Record<string, unknown>) => lines.push(fields) };
  const counts = { unsent: 0, malformed: 0 };
  const drops = new Drops(counts, log as unknown as Logger, () => now);
  for (let i = 0; i < 100; i++) drops.drop("room frame", "hub:room:lobby", new Error(`Bad ${i}`));
  assert.equal(counts.malformed, 100);
  assert.deepEqual(lines, [{
    channel: "hub:room:lobby",
    what: "room frame",
    error: "Bad 0",
    dropped: 1,
  }]);
  now += DROP_LOG_INTERVAL_MS - 1;
  drops.drop("signal", "hub:node:n1", new Error("Still within the second"));
  assert.equal(lines.length, 1);
  now += 1;
  drops.drop("control", "hub:ctl", new Error("A second later"));
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1], {
    channel: "hub:ctl",
    what: "control",
    error: "A second later",
    dropped: 101,
  });
  assert.equal(counts.malformed, 102);
});
