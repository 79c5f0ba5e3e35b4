/**
 * File-system routes: scans `<root>/routes`, imports every route module and
 * turns the tree into routes, layouts, middlewares and error pages.
 *
 * | file                    | URL / role                                   |
 * | ----------------------- | -------------------------------------------- |
 * | `index.tsx`             | `/`                                          |
 * | `about.tsx`             | `/about`                                     |
 * | `blog/index.tsx`        | `/blog`                                      |
 * | `[id].tsx`              | `/:id`                                       |
 * | `[[id]].tsx`            | `/:id?`                                      |
 * | `[...rest].tsx`         | `/:rest*` (catch-all)                        |
 * | `(group)/x.tsx`         | `/x` — group folders are not in the URL      |
 * | `_app.tsx`              | wraps every page (root folder only)          |
 * | `_layout.tsx`           | wraps pages in its folder and below          |
 * | `_middleware.ts`        | runs for routes in its folder and below      |
 * | `_404.tsx`, `_error.tsx`| not-found and error pages                    |
 *
 * Other `_*` files, `*_test.*` / `*.test.*` files, `*.d.ts` files and folders
 * starting with `_`, `.` or `(_` are ignored.
 *
 * @module
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { allowedMethods, type Method, METHODS, type RouteHandler } from "./handlers.ts";
import type { MiddlewareFn } from "./middleware.ts";
import type { AnyPageComponent, LayoutConfig, UiTree } from "./render.ts";

/** The `config` export of a route (and, minus `routeOverride`, of a layout). */
export interface RouteConfig extends LayoutConfig {
  /** A URLPattern pathname to use instead of the one derived from the file path. */
  routeOverride?: string;
}

/** An error or not-found page, ready to render. */
export interface FsPage {
  file: string;
  ui: UiTree;
}

/** One route file. */
export interface FsRoute<State> {
  /** Path below `routes/`, `/`-separated, e.g. `"blog/[id].tsx"`. */
  file: string;
  /** URLPattern pathname, e.g. `"/blog/:id"`. */
  pattern: string;
  methods: "*" | Method[];
  handler: RouteHandler<unknown, State> | undefined;
  ui: UiTree;
  /** `_middleware` exports of the enclosing folders below `routes/`, outermost first. */
  middlewares: MiddlewareFn<State>[];
  errorPage: FsPage | null;
  notFoundPage: FsPage | null;
}

/** Everything loaded from a `routes/` folder. */
export interface FsRoutes<State> {
  app: AnyPageComponent | null;
  /** `routes/_middleware`: runs for every request that reaches the file routes. */
  middlewares: MiddlewareFn<State>[];
  /** Most specific first. */
  routes: FsRoute<State>[];
  /** `routes/_error` and `routes/_404`, for requests no file route matched. */
  errorPage: FsPage | null;
  notFoundPage: FsPage | null;
}

type Special = "_app" | "_layout" | "_middleware" | "_error" | "_404";
const SPECIALS: readonly string[] = ["_app", "_layout", "_middleware", "_error", "_404"];
const EXTENSIONS = /\.(tsx|ts|jsx|js|mts|mjs)$/;

interface ComponentDef {
  file: string;
  component: AnyPageComponent;
  config: LayoutConfig | undefined;
}

interface FolderSpecials<State> {
  layout?: ComponentDef;
  middlewares?: MiddlewareFn<State>[];
  error?: ComponentDef;
  notFound?: ComponentDef;
}

/** Imports a module by URL; replaceable in tests. */
export type ModuleLoader = (url: string) => Promise<Record<string, unknown>>;

const importModule: ModuleLoader = (url) => import(url);

/**
 * Loads the routes below `routesDir` (an absolute path): the `files` given (paths below it, as
 * a production build lists them), else every route file found there.
 *
 * ```ts ignore
 * const fs = await loadFsRoutes(`${Deno.cwd()}/routes`);
 * console.log(fs.routes.map((r) => r.pattern));
 * ```
 */
export async function loadFsRoutes<State>(
  routesDir: string,
  load: ModuleLoader = importModule,
  files?: readonly string[],
): Promise<FsRoutes<State>> {
  files ??= await scanRoutesDir(routesDir);
  const modules = await Promise.all(
    files.map((file) => load(pathToFileURL(join(routesDir, file)).href)),
  );

  const folders = new Map<string, FolderSpecials<State>>();
  const folder = (dir: string) => {
    let specials = folders.get(dir);
    if (specials === undefined) folders.set(dir, specials = {});
    return specials;
  };
  let app: AnyPageComponent | null = null;
  const routeFiles: { file: string; dir: string; mod: Record<string, unknown> }[] = [];

  files.forEach((file, i) => {
    const mod = modules[i];
    const { dir, name } = splitFile(file);
    switch (name as Special) {
      case "_app":
        if (dir !== "") throw new Error(`_app is only allowed directly in routes/, found ${file}`);
        app = componentExport(file, mod).component;
        break;
      case "_layout":
        folder(dir).layout = componentExport(file, mod);
        break;
      case "_middleware":
        folder(dir).middlewares = middlewareExport(file, mod);
        break;
      case "_error":
        folder(dir).error = componentExport(file, mod);
        break;
      case "_404":
        folder(dir).notFound = componentExport(file, mod);
        break;
      default:
        routeFiles.push({ file, dir, mod });
    }
  });

  const uiFor = (dir: string, page: ComponentDef | null, config: LayoutConfig | undefined) => {
    let layouts: ComponentDef[] = [];
    for (const d of folderChain(dir)) {
      const layout = folders.get(d)?.layout;
      if (layout === undefined) continue;
      if (layout.config?.skipInheritedLayouts) layouts = [];
      layouts.push(layout);
    }
    if (config?.skipInheritedLayouts) layouts = [];
    const skipApp = config?.skipAppWrapper || layouts.some((l) => l.config?.skipAppWrapper);
    return {
      app: skipApp ? null : app,
      layouts: layouts.map((l) => l.component),
      page: page?.component ?? null,
    };
  };
  const nearestPage = (dir: string, kind: "error" | "notFound"): FsPage | null => {
    const chain = folderChain(dir);
    for (let i = chain.length - 1; i >= 0; i--) {
      const def = folders.get(chain[i])?.[kind];
      if (def !== undefined) return { file: def.file, ui: uiFor(chain[i], def, def.config) };
    }
    return null;
  };

  const routes: FsRoute<State>[] = routeFiles.map(({ file, dir, mod }) => {
    const { handler, page, config } = routeExports<State>(file, mod);
    const middlewares = folderChain(dir).slice(1).flatMap((d) => folders.get(d)?.middlewares ?? []);
    return {
      file,
      pattern: config?.routeOverride ?? patternFromFile(file),
      methods: allowedMethods(handler as RouteHandler<unknown, never> | undefined, page !== null),
      handler,
      ui: uiFor(dir, page, config),
      middlewares,
      errorPage: nearestPage(dir, "error"),
      notFoundPage: nearestPage(dir, "notFound"),
    };
  });

  const seen = new Map<string, string>();
  for (const route of routes) {
    const other = seen.get(route.pattern);
    if (other !== undefined) {
      throw new Error(`Routes ${other} and ${route.file} both map to "${route.pattern}"`);
    }
    seen.set(route.pattern, route.file);
  }
  routes.sort((a, b) => comparePatterns(a.pattern, b.pattern) || (a.file < b.file ? -1 : 1));

  return {
    app,
    middlewares: folders.get("")?.middlewares ?? [],
    routes,
    errorPage: nearestPage("", "error"),
    notFoundPage: nearestPage("", "notFound"),
  };
}

/** The route files below `routesDir`, as sorted `/`-separated relative paths. */
export async function scanRoutesDir(routesDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (abs: string, rel: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(abs)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childAbs = join(abs, entry.name);
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const info = entry.isSymlink ? await Deno.stat(childAbs) : entry;
      if (info.isDirectory) {
        if (!/^[._]|^\(_/.test(entry.name)) await walk(childAbs, childRel);
      } else if (info.isFile && isRouteFile(entry.name)) {
        files.push(childRel);
      }
    }
  };
  try {
    await walk(routesDir, "");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`Routes folder not found: ${routesDir}`, { cause: err });
    }
    throw err;
  }
  return files;
}

function isRouteFile(name: string): boolean {
  if (!EXTENSIONS.test(name) || name.endsWith(".d.ts")) return false;
  if (/[._]test\.[^.]+$/.test(name)) return false;
  const base = name.replace(EXTENSIONS, "");
  return !base.startsWith("_") || SPECIALS.includes(base);
}

function splitFile(file: string): { dir: string; name: string } {
  const slash = file.lastIndexOf("/");
  return {
    dir: slash === -1 ? "" : file.slice(0, slash),
    name: file.slice(slash + 1).replace(EXTENSIONS, ""),
  };
}

/** `"a/b"` → `["", "a", "a/b"]`. */
function folderChain(dir: string): string[] {
  if (dir === "") return [""];
  const parts = dir.split("/");
  return ["", ...parts.map((_, i) => parts.slice(0, i + 1).join("/"))];
}

/**
 * The URLPattern pathname for a route file path.
 *
 * ```ts
 * patternFromFile("(shop)/items/[id].tsx"); // "/items/:id"
 * patternFromFile("docs/[...rest].tsx"); // "/docs/:rest*"
 * ```
 */
export function patternFromFile(file: string): string {
  const segments = file.replace(EXTENSIONS, "").split("/")
    .filter((s) => !(s.startsWith("(") && s.endsWith(")")));
  if (segments.at(-1) === "index") segments.pop();
  return "/" + segments.map((segment) => patternSegment(segment, file)).join("/");
}

const CATCH_ALL = /^\[\.\.\.([A-Za-z_$][\w$]*)\]$/;
const OPTIONAL_PARAM = /^\[\[([A-Za-z_$][\w$]*)\]\]$/;
const PARAM = /^\[([A-Za-z_$][\w$]*)\]$/;

function patternSegment(segment: string, file: string): string {
  const rest = CATCH_ALL.exec(segment)?.[1];
  if (rest !== undefined) return `:${rest}*`;
  const optional = OPTIONAL_PARAM.exec(segment)?.[1];
  if (optional !== undefined) return `:${optional}?`;
  const param = PARAM.exec(segment)?.[1];
  if (param !== undefined) return `:${param}`;
  if (/[[\]]/.test(segment)) {
    throw new Error(
      `Unsupported route segment "${segment}" in ${file}: a [param] must be a whole segment`,
    );
  }
  return segment.replace(/[:*?+(){}\\]/g, "\\$&");
}

/** 0 static, 1 param, 2 optional param, 3 catch-all. */
function segmentRank(segment: string): number {
  if (!segment.startsWith(":")) return 0;
  if (segment.endsWith("*")) return 3;
  if (segment.endsWith("?")) return 2;
  return 1;
}

/** Orders route patterns most specific first: static before param before catch-all. */
export function comparePatterns(a: string, b: string): number {
  const as = a.split("/").slice(1);
  const bs = b.split("/").slice(1);
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    if (i >= as.length) return -1;
    if (i >= bs.length) return 1;
    const diff = segmentRank(as[i]) - segmentRank(bs[i]);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Async components render as "[object Promise]" in preact; refuse them up front. */
function assertSyncComponent(file: string, component: unknown): void {
  if (Object.prototype.toString.call(component) === "[object AsyncFunction]") {
    throw new Error(
      `${file}: async components are not supported yet; load data in a handler and return page(data)`,
    );
  }
}

function componentExport(file: string, mod: Record<string, unknown>): ComponentDef {
  if (typeof mod.default !== "function") {
    throw new Error(`${file} must export a component as default`);
  }
  assertSyncComponent(file, mod.default);
  return {
    file,
    component: mod.default as AnyPageComponent,
    config: mod.config as LayoutConfig | undefined,
  };
}

function middlewareExport<State>(
  file: string,
  mod: Record<string, unknown>,
): MiddlewareFn<State>[] {
  const value = mod.handler ?? mod.default;
  const fns = Array.isArray(value) ? value : [value];
  if (fns.length === 0 || fns.some((fn) => typeof fn !== "function")) {
    throw new Error(`${file} must export a middleware (or an array of them) as handler or default`);
  }
  return fns as MiddlewareFn<State>[];
}

function routeExports<State>(file: string, mod: Record<string, unknown>): {
  handler: RouteHandler<unknown, State> | undefined;
  page: ComponentDef | null;
  config: RouteConfig | undefined;
} {
  const handler = mod.handler ?? mod.handlers;
  const config = mod.config as RouteConfig | undefined;
  if (mod.default !== undefined && typeof mod.default !== "function") {
    throw new Error(`${file}: the default export must be a page component`);
  }
  assertSyncComponent(file, mod.default);
  const page = typeof mod.default === "function"
    ? { file, component: mod.default as AnyPageComponent, config }
    : null;
  if (handler === undefined) {
    if (page === null) {
      throw new Error(`${file} exports neither a handler nor a default page component`);
    }
    return { handler: undefined, page, config };
  }
  let fns: unknown[];
  if (typeof handler === "function") {
    fns = [handler];
  } else if (typeof handler === "object" && handler !== null) {
    fns = Object.entries(handler).map(([method, fn]) => {
      if (!(METHODS as readonly string[]).includes(method) || typeof fn !== "function") {
        throw new Error(`${file}: handler.${method} is not a handler for an HTTP method`);
      }
      return fn;
    });
  } else {
    throw new Error(`${file}: handler must be a function or an object of per-method functions`);
  }
  if (fns.some((fn) => (fn as (...args: unknown[]) => unknown).length > 1)) {
    throw new Error(
      `${file}: handlers take one argument, (ctx); (req, ctx) is Fresh 1's signature`,
    );
  }
  return { handler: handler as RouteHandler<unknown, State>, page, config };
}
