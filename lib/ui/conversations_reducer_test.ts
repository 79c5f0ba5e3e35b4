import assert from "node:assert/strict";
import {
  type Conversation,
  type ConversationChange,
  type ConversationsState,
  type DmStatus,
  FINISHED,
  initialConversations,
  LIVE,
  reduceConversations,
} from "./conversations_reducer.ts";

const ADA = "01ADA";
const BOB = "01BOB";
const CY = "01CY";

/** Applies `changes` in order, one ms apart, from `state` (none by default). */
function run(
  changes: ConversationChange[],
  state: ConversationsState = initialConversations(),
): ConversationsState {
  let at = 1000;
  for (const change of changes) {
    state = reduceConversations(state, { ...change, at: at++ });
  }
  return state;
}

function get(state: ConversationsState, peer: string): Conversation {
  const c = state.conversations.find((x) => x.peer === peer);
  assert.ok(c, `no conversation with ${peer}`);
  return c;
}

const texts = (c: Conversation) => c.items.map((i) => i.text);
const status = (state: ConversationsState, peer: string) => get(state, peer).status;

// A few starting points.
const requestFromBob: ConversationChange = { type: "request_received", peer: BOB, name: "Bob" };
const requestToBob: ConversationChange = {
  type: "request_sent",
  peer: BOB,
  name: "Bob",
  accepted: false,
};
const bobAccepted: ConversationChange = { type: "accepted", peer: BOB, name: "Bob" };
const openWithBob = () => run([requestToBob, bobAccepted]);
const fromBob = (msgId: string, text = msgId): ConversationChange => ({
  type: "message_received",
  peer: BOB,
  name: "Bob",
  msgId,
  text,
  ts: 5,
});
const toBob = (msgId: string, text = msgId): ConversationChange => ({
  type: "message_sent",
  peer: BOB,
  msgId,
  from: ADA,
  name: "Ada",
  text,
  ts: 6,
});

Deno.test("conversations: live and finished statuses cover every status once", () => {
  const all: DmStatus[] = [
    "outgoing",
    "incoming",
    "open",
    "declined",
    "refused",
    "expired",
    "closed",
    "gone",
    "ended",
  ];
  for (const s of all) assert.equal(LIVE.has(s) !== FINISHED.has(s), true, s);
});

// ---- requests ----------------------------------------------------------------------------------

Deno.test("conversations: a request received waits for an answer and is shown at once", () => {
  const s = run([requestFromBob]);
  const c = get(s, BOB);
  assert.equal(c.status, "incoming");
  assert.equal(c.name, "Bob");
  assert.equal(c.closedByMe, false);
  assert.deepEqual(texts(c), ["Bob wants to start a conversation."]);
  assert.equal(s.active, BOB);
  assert.equal(c.unread, 0);
});

Deno.test("conversations: a request while another conversation is shown counts as unread", () => {
  const s = run([requestToBob, { type: "request_received", peer: CY, name: "Cy" }]);
  assert.equal(s.active, BOB);
  assert.equal(get(s, CY).unread, 1);
  assert.deepEqual(s.conversations.map((c) => c.peer), [CY, BOB], "newest first");
});

Deno.test("conversations: a duplicate request changes nothing but the name", () => {
  const once = run([requestToBob, { type: "request_received", peer: CY, name: "Cy" }]);
  const twice = run([{ type: "request_received", peer: CY, name: "Cy" }], once);
  assert.equal(twice, once);
  const renamed = run([{ type: "request_received", peer: CY, name: "Cyrus" }], once);
  assert.equal(get(renamed, CY).name, "Cyrus");
  assert.deepEqual(texts(get(renamed, CY)), ["Cy wants to start a conversation."]);
  assert.equal(get(renamed, CY).unread, 1);
});

Deno.test("conversations: a request sent waits, and shows its conversation", () => {
  const s = run([requestFromBob, { type: "request_sent", peer: CY, name: "Cy", accepted: false }]);
  const c = get(s, CY);
  assert.equal(c.status, "outgoing");
  assert.equal(c.name, "Cy");
  assert.deepEqual(texts(c), ["Request sent to Cy. Waiting for an answer…"]);
  assert.equal(s.active, CY);
  assert.equal(c.unread, 0, "our own action is never unread");
});

Deno.test("conversations: a request sent to someone who asked us opens at once", () => {
  const s = run([requestFromBob, { ...requestToBob, name: "ignored", accepted: true }]);
  const c = get(s, BOB);
  assert.equal(c.status, "open");
  assert.equal(c.name, "Bob", "a known conversation keeps its name");
  assert.equal(texts(c).at(-1), "You and Bob are connected.");
});

Deno.test("conversations: sending the same request again says nothing new", () => {
  const once = run([requestToBob]);
  const twice = run([requestToBob], once);
  assert.equal(twice, once);
  // Another conversation was shown: the repeat shows this one again, still without a notice.
  const elsewhere = run([{ type: "request_received", peer: CY, name: "Cy" }, {
    type: "shown",
    peer: CY,
  }], once);
  const back = run([requestToBob], elsewhere);
  assert.equal(back.active, BOB);
  assert.deepEqual(back.conversations, elsewhere.conversations);
});

Deno.test("conversations: a 'pending' reply after the peer's accept leaves it open", () => {
  // Crossing requests between nodes: the accept can arrive before our own request's reply.
  const s = run([bobAccepted, requestToBob]);
  assert.equal(status(s, BOB), "open");
  assert.deepEqual(texts(get(s, BOB)), ["Bob accepted. You can talk now."]);
  assert.equal(s.active, BOB);
  const accepted = run([bobAccepted, { ...requestToBob, accepted: true }]);
  assert.deepEqual(texts(get(accepted, BOB)), ["Bob accepted. You can talk now."]);
});

// ---- answers -----------------------------------------------------------------------------------

Deno.test("conversations: the peer accepts our request", () => {
  const s = openWithBob();
  const c = get(s, BOB);
  assert.equal(c.status, "open");
  assert.equal(texts(c).at(-1), "Bob accepted. You can talk now.");
  assert.equal(c.unread, 0, "shown");
  const hidden = run([requestToBob, { type: "shown", peer: null }, bobAccepted]);
  assert.equal(get(hidden, BOB).unread, 1);
});

Deno.test("conversations: a repeated accept changes nothing but the name", () => {
  const s = openWithBob();
  assert.equal(run([bobAccepted], s), s);
  const renamed = run([{ ...bobAccepted, name: "Robert" }], s);
  assert.equal(get(renamed, BOB).name, "Robert");
  assert.equal(get(renamed, BOB).items.length, get(s, BOB).items.length);
});

Deno.test("conversations: an accept from an unknown peer opens a conversation", () => {
  const s = run([requestFromBob, { type: "accepted", peer: CY, name: "Cy" }]);
  const c = get(s, CY);
  assert.equal(c.status, "open");
  assert.deepEqual(texts(c), ["Cy accepted. You can talk now."]);
  assert.equal(c.unread, 1);
  assert.equal(s.conversations[0].peer, CY);
});

Deno.test("conversations: an accept after a decline opens it: the hub says what is live", () => {
  const s = run([requestToBob, { type: "declined", peer: BOB, reason: "declined" }, bobAccepted]);
  assert.equal(status(s, BOB), "open");
  assert.deepEqual(texts(get(s, BOB)).slice(1), [
    "Bob declined your request.",
    "Bob accepted. You can talk now.",
  ]);
});

Deno.test("conversations: we accept a request", () => {
  const s = run([requestFromBob, { type: "accept_sent", peer: BOB, name: "Bobby" }]);
  const c = get(s, BOB);
  assert.equal(c.status, "open");
  assert.equal(c.name, "Bobby", "the reply's name wins");
  assert.equal(texts(c).at(-1), "You accepted. Say hello to Bobby!");
  assert.equal(run([{ type: "accept_sent", peer: BOB, name: "Bobby" }], s), s, "repeat");
});

Deno.test("conversations: the peer declines, or our request expires", () => {
  const declined = run([requestToBob, { type: "declined", peer: BOB, reason: "declined" }]);
  assert.equal(status(declined, BOB), "declined");
  assert.equal(texts(get(declined, BOB)).at(-1), "Bob declined your request.");

  const expired = run([requestToBob, { type: "declined", peer: BOB, reason: "expired" }]);
  assert.equal(status(expired, BOB), "expired");
  assert.equal(texts(get(expired, BOB)).at(-1), "Your request to Bob expired without an answer.");

  const hidden = run([requestToBob, { type: "shown", peer: null }, {
    type: "declined",
    peer: BOB,
    reason: "declined",
  }]);
  assert.equal(get(hidden, BOB).unread, 1);
});

Deno.test("conversations: a decline answers only a request we are waiting on", () => {
  const decline: ConversationChange = { type: "declined", peer: BOB, reason: "declined" };
  const none = initialConversations();
  assert.equal(run([decline], none), none, "unknown peer");
  for (const s of [run([requestFromBob]), openWithBob(), run([requestToBob, decline])]) {
    assert.equal(run([decline], s), s, status(s, BOB));
  }
});

Deno.test("conversations: we decline a request", () => {
  const s = run([requestFromBob, { type: "decline_sent", peer: BOB }]);
  assert.equal(status(s, BOB), "refused");
  assert.equal(texts(get(s, BOB)).at(-1), "You declined Bob's request.");
  assert.equal(run([{ type: "decline_sent", peer: BOB }], s), s, "nothing left to decline");
  const none = initialConversations();
  assert.equal(run([{ type: "decline_sent", peer: BOB }], none), none);
});

// ---- endings -----------------------------------------------------------------------------------

Deno.test("conversations: the peer closes, withdraws, goes offline, or lets a request expire", () => {
  const cases: [ConversationsState, ConversationChange, DmStatus, string][] = [
    [
      openWithBob(),
      { type: "closed", peer: BOB, reason: "closed" },
      "closed",
      "Bob closed the conversation.",
    ],
    [
      run([requestFromBob]),
      { type: "closed", peer: BOB, reason: "closed" },
      "closed",
      "Bob withdrew the request.",
    ],
    [
      run([requestToBob]),
      { type: "closed", peer: BOB, reason: "closed" },
      "closed",
      "Bob withdrew the request.",
    ],
    [
      openWithBob(),
      { type: "closed", peer: BOB, reason: "disconnected" },
      "gone",
      "Bob went offline.",
    ],
    [
      run([requestToBob]),
      { type: "closed", peer: BOB, reason: "disconnected" },
      "gone",
      "Bob went offline.",
    ],
    [
      run([requestFromBob]),
      { type: "closed", peer: BOB, reason: "expired" },
      "expired",
      "Bob's request expired.",
    ],
  ];
  for (const [before, change, want, text] of cases) {
    const after = run([change], before);
    const c = get(after, BOB);
    assert.equal(c.status, want, text);
    assert.equal(c.closedByMe, false);
    assert.equal(texts(c).at(-1), text);
  }
  const hidden = run([{ type: "shown", peer: null }, {
    type: "closed",
    peer: BOB,
    reason: "disconnected",
  }], openWithBob());
  assert.equal(get(hidden, BOB).unread, 1);
});

Deno.test("conversations: an ending for an unknown or finished conversation changes nothing", () => {
  const none = initialConversations();
  assert.equal(run([{ type: "closed", peer: BOB, reason: "closed" }], none), none);
  const closed = run([{ type: "closed", peer: BOB, reason: "closed" }], openWithBob());
  for (const reason of ["closed", "disconnected", "expired"] as const) {
    assert.equal(run([{ type: "closed", peer: BOB, reason }], closed), closed, reason);
  }
  const gone = run([{ type: "closed", peer: BOB, reason: "disconnected" }], openWithBob());
  assert.equal(run([{ type: "closed", peer: BOB, reason: "closed" }], gone), gone);
});

Deno.test("conversations: our close, with the hub's echo before the reply", () => {
  const s = run([
    { type: "shown", peer: null },
    { type: "close_started", peer: BOB },
    { type: "closed", peer: BOB, reason: "closed" },
    { type: "close_sent", peer: BOB },
  ], openWithBob());
  const c = get(s, BOB);
  assert.equal(c.status, "closed");
  assert.equal(c.closedByMe, true);
  assert.deepEqual(texts(c).slice(-2), [
    "Bob accepted. You can talk now.",
    "You closed this conversation.",
  ]);
  assert.equal(c.unread, 0, "our own close is never unread");
});

Deno.test("conversations: our close, with the reply and no echo", () => {
  const s = run(
    [{ type: "close_started", peer: BOB }, { type: "close_sent", peer: BOB }],
    openWithBob(),
  );
  assert.equal(status(s, BOB), "closed");
  assert.equal(texts(get(s, BOB)).at(-1), "You closed this conversation.");
  // The echo after the reply has nothing left to close.
  assert.equal(run([{ type: "closed", peer: BOB, reason: "closed" }], s), s);
});

Deno.test("conversations: withdrawing our request", () => {
  const s = run([{ type: "close_started", peer: BOB }, {
    type: "closed",
    peer: BOB,
    reason: "closed",
  }], run([requestToBob]));
  assert.equal(status(s, BOB), "closed");
  assert.equal(texts(get(s, BOB)).at(-1), "You withdrew your request.");
});

Deno.test("conversations: a failed close takes its mark back", () => {
  const marked = run([{ type: "close_started", peer: BOB }], openWithBob());
  assert.equal(get(marked, BOB).closedByMe, true);
  assert.equal(status(marked, BOB), "open");
  const failed = run([{ type: "close_failed", peer: BOB }], marked);
  assert.equal(get(failed, BOB).closedByMe, false);
  assert.deepEqual(get(failed, BOB).items, get(marked, BOB).items);
  // Then the peer's own close reads as theirs.
  const closed = run([{ type: "closed", peer: BOB, reason: "closed" }], failed);
  assert.equal(texts(get(closed, BOB)).at(-1), "Bob closed the conversation.");
});

Deno.test("conversations: the peer accepts while we withdraw: our close still reads as ours", () => {
  const s = run([
    requestToBob,
    { type: "close_started", peer: BOB },
    bobAccepted,
    { type: "closed", peer: BOB, reason: "closed" },
    { type: "close_sent", peer: BOB },
  ]);
  assert.equal(status(s, BOB), "closed");
  assert.deepEqual(texts(get(s, BOB)).slice(-2), [
    "Bob accepted. You can talk now.",
    "You closed this conversation.",
  ]);
});

Deno.test("conversations: the peer goes offline while we close", () => {
  const s = run([
    { type: "close_started", peer: BOB },
    { type: "closed", peer: BOB, reason: "disconnected" },
    { type: "close_sent", peer: BOB },
  ], openWithBob());
  assert.equal(status(s, BOB), "gone");
  assert.equal(texts(get(s, BOB)).at(-1), "Bob went offline.");
});

Deno.test("conversations: close marks on unknown or finished conversations change nothing", () => {
  const none = initialConversations();
  const closed = run([{ type: "closed", peer: BOB, reason: "closed" }], openWithBob());
  for (const s of [none, closed]) {
    for (const type of ["close_started", "close_sent", "close_failed"] as const) {
      assert.equal(run([{ type, peer: BOB }], s), s, type);
    }
  }
});

Deno.test("conversations: asking again after an ending starts afresh", () => {
  const closedByUs = run([
    { type: "close_started", peer: BOB },
    { type: "close_sent", peer: BOB },
  ], openWithBob());
  const again = run([requestToBob], closedByUs);
  assert.equal(status(again, BOB), "outgoing");
  assert.equal(get(again, BOB).closedByMe, false);
  assert.equal(texts(get(again, BOB)).at(-1), "Request sent to Bob. Waiting for an answer…");
  const asked = run([requestFromBob], closedByUs);
  assert.equal(status(asked, BOB), "incoming");
  assert.equal(get(asked, BOB).closedByMe, false);
  const refused = run([requestFromBob, { type: "decline_sent", peer: BOB }, requestFromBob]);
  assert.equal(status(refused, BOB), "incoming");
  assert.equal(refused.conversations.length, 1, "one conversation per peer");
});

// ---- messages ----------------------------------------------------------------------------------

Deno.test("conversations: messages in and out", () => {
  const s = run([fromBob("m1", "hi"), toBob("m2", "hello")], openWithBob());
  const items = get(s, BOB).items.slice(-2);
  assert.deepEqual(items, [
    { kind: "message", key: "m1", from: BOB, name: "Bob", text: "hi", ts: 5, mine: false },
    { kind: "message", key: "m2", from: ADA, name: "Ada", text: "hello", ts: 6, mine: true },
  ]);
  assert.equal(get(s, BOB).unread, 0, "shown");
});

Deno.test("conversations: a message while another conversation is shown is unread", () => {
  const s = run([{ type: "shown", peer: null }, fromBob("m1"), fromBob("m2")], openWithBob());
  assert.equal(get(s, BOB).unread, 2);
  const seen = run([{ type: "shown", peer: BOB }], s);
  assert.equal(get(seen, BOB).unread, 0);
  assert.equal(seen.active, BOB);
});

Deno.test("conversations: a message carries the peer's current name", () => {
  const s = run([{ ...fromBob("m1"), name: "Robert" } as ConversationChange], openWithBob());
  assert.equal(get(s, BOB).name, "Robert");
});

Deno.test("conversations: a message already in the stream is not added again", () => {
  const s = run([{ type: "shown", peer: null }, fromBob("m1")], openWithBob());
  assert.equal(run([fromBob("m1")], s), s);
  const sent = run([toBob("m2")], s);
  assert.equal(run([toBob("m2")], sent), sent);
});

Deno.test("conversations: a message from an unknown peer opens a conversation", () => {
  const s = run([requestToBob, {
    type: "message_received",
    peer: CY,
    name: "Cy",
    msgId: "m1",
    text: "hey",
    ts: 5,
  }]);
  const c = get(s, CY);
  assert.equal(c.status, "open");
  assert.equal(c.name, "Cy");
  assert.deepEqual(texts(c), ["hey"]);
  assert.equal(c.unread, 1);
  assert.equal(s.conversations[0].peer, CY);
  assert.equal(s.active, BOB, "does not take over the pane");
});

Deno.test("conversations: a late message to a finished conversation is kept", () => {
  const closed = run([{ type: "closed", peer: BOB, reason: "closed" }], openWithBob());
  const s = run([fromBob("late")], closed);
  assert.equal(status(s, BOB), "closed");
  assert.equal(texts(get(s, BOB)).at(-1), "late");
});

Deno.test("conversations: a message we sent to an unknown peer has nowhere to go", () => {
  const none = initialConversations();
  assert.equal(run([toBob("m1")], none), none);
});

// ---- the page ----------------------------------------------------------------------------------

Deno.test("conversations: renames reach a known conversation only", () => {
  const s = openWithBob();
  const renamed = run([{ type: "renamed", peer: BOB, name: "Robert" }], s);
  assert.equal(get(renamed, BOB).name, "Robert");
  assert.equal(get(renamed, BOB).items, get(s, BOB).items, "no notice");
  assert.equal(run([{ type: "renamed", peer: BOB, name: "Bob" }], s), s, "same name");
  assert.equal(run([{ type: "renamed", peer: CY, name: "Cy" }], s), s, "unknown peer");
});

Deno.test("conversations: showing and hiding", () => {
  const s = run([requestToBob, { type: "request_received", peer: CY, name: "Cy" }]);
  const cy = run([{ type: "shown", peer: CY }], s);
  assert.equal(cy.active, CY);
  assert.equal(get(cy, CY).unread, 0);
  assert.equal(run([{ type: "shown", peer: CY }], cy), cy, "already shown");
  const none = run([{ type: "shown", peer: null }], cy);
  assert.equal(none.active, null);
  assert.equal(run([{ type: "shown", peer: null }], none), none);
  assert.equal(run([{ type: "shown", peer: "01NOBODY" }], cy), cy, "unknown peer");
});

Deno.test("conversations: dismissing removes a conversation, and hides it if shown", () => {
  const s = run([requestToBob, { type: "request_received", peer: CY, name: "Cy" }]);
  const noBob = run([{ type: "dismissed", peer: BOB }], s);
  assert.deepEqual(noBob.conversations.map((c) => c.peer), [CY]);
  assert.equal(noBob.active, null);
  const noCy = run([{ type: "dismissed", peer: CY }], s);
  assert.equal(noCy.active, BOB);
  assert.equal(run([{ type: "dismissed", peer: CY }], noCy), noCy);
});

Deno.test("conversations: a new session ends every live conversation, and only those", () => {
  const s = run([
    requestToBob,
    bobAccepted,
    { type: "request_received", peer: CY, name: "Cy" },
    { type: "request_sent", peer: "01DOT", name: "Dot", accepted: false },
    { type: "declined", peer: "01DOT", reason: "declined" },
    { type: "shown", peer: null },
  ]);
  const ended = run([{ type: "session_replaced" }], s);
  assert.equal(status(ended, BOB), "ended");
  assert.equal(status(ended, CY), "ended");
  assert.equal(status(ended, "01DOT"), "declined");
  for (const peer of [BOB, CY]) {
    const c = get(ended, peer);
    assert.equal(texts(c).at(-1), "Your connection dropped, so this conversation ended.");
    assert.equal(c.unread, get(s, peer).unread, "not unread");
  }
  assert.equal(get(ended, "01DOT"), get(s, "01DOT"));
  assert.equal(run([{ type: "session_replaced" }], ended), ended, "nothing left to end");
  // Ended is finished: a late ending from the old session changes nothing.
  assert.equal(run([{ type: "closed", peer: BOB, reason: "disconnected" }], ended), ended);
});

// ---- away peers --------------------------------------------------------------------------------

const bobAway: ConversationChange = { type: "peer_away", peer: BOB };
const bobBack: ConversationChange = { type: "peer_back", peer: BOB };

Deno.test("conversations: a peer away marks its live conversation, quietly; back clears it", () => {
  const open = openWithBob();
  const away = run([bobAway], open);
  const c = get(away, BOB);
  assert.equal(c.peerAway, true);
  assert.equal(c.status, "open", "away is not an ending: the conversation goes on");
  assert.deepEqual(c.items, get(open, BOB).items, "no notice");
  assert.equal(c.unread, get(open, BOB).unread);
  assert.equal(run([bobAway], away), away, "twice changes nothing");
  const back = run([bobBack], away);
  assert.equal(get(back, BOB).peerAway, false);
  assert.equal(run([bobBack], back), back, "back when not away changes nothing");
  // A pending request can wait for an away peer too, either way round.
  assert.equal(get(run([requestToBob, bobAway]), BOB).peerAway, true);
  assert.equal(get(run([requestFromBob, bobAway]), BOB).peerAway, true);
});

Deno.test("conversations: away for an unknown or finished conversation changes nothing", () => {
  const none = initialConversations();
  assert.equal(run([bobAway], none), none);
  assert.equal(run([bobBack], none), none);
  const closed = run([{ type: "closed", peer: BOB, reason: "closed" }], openWithBob());
  assert.equal(run([bobAway], closed), closed);
});

Deno.test("conversations: an ending or anything the peer says clears away", () => {
  const away = run([bobAway], openWithBob());
  const gone = run([{ type: "closed", peer: BOB, reason: "disconnected" }], away);
  assert.equal(status(gone, BOB), "gone");
  assert.equal(get(gone, BOB).peerAway, false);
  assert.equal(get(run([fromBob("m1")], away), BOB).peerAway, false, "it spoke: it is back");
  assert.equal(get(run([toBob("m2")], away), BOB).peerAway, true, "our message waits for it");
  assert.equal(get(run([{ type: "session_replaced" }], away), BOB).peerAway, false);
  const pending = run([requestToBob, bobAway, { type: "declined", peer: BOB, reason: "expired" }]);
  assert.equal(get(pending, BOB).peerAway, false);
  const closing = run(
    [{ type: "close_started", peer: BOB }, { type: "close_sent", peer: BOB }],
    away,
  );
  assert.equal(get(closing, BOB).peerAway, false);
});

Deno.test("conversations: our own resume forgets away marks, which are not replayed", () => {
  const s = run([bobAway, { type: "request_received", peer: CY, name: "Cy" }], openWithBob());
  const resumed = run([{ type: "session_resumed" }], s);
  assert.equal(get(resumed, BOB).peerAway, false);
  assert.equal(status(resumed, BOB), "open", "conversations go on");
  assert.equal(status(resumed, CY), "incoming");
  assert.equal(get(resumed, CY), get(s, CY), "untouched when not away");
  assert.equal(run([{ type: "session_resumed" }], resumed), resumed);
});

// ---- the state as a whole ----------------------------------------------------------------------

Deno.test("conversations: streams keep the newest items, with unique keys", () => {
  let s = run([requestToBob, bobAccepted], initialConversations({ maxItems: 3 }));
  s = run([fromBob("m1"), fromBob("m2"), { type: "close_started", peer: BOB }, {
    type: "close_sent",
    peer: BOB,
  }, requestToBob], s);
  const c = get(s, BOB);
  assert.deepEqual(texts(c), [
    "m2",
    "You closed this conversation.",
    "Request sent to Bob. Waiting for an answer…",
  ]);
  const keys = s.conversations.flatMap((x) => x.items.map((i) => i.key));
  assert.equal(new Set(keys).size, keys.length);
});

Deno.test("conversations: notices take their time from the event", () => {
  const s = reduceConversations(initialConversations(), { ...requestFromBob, at: 42 });
  assert.equal(get(s, BOB).items[0].ts, 42);
});

Deno.test("conversations: the reducer is pure: same events, same state; inputs untouched", () => {
  const changes: ConversationChange[] = [
    requestToBob,
    bobAccepted,
    fromBob("m1"),
    { type: "request_received", peer: CY, name: "Cy" },
    { type: "shown", peer: CY },
    { type: "decline_sent", peer: CY },
    { type: "close_started", peer: BOB },
    { type: "closed", peer: BOB, reason: "closed" },
    { type: "peer_away", peer: BOB },
    { type: "session_replaced" },
    { type: "session_resumed" },
    { type: "dismissed", peer: CY },
  ];
  assert.deepEqual(run(changes), run(changes));

  // Every intermediate state, frozen deep: a step that wrote to one would throw.
  let s = deepFreeze(initialConversations());
  for (const change of changes) {
    const copy = structuredClone(s);
    const next = reduceConversations(s, { ...change, at: 1 });
    assert.deepEqual(s, copy);
    s = deepFreeze(next);
  }
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
