import assert from "node:assert/strict";
import { initialConversations, reduceConversations } from "./conversations_reducer.ts";
import {
  loadPage,
  loadToken,
  PAGE_KEY,
  type PageSnapshot,
  savePage,
  saveToken,
  type TabStorage,
  TOKEN_KEY,
} from "./page_memory.ts";

/** A Map-backed storage; `full` makes every write throw, as a full or refused storage does. */
function memory(full = false): TabStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem(key, value) {
      if (full) throw new DOMException("full", "QuotaExceededError");
      map.set(key, value);
    },
    removeItem: (key) => void map.delete(key),
  };
}

const refusing: TabStorage = {
  getItem() {
    throw new DOMException("no", "SecurityError");
  },
  setItem() {
    throw new DOMException("no", "SecurityError");
  },
  removeItem() {
    throw new DOMException("no", "SecurityError");
  },
};

function snapshot(): PageSnapshot {
  const conversations = reduceConversations(initialConversations(), {
    type: "accepted",
    peer: "01BOB",
    name: "Bob",
    at: 1,
  });
  return {
    version: 1,
    sessionId: "01ADA",
    chosenName: "Ada",
    rooms: { rooms: ["lobby", "deno"], current: "deno" },
    conversations,
  };
}

Deno.test("page memory: the token is kept, replaced, and dropped when resume is off", () => {
  const storage = memory();
  assert.equal(loadToken(storage), undefined);
  saveToken(storage, "t1");
  saveToken(storage, "t2");
  assert.equal(loadToken(storage), "t2");
  saveToken(storage, "");
  assert.equal(storage.map.has(TOKEN_KEY), false);
  saveToken(storage, "t3");
  saveToken(storage, undefined);
  assert.equal(loadToken(storage), undefined);
  storage.map.set(TOKEN_KEY, "not a token!");
  assert.equal(loadToken(storage), undefined, "a token of the wrong shape is none");
});

Deno.test("page memory: a snapshot comes back as it was kept", () => {
  const storage = memory();
  assert.equal(loadPage(storage), null);
  savePage(storage, snapshot());
  assert.deepEqual(loadPage(storage), snapshot());
  savePage(storage, null);
  assert.equal(loadPage(storage), null);
});

Deno.test("page memory: a broken or foreign snapshot is not taken", () => {
  const storage = memory();
  const bad: unknown[] = [
    "not json",
    { ...snapshot(), version: 2 },
    { ...snapshot(), sessionId: 7 },
    { ...snapshot(), rooms: { rooms: ["no spaces"], current: null } },
    { ...snapshot(), rooms: { rooms: "lobby", current: null } },
    { ...snapshot(), chosenName: 1 },
    {
      ...snapshot(),
      conversations: { ...snapshot().conversations, conversations: [{ peer: "x", status: "?" }] },
    },
  ];
  for (const value of bad) {
    storage.map.set(PAGE_KEY, typeof value === "string" ? value : JSON.stringify(value));
    assert.equal(loadPage(storage), null, JSON.stringify(value));
  }
});

Deno.test("page memory: storage that is missing, full or refused keeps nothing, quietly", () => {
  assert.equal(loadToken(null), undefined);
  saveToken(null, "t1");
  savePage(null, snapshot());
  assert.equal(loadPage(null), null);

  const full = memory(true);
  full.map.set(TOKEN_KEY, "old");
  saveToken(full, "t2");
  assert.equal(loadToken(full), undefined, "not the stale token either");
  savePage(full, snapshot());
  assert.equal(loadPage(full), null);

  saveToken(refusing, "t1");
  savePage(refusing, snapshot());
  assert.equal(loadToken(refusing), undefined);
  assert.equal(loadPage(refusing), null);
});
