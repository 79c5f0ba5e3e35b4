/**
 * `Context`: the per-request object every middleware, handler and page sees.
 *
 * @module
 */

import type { VNode } from "preact";
import { type LayoutConfig, renderResponse, type UiTree } from "./render.ts";

/** The app's settings after defaults are applied; `ctx.config`. */
export interface ResolvedFreshConfig {
  /** Absolute path of the project directory that holds `routes/` and `static/`. */
  root: string;
}

/** What the app passes to `new Context()`. Internal; app code never builds a Context. */
export interface ContextInit {
  req: Request;
  url: URL;
  info: Deno.ServeHandlerInfo | undefined;
  config: ResolvedFreshConfig;
  route: string | null;
  params: Record<string, string>;
  ui: UiTree;
}

/** The per-request context passed to every middleware and handler. */
export class Context<State> {
  /** The app's resolved settings. */
  readonly config: ResolvedFreshConfig;
  /** The request URL, parsed. */
  readonly url: URL;
  /** The original incoming `Request`, exactly as the server passed it in. */
  readonly req: Request;
  /** The matched route pattern, e.g. `"/blog/:id"`, or `null` when no route matched. */
  readonly route: string | null;
  /** The matched route's URL parameters, decoded. */
  readonly params: Record<string, string>;
  /** Per-request state, shared by middlewares, handlers and pages. Starts as `{}`. */
  readonly state: State = {} as State;
  /** Connection info from `Deno.serve`; `undefined` when the handler was called without it. */
  readonly info: Deno.ServeHandlerInfo | undefined;
  /** The error being rendered by an error page, else `null`. */
  error: unknown = null;
  /** Calls the next middleware or the route handler and resolves to its response. */
  next: () => Promise<Response>;

  #ui: UiTree;

  constructor(init: ContextInit) {
    this.req = init.req;
    this.url = init.url;
    this.info = init.info;
    this.config = init.config;
    this.route = init.route;
    this.params = init.params;
    this.#ui = init.ui;
    this.next = () => Promise.reject(new Error("ctx.next() called outside a middleware chain"));
  }

  /**
   * Renders `vnode` inside the `_app` wrapper and the route's layouts and
   * returns an HTML response (`<!DOCTYPE html>`, `text/html; charset=utf-8`).
   * Called with no vnode, it renders the route's page component instead.
   *
   * ```tsx
   * import { App } from "fresh";
   *
   * new App().get("/hello", (ctx) => ctx.render(<h1>Hello</h1>, { status: 200 }));
   * ```
   */
  render(
    // deno-lint-ignore no-explicit-any
    vnode?: VNode<any> | null,
    init?: ResponseInit,
    config?: LayoutConfig,
  ): Promise<Response> {
    try {
      return Promise.resolve(
        renderResponse(this, { ui: this.#ui, vnode, data: undefined, init, config }),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A redirect response to `pathOrUrl` (302 unless `status` says otherwise).
   * Leading runs of slashes are collapsed, so `"//evil.example"` stays on this site.
   *
   * ```ts
   * import { App } from "fresh";
   *
   * new App().get("/old", (ctx) => ctx.redirect("/new", 301));
   * ```
   */
  redirect(pathOrUrl: string, status = 302): Response {
    const location = pathOrUrl.startsWith("/") ? pathOrUrl.replace(/^[/\\]+/, "/") : pathOrUrl;
    return new Response(null, { status, headers: { location } });
  }
}

/** Fresh 1's name for {@linkcode Context}, still exported by Fresh 2. */
export type FreshContext<State = unknown> = Context<State>;
