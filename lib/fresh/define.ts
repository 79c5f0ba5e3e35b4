/**
 * `createDefine()`: identity helpers that give route files their types.
 *
 * @module
 */

import type { ComponentType } from "preact";
import type { HandlerByMethod, HandlerFn, RouteHandler } from "./handlers.ts";
import type { MiddlewareFn } from "./middleware.ts";
import type { PageProps } from "./render.ts";

/** The helpers returned by {@linkcode createDefine}; each returns its argument unchanged. */
export interface Define<State> {
  /**
   * Types a route's `handler` export. `Data` is inferred from what the
   * handlers pass to `page()`, or may be given explicitly.
   */
  handlers<Data, H extends RouteHandler<Data, State> = RouteHandler<Data, State>>(
    handlers: H,
  ): H;

  /**
   * Types a page component. Pass `typeof handler` to type `props.data` from
   * the route's handler; omit it for a page without handler.
   */
  page<
    // deno-lint-ignore no-explicit-any
    Handler extends RouteHandler<any, State> = never,
    Data = Handler extends HandlerFn<infer D, State> ? D
      : Handler extends HandlerByMethod<infer D, State> ? D
      : never,
  >(page: ComponentType<PageProps<Data, State>>): ComponentType<PageProps<Data, State>>;

  /** Types a middleware, or an array of middlewares (as `_middleware.ts` may export). */
  middleware<M extends MiddlewareFn<State> | MiddlewareFn<State>[]>(middleware: M): M;

  /** Types a layout or `_app` component. */
  layout(
    layout: ComponentType<PageProps<unknown, State>>,
  ): ComponentType<PageProps<unknown, State>>;
}

/**
 * Creates the `define` helpers for an app's `State`. Call it once, export the
 * result, and use it in route files.
 *
 * ```tsx
 * import { createDefine, page } from "fresh";
 *
 * const define = createDefine<{ user: string }>();
 *
 * export const handler = define.handlers({
 *   GET(ctx) {
 *     return page({ greeting: `Hi ${ctx.state.user}` });
 *   },
 * });
 *
 * export default define.page<typeof handler>(({ data }) => <p>{data.greeting}</p>);
 * ```
 */
export function createDefine<State>(): Define<State> {
  return {
    handlers: (handlers) => handlers,
    page: (page) => page,
    middleware: (middleware) => middleware,
    layout: (layout) => layout,
  };
}
