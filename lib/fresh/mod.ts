/**
 * A small server core with Fresh 2's API (`jsr:@fresh/core`): the parts this
 * project uses. See docs/fresh.md for what is covered and how it differs.
 *
 * @module
 */

export { App, type FreshConfig, type ListenOptions } from "./app.ts";
export type { Context, FreshContext, ResolvedFreshConfig } from "./context.ts";
export { createDefine, type Define } from "./define.ts";
export { type RouteConfig } from "./fs_routes.ts";
export {
  type HandlerByMethod,
  type HandlerFn,
  type Method,
  page,
  type PageResponse,
  type RouteData,
  type RouteHandler,
} from "./handlers.ts";
export { HttpError } from "./http_error.ts";
export type { Middleware, MiddlewareFn } from "./middleware.ts";
export type { LayoutConfig, PageProps } from "./render.ts";
export { staticFiles } from "./static_files.ts";
