/**
 * The edge against hostile and broken clients, over real sockets: oversized and binary frames,
 * floods, slow readers and foreign origins. Each test names the bad input it tries, and checks that
 * the offender is refused or dropped while another client carries on untouched.
 *
 * The flood and slow-consumer tests wait out the real graces, since a server cannot be handed a
 * clock from here; `lib/edge/connection_test.ts` steps the same rules through by hand.
 */

import assert from "node:assert/strict";
import { CLOSE_CODES } from "../lib/protocol/mod.ts";
import { CLOSE_LINGER_MS, FLOOD_GRACE_MS } from "../lib/edge/connection.ts";
import { delay, eventually, Probe, startTestServer, stats } from "./helpers.ts";
import { closeCode, RawSocket } from "./raw_socket.ts";

/** A random request framed so that its UTF-8 size is exactly `bytes`. */
function frameOfSize(bytes: number, filler = "a"): string {
  const base = JSON.stringify({ type: "random", id: 1, data: { text: "" } });
  const fillerBytes = new TextEncoder().encode(filler).length;
  const count = (bytes - base.length) / fillerBytes;
  assert.ok(Number.isInteger(count), "frame size must be reachable with this filler");
  const frame = JSON.stringify({ type: "random", id: 1, data: { text: filler.repeat(count) } });
  assert.equal(new TextEncoder().encode(frame).length, bytes);
  return frame;
}

Deno.test("bad input: a frame over MAX_MESSAGE_BYTES closes with 1009; at the limit it passes", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  await using bystander = await Probe.open(server.wsUrl);
  await using probe = await Probe.open(server.wsUrl);

  probe.send(frameOfSize(1024));
  assert.equal((await probe.reply(1)).ok, true);

  probe.send(frameOfSize(1025));
  const closed = await probe.closed;
  assert.equal(closed.code, CLOSE_CODES.tooBig);
  assert.equal((await bystander.request("ping")).ok, true);
  await eventually(async () => assert.equal((await stats(server)).count, 1));
});

Deno.test("bad input: multi-byte text is measured in bytes, not characters", async () => {
  await using server = await startTestServer({ maxMessageBytes: 1024 });
  await using probe = await Probe.open(server.wsUrl);
  // "é" is 2 bytes: about 550 characters, but 1,100-odd bytes.
  const frame = JSON.stringify({ type: "random", id: 1, data: { text: "é".repeat(550) } });
  assert.ok(frame.length < 1024 && new TextEncoder().encode(frame).length > 1024);
  probe.send(frame);
  assert.equal((await probe.closed).code, CLOSE_CODES.tooBig);
});

Deno.test("bad input: a binary frame gets bad_request and the connection stays open", async () => {
  await using server = await startTestServer();
  await using probe = await Probe.open(server.wsUrl);
  probe.socket.send(new Uint8Array([1, 2, 3]));
  const reply = await probe.next((f) => f.type === "reply" && f.id === null);
  assert.equal(reply.error?.code, "bad_request");
  assert.match(reply.error!.message, /Binary frames/);
  assert.equal((await probe.request("ping")).ok, true);
});

Deno.test("bad input: a flood over RATE_LIMIT is refused for that session only", async () => {
  await using server = await startTestServer({ rateLimit: 10 });
  await using flooder = await Probe.open(server.wsUrl);
  await using bystander = await Probe.open(server.wsUrl);
  // 30 pings at once against a burst of 20.
  for (let id = 0; id < 30; id++) flooder.send({ type: "ping", id });
  const replies = await Promise.all(Array.from({ length: 30 }, (_, id) => flooder.reply(id)));
  const limited = replies.filter((r) => !r.ok);
  // The bucket refills while the frames arrive, so a token or two may come back.
  assert.ok(limited.length >= 8 && limited.length <= 10, `limited ${limited.length}`);
  assert.ok(limited.every((r) => r.error?.code === "rate_limited"));
  // Rate-limited frames are refused before they are read, so the error carries id null.
  const byNull = flooder.frames.filter((f) => f.type === "reply" && f.id === null);
  assert.equal(byNull.length, 0, "rate_limited replies keep the request id");
  for (let id = 0; id < 15; id++) assert.equal((await bystander.request("ping")).ok, true);
});

Deno.test("bad input: a client that keeps flooding for 5 s is closed with 1008", async () => {
  await using server = await startTestServer({ rateLimit: 2 });
  await using flooder = await Probe.open(server.wsUrl);
  await using bystander = await Probe.open(server.wsUrl);
  const started = Date.now();
  let closed: CloseEvent | undefined;
  flooder.closed.then((e) => closed = e);
  // Closed after the grace, once it has paused for CLOSE_QUIET_MS or at most CLOSE_LINGER_MS later.
  while (!closed && Date.now() - started < FLOOD_GRACE_MS + CLOSE_LINGER_MS + 3000) {
    flooder.send({ type: "ping" });
    await delay(50);
  }
  assert.ok(closed, "the flooder was not closed");
  assert.equal(closed.code, CLOSE_CODES.policyViolation);
  assert.ok(Date.now() - started >= FLOOD_GRACE_MS, "closed before the grace ran out");
  assert.equal((await bystander.request("ping")).ok, true);
});

/** `count` masked text frames in one buffer, for a client that writes faster than frame by frame. */
function maskedFrames(text: string, count: number): Uint8Array {
  const payload = new TextEncoder().encode(text);
  assert.ok(payload.length < 126, "short frames only");
  // The mask key is all zeros: masked as RFC 6455 requires, payload unchanged.
  const frame = new Uint8Array(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  frame.set(payload, 6);
  const all = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) all.set(frame, i * frame.length);
  return all;
}

Deno.test("bad input: a raw client that floods without reading, then reads, finds the 1008 close frame", async () => {
  // The slow-consumer limit is out of the way: the replies the flooder leaves unread pile up.
  await using server = await startTestServer({ rateLimit: 2, maxBufferedBytes: 64 << 20 });
  const flooder = await RawSocket.connect(server.port);
  try {
    assert.equal((await flooder.readJson()).type, "welcome");
    // Bursts of 20 pings every 10 ms, with nothing read, until well past the flood grace: the
    // verdict comes while the client's input is still queued behind it, and the replies it
    // leaves unread fill its receive window, so the server's close frame waits in its send queue.
    const burst = maskedFrames(JSON.stringify({ type: "ping", id: 1 }), 20);
    const until = Date.now() + FLOOD_GRACE_MS + 1000;
    let sent = 0;
    try {
      while (Date.now() < until) {
        await flooder.conn.write(burst);
        sent += 20;
        await delay(10);
      }
    } catch (err) {
      // Writing may fail once the server is gone; what counts is what can still be read.
      assert.ok(
        err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset,
        String(err),
      );
    }
    let code: number | undefined;
    while (code === undefined) {
      const frame = await flooder.readFrame();
      if (!frame) break;
      if (frame.opcode === 8) code = closeCode(frame);
    }
    assert.equal(code, CLOSE_CODES.policyViolation, `no 1008 close frame after ${sent} frames`);
  } finally {
    flooder.drop();
  }
});

Deno.test("bad input: chat over CHAT_RATE is refused while other requests pass", async () => {
  await using server = await startTestServer({ chatRate: 2 });
  await using probe = await Probe.open(server.wsUrl);
  for (let id = 0; id < 6; id++) {
    probe.send({ type: "chat", id, data: { room: "lobby", text: "x" } });
  }
  const replies = await Promise.all(Array.from({ length: 6 }, (_, id) => probe.reply(id)));
  assert.deepEqual(replies.map((r) => r.ok), [true, true, true, true, false, false]);
  assert.equal(replies[5].error?.code, "rate_limited");
  assert.match(replies[5].error!.message, /chat/);
  // Notifying requests share the chat bucket; plain requests do not.
  assert.equal((await probe.request("set_name", { name: "x" })).error?.code, "rate_limited");
  assert.equal((await probe.request("ping")).ok, true);
});

Deno.test("CHAT_RATE=0 turns the chat limit off", async () => {
  await using server = await startTestServer({ chatRate: 0 });
  await using probe = await Probe.open(server.wsUrl);
  for (let id = 0; id < 200; id++) {
    probe.send({ type: "chat", id, data: { room: "lobby", text: `m${id}` } });
  }
  const replies = await Promise.all(Array.from({ length: 200 }, (_, id) => probe.reply(id)));
  assert.ok(replies.every((r) => r.ok));
});

Deno.test("bad input: a client that stops reading is closed with 4008; others see no delay", async () => {
  const maxBufferedBytes = 64 * 1024;
  // Resume off: the slow client's session ends with its connection (with resume on it would wait
  // away, bounded by RESUME_BUFFER).
  await using server = await startTestServer({ chatRate: 0, maxBufferedBytes, resumeTtlMs: 0 });
  const slow = await RawSocket.connect(server.port);
  try {
    const welcome = await slow.readJson();
    assert.equal(welcome.type, "welcome");
    const slowId = welcome.data!.sessionId as string;
    await using talker = await Probe.open(server.wsUrl);

    // The slow client now reads nothing. The talker fills the lobby with 4,000-character messages:
    // 40 MB in all, far more than the kernel's socket buffers can absorb.
    const text = "x".repeat(4000);
    const left = talker.next((f) => f.type === "presence" && f.data?.sessionId === slowId, 20_000);
    let id = 0;
    let gone = false;
    left.then(() => gone = true, () => {});
    while (!gone && id < 10_000) {
      const batch = [];
      for (let i = 0; i < 100; i++, id++) {
        talker.send({ type: "chat", id, data: { room: "lobby", text } });
        batch.push(id);
      }
      // The talker's own replies and echoes keep flowing while the slow client backs up.
      const replies = await Promise.all(batch.map((i) => talker.reply(i)));
      assert.ok(replies.every((r) => r.ok));
    }
    const presence = await left;
    assert.equal(presence.data?.action, "leave");
    assert.equal(server.services.hub.session(slowId), undefined);
    assert.equal((await stats(server)).count, 1);

    // Reading everything that was queued ends with the 4008 close frame.
    let code: number | undefined;
    while (true) {
      const frame = await slow.readFrame();
      if (!frame) break;
      if (frame.opcode === 8) {
        code = closeCode(frame);
        break;
      }
    }
    assert.equal(code, CLOSE_CODES.slowConsumer);
  } finally {
    slow.drop();
  }
});

function upgradeHeaders(origin?: string): HeadersInit {
  const headers: Record<string, string> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };
  if (origin) headers.origin = origin;
  return headers;
}

Deno.test("bad input: an upgrade from a foreign Origin is refused with 403", async () => {
  await using server = await startTestServer();
  const refused = await fetch(`${server.origin}/ws`, {
    headers: upgradeHeaders("https://evil.example"),
  });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  assert.equal((await stats(server)).count, 0);
  // The server's own origin, and clients that send no Origin, get in.
  await using own = await Probe.open(server.wsUrl, { origin: server.origin });
  await using none = await Probe.open(server.wsUrl);
  assert.equal((await own.request("ping")).ok, true);
  assert.equal((await none.request("ping")).ok, true);
  assert.equal((await stats(server)).count, 2);
});

Deno.test("ALLOWED_ORIGINS lets listed origins in; * lets every origin in", async () => {
  {
    await using server = await startTestServer({ allowedOrigins: ["https://app.example"] });
    await using listed = await Probe.open(server.wsUrl, { origin: "https://app.example" });
    assert.equal((await listed.request("ping")).ok, true);
    const other = await fetch(`${server.origin}/ws`, {
      headers: upgradeHeaders("https://other.example"),
    });
    assert.equal(other.status, 403);
    await other.body?.cancel();
  }
  {
    await using server = await startTestServer({ allowedOrigins: ["*"] });
    await using any = await Probe.open(server.wsUrl, { origin: "https://other.example" });
    assert.equal((await any.request("ping")).ok, true);
  }
});
