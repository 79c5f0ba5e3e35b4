/**
 * Reading a server API request's input as hostile input: a body over the limit is refused
 * whether or not it says its length (a chunked body is read no further than the limit), bytes that
 * are not UTF-8, an empty body and bad JSON are each named; a query parameter given twice is
 * refused.
 */

import assert from "node:assert/strict";
import { readJsonBody, readQuery } from "./body.ts";

/** A POST whose body comes in `chunks`, with no `Content-Length`; `pulled` counts chunks read. */
function chunked(chunks: Uint8Array[]): Request & { pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled < chunks.length) controller.enqueue(chunks[pulled++]);
      else controller.close();
    },
  });
  const request = new Request("http://x/api/publish", { method: "POST", body });
  return Object.assign(request, { pulled: () => pulled });
}

Deno.test("a body over the limit is refused with 413, declared or not, without reading it all", async () => {
  const declared = new Request("http://x/", {
    method: "POST",
    body: "x".repeat(100),
    headers: { "content-length": "100" },
  });
  assert.deepEqual(await readJsonBody(declared, 64), {
    ok: false,
    message: "The body is over 64 bytes",
    status: 413,
  });
  const chunks = Array.from({ length: 1000 }, () => new Uint8Array(40).fill(0x20));
  const request = chunked(chunks);
  const answer = await readJsonBody(request, 64);
  assert.equal(answer.ok, false);
  assert.equal((answer as { status?: number }).status, 413);
  assert.ok(request.pulled() < 10, `read ${request.pulled()} of 1,000 chunks`);
});

Deno.test("bytes that are not UTF-8, an empty body and bad JSON are each named", async () => {
  const read = (bytes: Uint8Array<ArrayBuffer> | string) =>
    readJsonBody(new Request("http://x/", { method: "POST", body: bytes }), 1024);
  assert.deepEqual(await read(new Uint8Array([0x7b, 0xff, 0x7d])), {
    ok: false,
    message: "The body is not valid UTF-8",
  });
  assert.deepEqual(await read("  "), {
    ok: false,
    message: "The body is empty; send a JSON object",
  });
  assert.deepEqual(await read("{room:"), { ok: false, message: "The body is not valid JSON" });
  assert.deepEqual(await read('{"room":"r"}'), { ok: true, value: { room: "r" } });
  const split = chunked([new TextEncoder().encode('{"te'), new TextEncoder().encode('xt":"é"}')]);
  assert.deepEqual(await readJsonBody(split, 1024), { ok: true, value: { text: "é" } });
});

Deno.test("query parameters: each given once, as strings", () => {
  assert.deepEqual(readQuery(new URL("http://x/?room=a&limit=5")), {
    ok: true,
    value: { room: "a", limit: "5" },
  });
  assert.deepEqual(readQuery(new URL("http://x/?room=a&room=b")), {
    ok: false,
    message: "room is given more than once",
  });
});
