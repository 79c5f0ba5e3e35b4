/**
 * The docs issue 14 asks for, checked for the words its readers will look for: the new close code
 * in the close-code table, the new events, requests and error codes in protocol.md and the wire
 * types, and the README's "Use it from your app" section.
 */

import assert from "node:assert/strict";
import { ERROR_CODES } from "../lib/protocol/mod.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("docs: the close-code table says 4001 is the token's expiry", async () => {
  const text = await read("docs/operations.md") +
    await read("docs/protocol.md");
  // main already lists a client-side 4001 (the browser went offline); the row must now say the
  // server closes with it when the token expires.
  assert.match(
    text,
    /^\|\s*\**4001\**\s*\|[^\n]*(token|expir)/im,
    "no close-code table row saying 4001 is the token's expiry",
  );
});

Deno.test("docs: protocol.md, the wire types and the README are current", async () => {
  const protocol = await read("docs/protocol.md");
  for (
    const word of ["userId", "token_expiring", "refresh", "unauthorized", "forbidden", "private-"]
  ) {
    assert.ok(protocol.includes(word), `docs/protocol.md does not mention ${word}`);
  }
  for (const code of ["unauthorized", "forbidden"]) {
    assert.ok((ERROR_CODES as readonly string[]).includes(code), `ERROR_CODES lacks ${code}`);
  }
  const readme = await read("README.md");
  assert.match(readme, /^#+ .*use it from your app/im, 'no "Use it from your app" section');
});
