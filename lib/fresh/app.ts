/**
 * `App`: the request router that middlewares, routes and file-system routes
 * are registered on, top to bottom.
 *
 * @module
 */

import { join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { installedRoot, loadAppBuild } from "./build_cache.ts";
import { Context, type ResolvedFreshConfig } from "./context.ts";
import { type FsPage, type FsRoute, loadFsRoutes } from "./fs_routes.ts";
import { handlerFor, isPageResponse } from "./handlers.ts";
import { HttpError, statusText } from "./http_error.ts";
import { type MiddlewareFn, runMiddlewares } from "./middleware.ts";
import { type AnyPageComponent, renderResponse, type UiTree } from "./render.ts";
import { middlewareItem, resolve, routeItem, type RouterItem } from "./router.ts";

/** Options for `new App()`. */
export interface FreshConfig {
  /**
   * The project folder holding `routes/` and `static/`: a path (relative
   * paths resolve against the working directory) or a `file:` URL.
   * Defaults to the project of the production build (`_fresh/server.js`
   * knows its own location), else `Deno.cwd()`.
   */
  root?: string | URL;
}

/** Options for {@linkcode App.listen}; passed on to `Deno.serve`. */
export type ListenOptions = Partial<Deno.ServeTcpOptions>;

interface ErrorPages {
  error: FsPage | null;
  notFound: FsPage | null;
}

interface AppRoute<State> {
  /** The route's own middlewares, then its handler. */
  fns: MiddlewareFn<State>[];
  /** `null`: only the `_app` wrapper (routes registered with `get()` etc.). */
  ui: UiTree | null;
  /** `null`: the app-wide `_error` / `_404`. */
  pages: ErrorPages | null;
}

type Item<State> = RouterItem<MiddlewareFn<State>, AppRoute<State>>;
type Command<State> = Item<State> | { kind: "fsRoutes" };

const PLAIN_TEXT = { "content-type": "text/plain; charset=utf-8" };

/**
 * The application. Register middlewares and routes in order, then serve it
 * with `listen()` or hand `handler()` to a server.
 *
 * ```ts
 * import { App, staticFiles } from "fresh";
 *
 * export const app = new App<{ user?: string }>()
 *   .use(staticFiles())
 *   .get("/health", () => new Response("ok"))
 *   .fsRoutes();
 *
 * if (import.meta.main) app.listen({ port: 8000 });
 * ```
 */
export class App<State = unknown> {
  /** Settings after defaults, as seen by `ctx.config`. */
  readonly config: ResolvedFreshConfig;

  #commands: Command<State>[] = [];
  #items: Item<State>[] = [];
  #ready: Promise<void> | null = null;
  #appWrapper: AnyPageComponent | null = null;
  #pages: ErrorPages = { error: null, notFound: null };

  constructor(config: FreshConfig = {}) {
    const root = config.root ?? installedRoot() ?? Deno.cwd();
    const path = root instanceof URL || root.startsWith("file:") ? fileURLToPath(root) : root;
    this.config = { root: resolvePath(path) };
  }

  /**
   * Adds middlewares for every path, or for `path` and everything below it
   * (`"/api"` or `"/api/*"`). They run for routes registered after them.
   */
  use(...middlewares: (MiddlewareFn<State> | MiddlewareFn<State>[])[]): this;
  use(path: string, ...middlewares: (MiddlewareFn<State> | MiddlewareFn<State>[])[]): this;
  use(
    first: string | MiddlewareFn<State> | MiddlewareFn<State>[],
    ...rest: (MiddlewareFn<State> | MiddlewareFn<State>[])[]
  ): this {
    const path = typeof first === "string" ? first : null;
    const fns = (typeof first === "string" ? rest : [first, ...rest]).flat();
    if (fns.length === 0) throw new TypeError("app.use() needs at least one middleware");
    return this.#add(middlewareItem(path, fns));
  }

  /** Answers GET (and HEAD) on `path`; the last function is the handler. */
  get(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["GET"], path, fns);
  }

  /** Answers POST on `path`. */
  post(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["POST"], path, fns);
  }

  /** Answers PUT on `path`. */
  put(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["PUT"], path, fns);
  }

  /** Answers PATCH on `path`. */
  patch(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["PATCH"], path, fns);
  }

  /** Answers DELETE on `path`. */
  delete(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["DELETE"], path, fns);
  }

  /** Answers HEAD on `path` (GET routes answer HEAD already). */
  head(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route(["HEAD"], path, fns);
  }

  /** Answers every method on `path`. */
  all(path: string, ...fns: MiddlewareFn<State>[]): this {
    return this.#route("*", path, fns);
  }

  /**
   * Mounts the file-system routes of `<root>/routes` at this point of the
   * list. The folder is scanned and its modules imported once, before the
   * first request is served.
   */
  fsRoutes(): this {
    if (this.#commands.some((c) => c.kind === "fsRoutes")) {
      throw new Error("app.fsRoutes() may only be called once");
    }
    return this.#add({ kind: "fsRoutes" });
  }

  /**
   * The request handler, e.g. for `Deno.serve(app.handler())` or tests.
   * `ctx.req` is the very `req` passed in. Route loading starts at once (as
   * Fresh 2 sets up its router here), so a server reports a broken route file
   * when it starts; requests wait for the load. If it fails, the error is
   * logged once and every request gets a 500.
   */
  handler(): (req: Request, info?: Deno.ServeHandlerInfo) => Promise<Response> {
    this.#prepare().catch(() => {}); // logged by #prepare(); requests answer 500
    return async (req, info) => {
      try {
        await this.#prepare();
      } catch {
        // #prepare() logged the cause once.
        return new Response(statusText(500), { status: 500, headers: PLAIN_TEXT });
      }
      const url = new URL(req.url);
      const found = resolve(this.#items, req.method, url.pathname);
      const route = found.route?.value ?? null;
      const ctx = new Context<State>({
        req,
        url,
        info,
        config: this.config,
        route: found.route?.path ?? null,
        params: found.params,
        ui: route?.ui ?? { app: this.#appWrapper, layouts: [], page: null },
      });
      const pages = route?.pages ?? this.#pages;

      let fallback: MiddlewareFn<State> = (ctx) =>
        this.#errorResponse(ctx, new HttpError(404), pages);
      if (route === null && found.allow.length > 0) {
        fallback = (ctx) => {
          const res = this.#errorResponse(ctx, new HttpError(405), pages);
          res.headers.set("allow", found.allow.join(", "));
          return res;
        };
      }

      let res: Response;
      try {
        res = await runMiddlewares(ctx, [...found.middlewares, ...(route?.fns ?? [])], fallback);
      } catch (err) {
        res = this.#errorResponse(ctx, err, pages);
      }
      if (req.method === "HEAD" && res.body !== null) {
        await res.body.cancel();
        res = new Response(null, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      }
      return res;
    };
  }

  /**
   * Starts `Deno.serve` with `options` (port 8000 and hostname 0.0.0.0 unless
   * given) and {@linkcode handler}, and returns the running server.
   */
  listen(options: ListenOptions = {}): Deno.HttpServer<Deno.NetAddr> {
    return Deno.serve(options, this.handler());
  }

  #add(command: Command<State>): this {
    this.#commands.push(command);
    this.#ready = null;
    return this;
  }

  #route(methods: "*" | string[], path: string, fns: MiddlewareFn<State>[]): this {
    if (fns.length === 0) throw new TypeError(`Route "${path}" needs a handler`);
    return this.#add(routeItem(path, methods, { fns, ui: null, pages: null }));
  }

  /** Builds the item list once (again after a registration); logs a failure once. */
  #prepare(): Promise<void> {
    return this.#ready ??= this.#build().catch((err) => {
      console.error("Loading routes failed:", err);
      throw err;
    });
  }

  async #build(): Promise<void> {
    const build = await loadAppBuild(this.config.root);
    const items: Item<State>[] = [];
    for (const command of this.#commands) {
      if (command.kind !== "fsRoutes") {
        items.push(command);
        continue;
      }
      const fs = await loadFsRoutes<State>(
        join(this.config.root, "routes"),
        build.routes?.load,
        build.routes?.files,
      );
      this.#appWrapper = fs.app;
      this.#pages = { error: fs.errorPage, notFound: fs.notFoundPage };
      if (fs.middlewares.length > 0) items.push(middlewareItem(null, fs.middlewares));
      for (const route of fs.routes) {
        items.push(routeItem(route.pattern, route.methods, {
          fns: [...route.middlewares, fsRouteHandler(route)],
          ui: route.ui,
          pages: { error: route.errorPage, notFound: route.notFoundPage },
        }));
      }
    }
    this.#items = items;
  }

  #errorResponse(ctx: Context<State>, err: unknown, pages: ErrorPages): Response {
    const status = err instanceof HttpError ? err.status : 500;
    if (status >= 500) console.error(err);
    ctx.error = err;
    const page = status === 404 ? pages.notFound ?? pages.error : pages.error;
    if (page !== null) {
      try {
        return renderResponse(ctx, { ui: page.ui, data: undefined, init: { status } });
      } catch (renderErr) {
        console.error(`Rendering ${page.file} failed:`, renderErr);
      }
    }
    const body = err instanceof HttpError ? err.message : statusText(500);
    return new Response(body, { status, headers: PLAIN_TEXT });
  }
}

/** The final middleware of a file route: calls its handler and renders its page. */
function fsRouteHandler<State>(route: FsRoute<State>): MiddlewareFn<State> {
  return async (ctx) => {
    const fn = handlerFor(route.handler, ctx.req.method);
    if (fn === undefined) return renderResponse(ctx, { ui: route.ui, data: undefined });
    const result = await fn(ctx);
    if (result instanceof Response) return result;
    if (isPageResponse(result)) {
      if (route.ui.page === null) {
        throw new Error(
          `${route.file}: the handler returned page() but there is no page component`,
        );
      }
      return renderResponse(ctx, {
        ui: route.ui,
        data: result.data,
        init: { status: result.status, headers: result.headers },
      });
    }
    throw new TypeError(`${route.file}: a handler must return a Response or page(data)`);
  };
}
