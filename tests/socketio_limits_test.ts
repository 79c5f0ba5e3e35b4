/**
 * The Socket.IO endpoint against hostile and broken clients: malformed packets, oversized ones,
 * floods and a polling client that stops polling. Each bad input closes only its own session (or
 * is refused, for a valid packet over a limit) while a bystander carries on, and the count of
 * sessions comes back to what it was.
 */

import assert from "node:assert/strict";
import { eventually, startTestServer, stats, type TestServer } from "./helpers.ts";
import { ack, CLIENTS, connect, RawPolling } from "./socketio_helpers.ts";

const { io } = CLIENTS[0];

/** A raw WebSocket on `/socket.io/`, connected to `/`, that records what it gets. */
async function rawSocket(server: TestServer): Promise<{
  socket: WebSocket;
  closed: Promise<CloseEvent>;
  messages: (string | ArrayBuffer)[];
}> {
  const socket = new WebSocket(
    `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
  );
  socket.binaryType = "arraybuffer";
  const messages: (string | ArrayBuffer)[] = [];
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve));
  const welcomed = new Promise<void>((resolve, reject) => {
    socket.onmessage = (event) => {
      messages.push(event.data);
      if (event.data === "0" || String(event.data).startsWith("0{")) socket.send("40");
      if (String(event.data).startsWith('42["client_id"')) resolve();
    };
    socket.onerror = () => reject(new Error("socket error"));
  });
  await welcomed;
  return { socket, closed, messages };
}

/** Malformed input, each sent on a fresh connection: text packets, or [text, ...binaries]. */
const MALFORMED: [string, (string | Uint8Array<ArrayBuffer>)[]][] = [
  ["an unknown Engine.IO type", ["9"]],
  ["an empty packet", [""]],
  ["an open packet from the client", ['0{"sid":"x"}']],
  ["an unknown Socket.IO type", ["4abc"]],
  ["a connect_error from the client", ['44{"message":"x"}']],
  ["an event payload that is an object", ["42{}"]],
  ["an event with an empty array", ["42[]"]],
  ["an event with a reserved name", ['42["connect"]']],
  ["a bad ack id", ['42abc["ping"]']],
  ["an ack id past 2^53", ['4212345678901234567["ping"]']],
  ["JSON that does not parse", ['42["ping",']],
  ["a connect with an array", ["40[1]"]],
  ["a disconnect with a payload", ['41{"x":1}']],
  ["an event for a namespace not connected", ['42/chat,["message","x"]']],
  ["bytes with no packet to attach them to", [new Uint8Array([1, 2, 3])]],
  ["a placeholder naming no attachment", [
    '451-["ping",{"_placeholder":true,"num":3}]',
    new Uint8Array([1]),
  ]],
  ["a text packet where an attachment was due", [
    '451-["ping",{"_placeholder":true,"num":0}]',
    '42["ping"]',
  ]],
  ["more than 64 attachments", ['4565-["ping"]']],
];

Deno.test("bad input: each malformed packet closes its own connection only", async () => {
  await using server = await startTestServer();
  await using bystander = await connect(io, server.origin, { transports: ["websocket"] });
  for (const [label, packets] of MALFORMED) {
    const raw = await rawSocket(server);
    for (const packet of packets) raw.socket.send(packet);
    const closed = await Promise.race([
      raw.closed.then(() => "closed"),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 3000)),
    ]);
    assert.equal(closed, "closed", label);
    const [pong] = await ack(bystander.socket, "ping");
    assert.ok((pong as { serverTime: number }).serverTime > 0, label);
  }
  await eventually(async () => assert.equal((await stats(server)).count, 1));
});

Deno.test("bad input: a malformed polling payload gets 400 and closes that session only", async () => {
  await using server = await startTestServer();
  await using bystander = await connect(io, server.origin, { transports: ["polling"] });
  for (
    const [label, body] of [
      ["a record with no type", "abc"],
      ["bad base64", "4hi\x1eb!!!"],
      ["an empty record", "40\x1e"],
      ["bytes that are not UTF-8", new Uint8Array([0x34, 0xff, 0xfe])],
    ] as const
  ) {
    const raw = await RawPolling.open(server.origin);
    const posted = await raw.post(body as string);
    assert.equal(posted.status, 400, label);
    assert.equal((await raw.poll()).status, 400, label);
  }
  assert.ok((await ack(bystander.socket, "ping"))[0]);
});

Deno.test("bad input: a packet over MAX_MESSAGE_BYTES closes the session; at the limit it passes", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  await using bystander = await connect(io, server.origin, { transports: ["websocket"] });
  // `42["random",{"text":"…"}]` with the text sized so the packet is exactly 1024 bytes, "é" being 2.
  const packet = (bytes: number) => {
    const base = '42["random",{"text":""}]';
    return `42["random",{"text":"${"é".repeat((bytes - base.length) / 2)}"}]`;
  };
  assert.equal(new TextEncoder().encode(packet(1024)).length, 1024);
  const fits = await rawSocket(server);
  fits.socket.send(packet(1024));
  await eventually(() => assert.ok(fits.messages.some((m) => String(m).startsWith('42["random"'))));
  fits.socket.send(packet(1026));
  await fits.closed;

  const raw = await RawPolling.open(server.origin);
  assert.equal((await raw.post(packet(1026))).status, 413);
  assert.equal((await raw.poll()).status, 400);
  assert.ok((await ack(bystander.socket, "ping"))[0]);
});

Deno.test("bad input: attachments that add up to more than maxPayload close the connection", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  const raw = await rawSocket(server);
  raw.socket.send('452-["random",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
  raw.socket.send(new Uint8Array(600));
  raw.socket.send(new Uint8Array(600));
  await raw.closed;
});

Deno.test("flood control: connecting to / again and again spends CHAT_RATE, refused with connect_error", async () => {
  await using server = await startTestServer({ chatRate: 1 });
  const raw = await rawSocket(server);
  for (let i = 0; i < 6; i++) {
    raw.socket.send("41");
    raw.socket.send("40");
  }
  await eventually(() =>
    assert.ok(
      raw.messages.some((m) => m === '44{"message":"Rate limit exceeded"}'),
      JSON.stringify(raw.messages.slice(-4)),
    )
  );
  raw.socket.close();
  await raw.closed;
});

Deno.test("flood control: RATE_LIMIT and CHAT_RATE refuse with rate_limited; a flood past the grace closes", async () => {
  await using server = await startTestServer({ rateLimit: 10, chatRate: 1 });
  await using bystander = await connect(io, server.origin, { transports: ["websocket"] });
  await using client = await connect(io, server.origin, { transports: ["websocket"] });
  const replies = await Promise.all(Array.from({ length: 30 }, () => ack(client.socket, "ping")));
  const limited = replies.filter(([r]) =>
    (r as { error?: { code: string } }).error?.code === "rate_limited"
  );
  assert.ok(limited.length >= 5, `${limited.length} of 30 refused`);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  // Chat spends the notify budget too: a burst of two, then refusals.
  const chats = await Promise.all(
    Array.from(
      { length: 4 },
      (_, i) => ack(client.socket, "chat", { room: "lobby", text: `${i}` }),
    ),
  );
  const refused = chats.filter(([r]) =>
    (r as { error?: { code: string } }).error?.code === "rate_limited"
  );
  assert.ok(refused.length >= 1, JSON.stringify(chats));
  // Without an ack, a refusal comes as `error` naming the event.
  const error = new Promise((resolve) => client.socket.once("error", resolve));
  for (let i = 0; i < 30; i++) client.socket.emit("chat", { room: "lobby", text: "x" });
  assert.equal((await error as { event: string; code: string }).code, "rate_limited");
  // Keeps flooding past FLOOD_GRACE_MS: the connection is closed, the bystander is not.
  const dropped = new Promise((resolve) => client.socket.once("disconnect", resolve));
  const flood = setInterval(() => {
    for (let i = 0; i < 20; i++) client.socket.emit("ping");
  }, 50);
  try {
    assert.equal(await dropped, "transport close");
  } finally {
    clearInterval(flood);
  }
  assert.ok((await ack(bystander.socket, "ping"))[0]);
});

Deno.test("slow consumer: a polling session that stops polling is closed when its queue passes the limit", async () => {
  await using server = await startTestServer({ maxBufferedBytes: 1024, chatRate: 0 });
  await using talker = await connect(io, server.origin, { transports: ["websocket"] });
  const raw = await RawPolling.open(server.origin);
  await raw.post("40");
  await raw.until('42["client_id"');
  await eventually(async () => assert.equal((await stats(server)).count, 2));
  // Never polls again while the lobby talks: past 16 × MAX_BUFFERED_BYTES it is dropped at once.
  for (let i = 0; i < 10; i++) {
    await ack(talker.socket, "chat", { room: "lobby", text: "x".repeat(3000) });
  }
  await eventually(async () => assert.equal((await stats(server)).count, 1));
  const last = await raw.poll();
  assert.ok(
    last.status === 400 || last.body.endsWith("\x1e1"),
    `${last.status} ${last.body.slice(-20)}`,
  );
  assert.ok((await ack(talker.socket, "ping"))[0]);
});
