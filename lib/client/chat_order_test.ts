import assert from "node:assert/strict";
import type { ChatMessage } from "../protocol/mod.ts";
import { ChatOrder } from "./chat_order.ts";

const chat = (room: string, offset: number, epoch = "e1"): ChatMessage => ({
  room,
  offset,
  epoch,
  msgId: `m${offset}`,
  from: "01J00000000000000000000000",
  userId: null,
  name: "Ada",
  text: `text ${offset}`,
  ts: 0,
});

Deno.test("a repeated chat offset is dropped, per room and epoch", () => {
  const order = new ChatOrder();
  assert.equal(order.admit(chat("r", 1)), true);
  assert.equal(order.admit(chat("r", 2)), true);
  assert.equal(order.admit(chat("r", 2)), false, "the same offset again");
  assert.equal(order.admit(chat("r", 1)), false, "an older offset");
  assert.equal(order.admit(chat("s", 1)), true, "another room has its own offsets");
  assert.equal(order.admit(chat("r", 1, "e2")), true, "a new epoch starts over");
  assert.equal(order.admit(chat("r", 1, "e2")), false);
  order.clear();
  assert.equal(order.admit(chat("r", 1, "e2")), true, "a new session remembers nothing");
});
