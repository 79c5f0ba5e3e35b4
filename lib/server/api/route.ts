/**
 * One handler for every server API route (`routes/api/`), so each route file only says which call
 * it is and what it asks of the hub. In order, a request is:
 *
 * 1. refused with 404 while `API_KEY` is unset: the API is off, whatever the method;
 * 2. refused with 401 `unauthorized` without `Authorization: Bearer <API_KEY>`, compared in
 *    constant time;
 * 3. refused with 405 for a method the call does not take;
 * 4. read (a JSON body for POST, the query for GET) and checked against the call's entry in
 *    `API_CALLS` (`lib/protocol/api.ts`): 400 `bad_request` naming the first bad field;
 * 5. run once per `idempotencyKey`, when it carries one (`idempotency.ts`);
 * 6. answered with JSON: the call's result, or its `HubError`'s code, or 500 `internal` (logged
 *    with its stack) for a bug.
 *
 * @module
 */

import type { Context } from "fresh";
import { HubError } from "../../hub/hub.ts";
import {
  API_CALLS,
  API_LIMITS,
  type ApiCall,
  type ApiRequest,
  type ApiResult,
  checkApiRequest,
} from "../../protocol/api.ts";
import type { State } from "../../../utils.ts";
import type { Services } from "../services.ts";
import { hasBearer } from "../bearer.ts";
import { readJsonBody, readQuery } from "./body.ts";
import { answer, apiError } from "./errors.ts";
import { once } from "./idempotency.ts";

/** What a route runs once its input is checked. */
export type Run<C extends ApiCall> = (
  services: Services,
  request: ApiRequest<C>,
) => Promise<ApiResult<C>>;

export interface ApiRouteOptions {
  /** Input taken from the path (`/api/users/:userId/sessions`), checked with the rest. */
  params?: (ctx: Context<State>) => Record<string, string>;
}

/**
 * The handler of call `call`, for every method (see the module doc for the order of checks).
 *
 * @example
 * ```ts
 * export const handler = define.handlers(
 *   apiRoute("publish", ({ hub }, request) => hub.calls.publish(request)),
 * );
 * ```
 */
export function apiRoute<C extends ApiCall>(
  call: C,
  run: Run<C>,
  options: ApiRouteOptions = {},
): (ctx: Context<State>) => Promise<Response> {
  const { method } = API_CALLS[call];
  return async (ctx) => {
    const response = await handle(ctx);
    ctx.state.services.api.answered(call, response.status);
    return response;
  };

  async function handle(ctx: Context<State>): Promise<Response> {
    const { services } = ctx.state;
    const req = ctx.req;
    if (!services.config.apiKey) {
      return apiError("not_found", "The server API is off: set API_KEY to turn it on");
    }
    if (!hasBearer(req, services.config.apiKey)) {
      const given = req.headers.has("authorization");
      return apiError(
        "unauthorized",
        given ? "The API key is wrong" : "Send the API key as Authorization: Bearer <API_KEY>",
        { headers: { "www-authenticate": 'Bearer realm="api"' } },
      );
    }
    if (req.method !== method) {
      return apiError("bad_request", `${call} takes ${method}, not ${req.method.slice(0, 16)}`, {
        status: 405,
        headers: { allow: method },
      });
    }
    const input = method === "GET"
      ? readQuery(ctx.url)
      : await readJsonBody(req, API_LIMITS.maxBodyBytes);
    if (!input.ok) return apiError("bad_request", input.message, { status: input.status });
    const value = options.params && typeof input.value === "object"
      ? { ...input.value, ...options.params(ctx) }
      : input.value;
    const checked = checkApiRequest(call, value);
    if (!checked.ok) return apiError("bad_request", checked.message);
    try {
      return await respond(services, call, checked.request, run);
    } catch (err) {
      if (err instanceof HubError) {
        // A room too far behind in its deliveries: the backend should wait a moment.
        const headers = err.code === "rate_limited" ? { "retry-after": "1" } : undefined;
        return apiError(err.code, err.message, { headers });
      }
      services.log.error("server API call failed", { call, error: err as Error });
      return apiError("internal", "Internal error; the call may not have completed");
    }
  }
}

/** Runs a checked call, once per idempotency key when it carries one. */
async function respond<C extends ApiCall>(
  services: Services,
  call: C,
  request: ApiRequest<C>,
  run: Run<C>,
): Promise<Response> {
  const key = (request as { idempotencyKey?: string }).idempotencyKey;
  if (key === undefined) return answer(await run(services, request));
  const outcome = await once({
    store: services.hub.cluster.idempotency,
    key: `${call}:${key}`,
    request,
    ttlMs: API_LIMITS.idempotencyTtlMs,
  }, () => run(services, request));
  if (outcome.kind === "reused") {
    return apiError("bad_request", "idempotencyKey was already used for a different request");
  }
  if (outcome.kind === "busy") {
    return apiError(
      "conflict",
      "The first call with this idempotencyKey is still running; retry in a moment",
      { headers: { "retry-after": "1" } },
    );
  }
  const headers = { "idempotent-replayed": String(outcome.replayed) };
  return answer(outcome.body, { headers });
}
