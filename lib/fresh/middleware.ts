/**
 * Middleware types and the loop that runs a middleware chain.
 *
 * @module
 */

import type { Context } from "./context.ts";

/**
 * A middleware: answers with a `Response`, or calls `ctx.next()` to hand the
 * request to the next middleware or handler and returns (or changes) its answer.
 *
 * ```ts
 * import type { Middleware } from "fresh";
 *
 * const timing: Middleware<unknown> = async (ctx) => {
 *   const start = performance.now();
 *   const res = await ctx.next();
 *   res.headers.set("server-timing", `total;dur=${performance.now() - start}`);
 *   return res;
 * };
 * ```
 */
export type MiddlewareFn<State> = (ctx: Context<State>) => Response | Promise<Response>;

/** Same as {@linkcode MiddlewareFn}; both names exist in Fresh 2. */
export type Middleware<State> = MiddlewareFn<State>;

/**
 * Runs `fns` in order on `ctx`. Each one's `ctx.next()` calls the following
 * one; `ctx.next()` of the last one calls `fallback`.
 */
export function runMiddlewares<State>(
  ctx: Context<State>,
  fns: readonly MiddlewareFn<State>[],
  fallback: MiddlewareFn<State>,
): Promise<Response> {
  const step = async (i: number): Promise<Response> => {
    const fn = i < fns.length ? fns[i] : fallback;
    const outerNext = ctx.next;
    ctx.next = i < fns.length ? () => step(i + 1) : () => {
      return Promise.reject(new Error("ctx.next() called past the end of the middleware chain"));
    };
    try {
      const res = await fn(ctx);
      if (!(res instanceof Response)) {
        throw new TypeError(
          `Middleware ${fn.name || "(anonymous)"} must return a Response, got ${describe(res)}`,
        );
      }
      return res;
    } finally {
      // A middleware that calls ctx.next() again after it resolved must reach
      // its own successor, not the innermost one.
      ctx.next = outerNext;
    }
  };
  return step(0);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
