/**
 * A small client for the server API (`docs/api.md`), for the `publish` command, the benchmark and
 * the tests: one function per HTTP method, answering the status and the parsed JSON body.
 *
 * @module
 */

import type { ApiCall, ApiErrorBody, ApiRequest, ApiResult } from "../lib/protocol/api.ts";

/** An answer: the call's result on 200, an error body otherwise. */
export type ApiAnswer<C extends ApiCall> =
  | { status: 200; body: ApiResult<C>; headers: Headers }
  | { status: number; body: ApiErrorBody; headers: Headers };

/** Where the API is and the key to it; `key` undefined sends no `Authorization` header. */
export interface ApiTarget {
  /** The server's origin, e.g. `http://127.0.0.1:8000`. */
  url: string;
  key: string | undefined;
}

const PATHS: Record<Exclude<ApiCall, "user_sessions">, string> = {
  publish: "/api/publish",
  broadcast: "/api/broadcast",
  disconnect: "/api/disconnect",
  presence: "/api/presence",
  history: "/api/history",
};

function headers(target: ApiTarget): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.key !== undefined) headers.authorization = `Bearer ${target.key}`;
  return headers;
}

async function read<C extends ApiCall>(response: Response): Promise<ApiAnswer<C>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(
      `${response.url} answered ${response.status} without JSON; is it this hub, of a version ` +
        `with the server API? (${text.slice(0, 80).trim()})`,
    );
  }
  return { status: response.status, body, headers: response.headers } as ApiAnswer<C>;
}

/**
 * POSTs a call's body (any value: tests send bad ones).
 *
 * @example
 * ```ts
 * const target = { url: "http://127.0.0.1:8000", key: Deno.env.get("API_KEY") };
 * const { status, body } = await post(target, "publish", { room: "lobby", text: "hi" });
 * ```
 */
export async function post<C extends "publish" | "broadcast" | "disconnect">(
  target: ApiTarget,
  call: C,
  body: ApiRequest<C> | unknown,
): Promise<ApiAnswer<C>> {
  const response = await fetch(new URL(PATHS[call], target.url), {
    method: "POST",
    headers: headers(target),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return read<C>(response);
}

/** GETs a call with its query, or the sessions of user `query.userId`. */
export async function get<C extends "presence" | "history" | "user_sessions">(
  target: ApiTarget,
  call: C,
  query: Record<string, string>,
): Promise<ApiAnswer<C>> {
  const { userId, ...rest } = query;
  const path = call === "user_sessions"
    ? `/api/users/${encodeURIComponent(userId)}/sessions`
    : PATHS[call as Exclude<C, "user_sessions">];
  const url = new URL(path, target.url);
  for (const [key, value] of Object.entries(call === "user_sessions" ? rest : query)) {
    url.searchParams.set(key, value);
  }
  const response = await fetch(url, { headers: headers(target) });
  return read<C>(response);
}
