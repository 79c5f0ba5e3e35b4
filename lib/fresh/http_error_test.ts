import assert from "node:assert/strict";
import { HttpError, statusText } from "./http_error.ts";

Deno.test("HttpError carries status and defaults its message to the reason phrase", () => {
  const err = new HttpError(404);
  assert.ok(err instanceof Error);
  assert.equal(err.status, 404);
  assert.equal(err.message, "Not Found");
  assert.equal(err.name, "HttpError");
});

Deno.test("HttpError keeps a custom message and cause", () => {
  const cause = new Error("db down");
  const err = new HttpError(503, "Try later", { cause });
  assert.equal(err.message, "Try later");
  assert.equal(err.cause, cause);
});

Deno.test("HttpError refuses statuses that are not errors", () => {
  assert.throws(() => new HttpError(200), RangeError);
  assert.throws(() => new HttpError(600), RangeError);
  assert.throws(() => new HttpError(404.5), RangeError);
});

Deno.test("statusText falls back for unknown codes", () => {
  assert.equal(statusText(403), "Forbidden");
  assert.equal(statusText(499), "HTTP 499");
});
