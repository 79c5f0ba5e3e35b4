/**
 * Route handler types, the `page()` helper, and picking the function that
 * answers a given HTTP method.
 *
 * @module
 */

import type { Context } from "./context.ts";

/** The HTTP methods a per-method handler object may define. */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** One of {@linkcode METHODS}. */
export type Method = typeof METHODS[number];

/** What `page()` returns: data for the route's page component plus response options. */
export interface PageResponse<Data> {
  /** Passed to the page component as `props.data`. */
  data: Data;
  /** Extra response headers. */
  headers?: HeadersInit;
  /** Response status; 200 when omitted. */
  status?: number;
}

/** Response options accepted by {@linkcode page}. */
export interface PageInit {
  headers?: HeadersInit;
  status?: number;
}

/**
 * Return this from a route handler to render the route's page component with
 * `data` as `props.data`.
 *
 * ```ts
 * import { page } from "fresh";
 *
 * export const handler = {
 *   GET() {
 *     return page({ greeting: "hi" }, { headers: { "cache-control": "no-store" } });
 *   },
 * };
 * ```
 */
export function page(): PageResponse<undefined>;
export function page<Data>(data: Data, init?: PageInit): PageResponse<Data>;
export function page<Data>(data?: Data, init?: PageInit): PageResponse<Data | undefined> {
  return { data, headers: init?.headers, status: init?.status };
}

/**
 * A route handler function. It answers with a `Response`, or with `page(data)`
 * to render the route's page component.
 */
export interface HandlerFn<Data, State> {
  (ctx: Context<State>):
    | Response
    | PageResponse<Data>
    | Promise<Response | PageResponse<Data>>;
}

/** Handler functions keyed by HTTP method; other methods get 405. */
export type HandlerByMethod<Data, State> = { [M in Method]?: HandlerFn<Data, State> };

/** A route's `handler` export: one function for every method, or one per method. */
export type RouteHandler<Data, State> = HandlerFn<Data, State> | HandlerByMethod<Data, State>;

/** The `Data` type a route handler passes to its page. */
export type RouteData<H> = H extends HandlerFn<infer Data, infer _S> ? Data
  : H extends HandlerByMethod<infer Data, infer _S> ? Data
  : never;

/** Whether `value` looks like the result of {@linkcode page}. */
export function isPageResponse(value: unknown): value is PageResponse<unknown> {
  return typeof value === "object" && value !== null && "data" in value;
}

/**
 * The methods a handler answers, or `"*"` for a handler function.
 * A page component without a GET handler still answers GET. HEAD is implied by GET.
 */
export function allowedMethods(
  handler: RouteHandler<unknown, never> | undefined,
  hasPage: boolean,
): "*" | Method[] {
  if (typeof handler === "function") return "*";
  const methods = new Set<Method>();
  if (handler) {
    for (const method of METHODS) {
      if (typeof handler[method] === "function") methods.add(method);
    }
  }
  if (hasPage) methods.add("GET");
  if (methods.has("GET")) methods.add("HEAD");
  return METHODS.filter((m) => methods.has(m));
}

/**
 * The function that answers `method`: the handler function itself, the
 * method's entry (GET for HEAD when HEAD is absent), or `undefined`.
 */
export function handlerFor<Data, State>(
  handler: RouteHandler<Data, State> | undefined,
  method: string,
): HandlerFn<Data, State> | undefined {
  if (handler === undefined) return undefined;
  if (typeof handler === "function") return handler;
  const own = handler[method as Method];
  if (own) return own;
  return method === "HEAD" ? handler.GET : undefined;
}
