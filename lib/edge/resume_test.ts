import assert from "node:assert/strict";
import { resumeToken } from "./resume.ts";

const at = (query: string) => resumeToken(new URL(`http://localhost/ws${query}`));

Deno.test("a well-formed resume token is read from the query", () => {
  assert.equal(at("?resume=Ab-_.09"), "Ab-_.09");
  assert.equal(at(`?resume=${"a".repeat(256)}`), "a".repeat(256));
});

Deno.test("a missing, empty, repeated, too long or malformed token counts as none", () => {
  for (
    const query of [
      "",
      "?resume=",
      "?resume=a&resume=b",
      `?resume=${"a".repeat(257)}`,
      "?resume=a%20b",
      "?resume=%00",
      "?resume=%E2%9C%93",
      "?resume=a/b",
      "?resume=<script>",
    ]
  ) assert.equal(at(query), undefined, query);
});
