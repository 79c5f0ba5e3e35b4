/**
 * The ordered list of middlewares and routes an app is made of, and the
 * lookup that picks what runs for a request. Items apply top to bottom:
 * a request runs every middleware listed before the first route that matches
 * it (Fresh 2's rule).
 *
 * @module
 */

import { METHODS } from "./handlers.ts";

/** Middlewares that run for every path under `prefix` (`null`: every path). */
export interface MiddlewareItem<M> {
  kind: "middleware";
  prefix: string | null;
  fns: readonly M[];
}

/** A route: a URLPattern pathname, the methods it answers, and what answers them. */
export interface RouteItem<R> {
  kind: "route";
  /** The pattern as written, e.g. `"/blog/:id"`. */
  path: string;
  pattern: URLPattern;
  /**
   * The path itself when it has no pattern syntax (`/ws`, `/api/stats`): such a route matches
   * that one pathname, compared as a string, which costs far less than `URLPattern.exec`.
   */
  literal: string | null;
  /** `"*"` for every method; HEAD is accepted wherever GET is. */
  methods: "*" | readonly string[];
  value: R;
}

export type RouterItem<M, R> = MiddlewareItem<M> | RouteItem<R>;

/** The outcome of {@linkcode resolve}. */
export interface Resolution<M, R> {
  /** Middlewares to run, in order. */
  middlewares: M[];
  /** The route that answers, or `null`. */
  route: RouteItem<R> | null;
  /** The route's decoded params (`{}` without a route). */
  params: Record<string, string>;
  /** Without a route: the methods that paths like this accept (a 405 case), else `[]`. */
  allow: string[];
}

/** Builds a route item; `path` uses URLPattern pathname syntax and must start with `/`. */
export function routeItem<R>(
  path: string,
  methods: "*" | readonly string[],
  value: R,
): RouteItem<R> {
  if (!path.startsWith("/")) {
    throw new TypeError(`Route path must start with "/", got "${path}"`);
  }
  const literal = LITERAL.test(path) && !DOT_SEGMENT.test(path) ? path : null;
  return {
    kind: "route",
    path,
    pattern: new URLPattern({ pathname: path }),
    literal,
    methods,
    value,
  };
}

/** Paths with none of URLPattern's syntax (`:`, `*`, `(`, `{`, `?`, `+`, `\\`) nor escapes. */
const LITERAL = /^[A-Za-z0-9/._~!$&'=@;,-]*$/;
/** `.` and `..` segments, which URLPattern resolves in a pattern and URLs never keep. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

/** The route's match for `pathname`: groups, or `null`. */
function match<R>(item: RouteItem<R>, pathname: string): Record<string, string | undefined> | null {
  // A pathname with escapes goes through URLPattern, which knows how to compare them.
  if (item.literal !== null && !pathname.includes("%")) {
    return pathname === item.literal ? {} : null;
  }
  return item.pattern.exec({ pathname })?.pathname.groups ?? null;
}

/**
 * Builds a middleware item. `prefix` `"/api"` (or `"/api/*"`) covers `/api`
 * and everything below it; `null` or `"/"` covers every path.
 */
export function middlewareItem<M>(prefix: string | null, fns: readonly M[]): MiddlewareItem<M> {
  let p = prefix;
  if (p !== null) {
    if (!p.startsWith("/")) throw new TypeError(`Middleware path must start with "/", got "${p}"`);
    p = p.replace(/\/?\*$/, "").replace(/\/+$/, "");
    if (p === "") p = null;
  }
  return { kind: "middleware", prefix: p, fns };
}

/** Whether `pathname` is `prefix` or below it. */
export function underPrefix(prefix: string | null, pathname: string): boolean {
  return prefix === null || pathname === prefix || pathname.startsWith(prefix + "/");
}

/** Whether a route with `methods` answers `method`. */
export function acceptsMethod(methods: "*" | readonly string[], method: string): boolean {
  if (methods === "*") return true;
  return methods.includes(method) || (method === "HEAD" && methods.includes("GET"));
}

/** Picks the middlewares and the route for a request. */
export function resolve<M, R>(
  items: readonly RouterItem<M, R>[],
  method: string,
  pathname: string,
): Resolution<M, R> {
  const middlewares: M[] = [];
  const allowed = new Set<string>();
  for (const item of items) {
    if (item.kind === "middleware") {
      if (underPrefix(item.prefix, pathname)) middlewares.push(...item.fns);
      continue;
    }
    const groups = match(item, pathname);
    if (groups === null) continue;
    if (!acceptsMethod(item.methods, method)) {
      for (const m of item.methods) allowed.add(m);
      continue;
    }
    return { middlewares, route: item, params: decodeParams(groups), allow: [] };
  }
  if (allowed.has("GET")) allowed.add("HEAD");
  const allow = [
    ...METHODS.filter((m) => allowed.has(m)),
    ...[...allowed].filter((m) => !(METHODS as readonly string[]).includes(m)).sort(),
  ];
  return { middlewares, route: null, params: {}, allow };
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(groups)) {
    if (raw === undefined) {
      params[name] = "";
      continue;
    }
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      params[name] = raw;
    }
  }
  return params;
}
