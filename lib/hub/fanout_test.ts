/**
 * Fan-out in slices, with the turns of the event loop between slices driven by hand: order within
 * a room for every member (through the socket, the hold before welcome and the replay buffer
 * alike), members that leave, end or move part-way, a slow consumer cut off, and one encoding per
 * event however many members get it.
 */

import assert from "node:assert/strict";
import type { ValidRequest } from "../protocol/validate.ts";
import { Fanout } from "./fanout.ts";
import { Hub, type HubOptions, type Link } from "./hub.ts";
import type { Session } from "./session.ts";
import { Deployment, type Node } from "./testing/deployment.ts";
import { ManualTimers } from "./timers.ts";

/** Turns of the event loop, run when the test says. */
class Turns {
  readonly #queue: (() => void)[] = [];
  readonly yieldTo = (next: () => void) => void this.#queue.push(next);
  get waiting(): number {
    return this.#queue.length;
  }
  /** Runs one turn. */
  step(): void {
    this.#queue.shift()?.();
  }
  /** Runs turns until none is left; answers how many ran. */
  drain(): number {
    let turns = 0;
    while (this.#queue.length > 0) {
      this.step();
      turns++;
    }
    return turns;
  }
}

/** A bare session that records the frames it is sent. */
function member(name: string, got: Map<string, string[]>): Session {
  got.set(name, []);
  return {
    id: name,
    userId: null,
    identity: undefined,
    name,
    connectedAt: 0,
    send: (frame) => got.get(name)!.push(frame),
    link: undefined,
    held: undefined,
    away: undefined,
    rooms: new Set(),
    peers: new Map(),
    outgoing: new Map(),
    incoming: new Map(),
  };
}

function room(size: number, slice = 10) {
  const got = new Map<string, string[]>();
  const members = new Set(Array.from({ length: size }, (_, i) => member(`m${i}`, got)));
  const rooms = new Map([["r", members]]);
  const turns = new Turns();
  const fanout = new Fanout({ members: (r) => rooms.get(r), slice, yieldTo: turns.yieldTo });
  return { got, members, rooms, turns, fanout };
}

Deno.test("a room up to one slice gets its frame at once; a larger one a slice per turn", () => {
  const small = room(10);
  small.fanout.deliver("r", "f");
  assert.equal(small.turns.waiting, 0);
  assert.ok([...small.got.values()].every((frames) => frames.length === 1));

  const large = room(35);
  large.fanout.deliver("r", "f");
  const reached = () => [...large.got.values()].filter((frames) => frames.length > 0).length;
  assert.equal(reached(), 10, "the first slice goes out at once");
  assert.equal(large.fanout.pending("r"), true);
  large.turns.step();
  assert.equal(reached(), 20);
  assert.equal(large.turns.drain(), 2);
  assert.equal(reached(), 35);
  assert.equal(large.fanout.pending("r"), false);
});

Deno.test("a later frame never overtakes an earlier one, for any member; presence skips its subject", () => {
  const { got, members, turns, fanout } = room(35);
  const first = [...members][0];
  fanout.deliver("r", "1");
  fanout.deliver("r", "2");
  turns.step();
  fanout.deliver("r", "3", first);
  // Another room is not held up by this one.
  const other = new Map<string, string[]>();
  const lone = member("lone", other);
  const elsewhere = new Fanout({ members: () => new Set([lone]), slice: 10 });
  elsewhere.deliver("s", "x");
  assert.deepEqual(other.get("lone"), ["x"]);
  turns.drain();
  for (const [name, frames] of got) {
    assert.deepEqual(frames, name === first.id ? ["1", "2"] : ["1", "2", "3"], name);
  }
});

Deno.test("a member that leaves part-way gets nothing more; one that joins waits for the next frame", () => {
  const { got, members, rooms, turns, fanout } = room(35);
  const last = [...members].at(-1)!;
  fanout.deliver("r", "1");
  fanout.deliver("r", "2");
  members.delete(last);
  const late = member("late", got);
  members.add(late);
  turns.drain();
  assert.deepEqual(got.get(last.id), [], "left before its slice");
  assert.deepEqual(got.get("late"), ["2"], "joined during frame 1, in time for frame 2");
  // A room that empties and is made again: only its new members count.
  fanout.deliver("r", "3");
  rooms.set("r", new Set([late]));
  turns.drain();
  assert.deepEqual(got.get("late"), ["2", "3"]);
  assert.deepEqual(got.get("m34"), [], "m34 left with m34's old room");
});

Deno.test("flush sends what is queued at once; clear drops it", () => {
  const { got, turns, fanout } = room(35);
  fanout.deliver("r", "1");
  fanout.deliver("r", "2");
  fanout.flush("r");
  assert.ok([...got.values()].every((frames) => frames.join() === "1,2"));
  assert.equal(fanout.pending("r"), false);
  assert.equal(turns.drain(), 1, "the turn already asked for finds nothing left");
  fanout.deliver("r", "3");
  fanout.clear();
  turns.drain();
  assert.equal([...got.values()].filter((frames) => frames.includes("3")).length, 10);
});

// The hub end to end.

const SLICE = 100;

class Conn implements Link {
  readonly frames: string[] = [];
  closed = false;
  send = (frame: string) => void this.frames.push(frame);
  close() {
    this.closed = true;
  }
  /** Chat texts and heartbeat-free event types received, in order. */
  get chats(): string[] {
    return this.frames.filter((f) => f.startsWith(`{"type":"chat"`))
      .map((f) => JSON.parse(f).data.text);
  }
}

async function crowd(hub: Hub, size: number) {
  const conns: Conn[] = [];
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    const conn = new Conn();
    const session = await hub.connect(conn, undefined);
    await hub.handle(session.id, { type: "join", id: 1, data: { room: "big" } } as ValidRequest);
    conns.push(conn);
    ids.push(session.id);
  }
  return { conns, ids };
}

/** A hub whose fan-out slices by {@link SLICE}, its turns run by hand. */
function slicedHub(options: Partial<HubOptions> = {}) {
  const turns = new Turns();
  const hub = new Hub({
    heartbeatMs: 1000,
    dmRequestTtlMs: 1000,
    timers: new ManualTimers(0),
    fanoutSlice: SLICE,
    yieldTo: turns.yieldTo,
    ...options,
  });
  return { turns, hub };
}

const chat = (hub: Hub, id: string, text: string) =>
  hub.handle(id, { type: "chat", id: 1, data: { room: "big", text } } as ValidRequest);

Deno.test("each chat is serialized once, whatever the room's size and its slices", async () => {
  const { turns, hub } = slicedHub();
  const { conns, ids } = await crowd(hub, 450);
  const stringify = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...args: Parameters<typeof stringify>) => {
    calls++;
    return stringify(...args);
  }) as typeof stringify;
  try {
    chat(hub, ids[0], "once");
    turns.drain();
  } finally {
    JSON.stringify = stringify;
  }
  assert.equal(calls, 1, "one JSON.stringify for 450 deliveries");
  assert.ok(conns.every((c) => c.chats.join() === "once"));
  await hub.close();
});

Deno.test("order holds through the hold before welcome, the replay buffer and back; an ended session gets nothing more", async () => {
  const turns = new Turns();
  const net = new Deployment();
  const node = await net.node({ fanoutSlice: SLICE, yieldTo: turns.yieldTo });
  const { conns, ids } = await crowd(node.hub, 350);
  const away = ids.length - 1; // in the last slice
  const ended = ids.length - 2;
  node.hub.detach(ids[away], conns[away], false);

  await chat(node.hub, ids[0], "1");
  await chat(node.hub, ids[0], "2");
  turns.step();
  node.hub.disconnect(ids[ended]);
  await chat(node.hub, ids[0], "3");
  turns.drain();
  await chat(node.hub, ids[0], "4");
  turns.drain();

  for (const [i, conn] of conns.entries()) {
    if (i === away || i === ended) continue;
    assert.deepEqual(conn.chats, ["1", "2", "3", "4"], `member ${i}`);
  }
  assert.deepEqual(conns[ended].chats, [], "ended before its slice came");
  const token = JSON.parse(conns[away].frames[0]).data.resumeToken;
  const back = new Conn();
  await node.hub.connect(back, token);
  assert.deepEqual(back.chats, ["1", "2", "3", "4"], "replayed whole and in order");
  await node.hub.close();
});

Deno.test("a session moving to another node part-way through a fan-out misses nothing and gets nothing twice", async () => {
  const turns = new Turns();
  const net = new Deployment();
  const from = await net.node({ fanoutSlice: SLICE, yieldTo: turns.yieldTo });
  const to: Node = await net.node();
  const { conns, ids } = await crowd(from.hub, 250);
  const mover = ids.length - 1;
  const token = JSON.parse(conns[mover].frames[0]).data.resumeToken;
  from.hub.detach(ids[mover], conns[mover], false);

  await chat(from.hub, ids[0], "1");
  await chat(from.hub, ids[0], "2");
  assert.ok(turns.waiting > 0, "part-way: the mover's slice has not gone out");
  const resumed = new Conn();
  await to.hub.connect(resumed, token);
  await chat(to.hub, ids[mover], "3");
  turns.drain();

  assert.deepEqual(resumed.chats, ["1", "2", "3"]);
  assert.deepEqual(conns[0].chats, ["1", "2", "3"]);
  assert.equal(from.hub.session(ids[mover]), undefined, "gone from the old node");
  await from.hub.close();
  await to.hub.close();
});

Deno.test("a slow consumer dropped by its edge part-way is cut off; the others get every frame", async () => {
  const { turns, hub } = slicedHub();
  const { conns, ids } = await crowd(hub, 300);
  const slow = 150;
  // Its edge gives up after two chats, as one whose queue stayed over MAX_BUFFERED_BYTES does:
  // the connection closes, and its session ends (resume is off here).
  const conn = conns[slow];
  const send = conn.send;
  conn.send = (frame: string) => {
    send(frame);
    if (conn.chats.length === 2) hub.detach(ids[slow], conn, false);
  };
  for (const text of ["1", "2", "3", "4"]) await chat(hub, ids[0], text);
  turns.drain();
  assert.deepEqual(conn.chats, ["1", "2"]);
  assert.equal(hub.session(ids[slow]), undefined);
  for (const [i, c] of conns.entries()) {
    if (i !== slow) assert.deepEqual(c.chats, ["1", "2", "3", "4"], `member ${i}`);
  }
  await hub.close();
});

Deno.test("backlog: deliveries still waiting in a room, its queued frames times its members", () => {
  const large = room(35);
  assert.equal(large.fanout.backlog("r"), 0);
  large.fanout.deliver("r", "a");
  large.fanout.deliver("r", "b");
  assert.equal(
    large.fanout.backlog("r"),
    2 * 35 - 10,
    "the first slice of the first frame went out",
  );
  large.turns.drain();
  assert.equal(large.fanout.backlog("r"), 0);
});

Deno.test("bad input: chat into a room whose fan-out is far behind is refused with rate_limited, and flows again once it caught up", async () => {
  const { turns, hub } = slicedHub({ maxRoomBacklog: 1000 });
  const { conns, ids } = await crowd(hub, 300);
  turns.drain(); // the joins' presence events
  // 300 members a frame: the fourth frame queued puts 1,200 - 100 deliveries behind.
  for (const text of ["1", "2", "3", "4"]) await chat(hub, ids[0], text);
  await assert.rejects(
    async () => await chat(hub, ids[0], "5"),
    (err: Error & { code?: string }) => err.code === "rate_limited" && /busy/.test(err.message),
  );
  turns.drain();
  await chat(hub, ids[0], "6");
  turns.drain();
  assert.deepEqual(conns[1].chats, ["1", "2", "3", "4", "6"], "nothing lost but the refused one");
  await hub.close();
});
