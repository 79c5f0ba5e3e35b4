/**
 * The server API's answers: JSON in every case, errors as `{"error": {"code", "message"}}` with
 * the wire protocol's codes and the HTTP status each one means.
 *
 * @module
 */

import type { ApiErrorBody, ApiErrorCode } from "../../protocol/api.ts";

/** Nothing the API answers may be cached: every answer is about now. */
const HEADERS = { "cache-control": "no-store" };

/** The HTTP status of each error code the API answers with. */
const STATUS: Partial<Record<ApiErrorCode, number>> = {
  bad_request: 400,
  bad_json: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
};

/** A call's answer, 200 unless told. */
export function answer(body: unknown, init: ResponseInit = {}): Response {
  return Response.json(body, { ...init, headers: { ...HEADERS, ...init.headers } });
}

/**
 * An error answer. Its status follows `code` (400 for a code with none of its own), unless
 * `status` says otherwise (413 for a body too large, still a `bad_request`).
 */
export function apiError(
  code: ApiErrorCode,
  message: string,
  { status, headers }: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const body: ApiErrorBody = { error: { code, message } };
  return answer(body, { status: status ?? STATUS[code] ?? 400, headers });
}
