/**
 * What checking a room frame costs, once per frame per node (`deno bench
 * lib/cluster/redis/validate_bench.ts`): against the `JSON.parse` it contains, and the text scan for
 * a chat's position the broker did before it checked anything.
 *
 * @module
 */

import { encodeEvent } from "../../hub/session.ts";
import { chatPosition } from "../../hub/rooms.ts";
import { encodeChat } from "../memory_streams.ts";
import { roomFrame } from "./validate.ts";

const chat = encodeChat({
  room: "lobby",
  msgId: "01JCCCCCCCCCCCCCCCCCCCCCCC",
  from: "01JBBBBBBBBBBBBBBBBBBBBBBB",
  userId: null,
  name: "Bea",
  text: "see you at the standup in five minutes",
  ts: 1_700_000_000_000,
  offset: 12_345,
  epoch: "AAAAAAAAAAAA",
});
const longChat = encodeChat({ ...JSON.parse(chat).data, text: "word ".repeat(800) });
const presence = encodeEvent("presence", {
  room: "lobby",
  sessionId: "01JBBBBBBBBBBBBBBBBBBBBBBB",
  userId: null,
  name: "Renée",
  action: "join",
});
const guest = encodeEvent("presence", {
  room: "lobby",
  sessionId: "01JBBBBBBBBBBBBBBBBBBBBBBB",
  userId: null,
  name: "guest-bbbbbb",
  action: "join",
});

Deno.bench("JSON.parse of a short chat frame", { group: "chat", baseline: true }, () => {
  JSON.parse(chat);
});
Deno.bench("roomFrame: a short chat", { group: "chat" }, () => {
  roomFrame("lobby", "*", chat);
});
Deno.bench("chatPosition: the text scan before", { group: "chat" }, () => {
  chatPosition(chat);
});
Deno.bench("JSON.parse of a 4,000-character chat", { group: "long", baseline: true }, () => {
  JSON.parse(longChat);
});
Deno.bench("roomFrame: a 4,000-character chat", { group: "long" }, () => {
  roomFrame("lobby", "*", longChat);
});
Deno.bench("roomFrame: presence, a chosen name", { group: "presence" }, () => {
  roomFrame("lobby", "node-1", presence);
});
Deno.bench("roomFrame: presence, a default name", { group: "presence" }, () => {
  roomFrame("lobby", "node-1", guest);
});
