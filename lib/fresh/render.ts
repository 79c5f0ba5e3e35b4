/**
 * Server-side rendering: composes a page (or a vnode) with its layouts and the
 * `_app` wrapper and turns it into an HTML `Response`.
 *
 * Islands rendered on the page are marked (see `islands.ts`), and their props
 * and the module script that revives them go before `</body>`.
 *
 * @module
 */

import { type ComponentType, type FunctionComponent, h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { appBuildFor } from "./build_cache.ts";
import type { Context, ResolvedFreshConfig } from "./context.ts";
import { collectIslands, injectBeforeBodyEnd, islandScripts } from "./islands.ts";

/** Props of page, layout, `_app`, `_404` and `_error` components. */
export interface PageProps<Data = unknown, State = unknown> {
  /** What the handler passed to `page(data)`; `undefined` without a handler. */
  data: Data;
  url: URL;
  /** The original request. */
  req: Request;
  params: Record<string, string>;
  state: State;
  /** The matched route pattern, or `null`. */
  route: string | null;
  /** The thrown error on `_error` and `_404` pages, else `null`. */
  error: unknown;
  info: Deno.ServeHandlerInfo | undefined;
  config: ResolvedFreshConfig;
  /** In `_app` and layouts: renders the wrapped content. In a page: renders nothing. */
  Component: FunctionComponent;
}

/** Options a route or layout may set in its `config` export. */
export interface LayoutConfig {
  /** Do not wrap in `_app`. */
  skipAppWrapper?: boolean;
  /** Drop the layouts of enclosing folders. */
  skipInheritedLayouts?: boolean;
}

/** Any page-like component: page, layout, `_app`, error page. */
// deno-lint-ignore no-explicit-any
export type AnyPageComponent = ComponentType<PageProps<any, any>>;

/** The components around a response's content, outermost first. */
export interface UiTree {
  app: AnyPageComponent | null;
  layouts: readonly AnyPageComponent[];
  /** The route's page component, rendered when no explicit vnode is given. */
  page: AnyPageComponent | null;
}

/** What to render in {@linkcode renderResponse}. */
export interface RenderOptions {
  ui: UiTree;
  /** Explicit content. `undefined`: render `ui.page`; `null`: render no content. */
  // deno-lint-ignore no-explicit-any
  vnode?: VNode<any> | null;
  /** `props.data` for the page and its wrappers. */
  data: unknown;
  init?: ResponseInit;
  config?: LayoutConfig;
}

const Empty: FunctionComponent = () => null;

/**
 * Renders the options to a complete HTML document string, `<!DOCTYPE html>` first, with the
 * scripts that revive its islands before `</body>`. Throws if an island's props cannot be
 * serialized (e.g. a function), naming the island and the prop.
 */
export function renderHtml<State>(ctx: Context<State>, options: RenderOptions): string {
  const { result, islands } = collectIslands(() => renderDocument(ctx, options));
  const assets = appBuildFor(ctx.config.root)?.assets ?? null;
  return injectBeforeBodyEnd(result, islandScripts(islands, assets));
}

function renderDocument<State>(ctx: Context<State>, options: RenderOptions): string {
  const { ui, vnode, data, config } = options;
  const base = {
    data,
    url: ctx.url,
    req: ctx.req,
    params: ctx.params,
    state: ctx.state,
    route: ctx.route,
    error: ctx.error,
    info: ctx.info,
    config: ctx.config,
  };

  let inner: FunctionComponent;
  if (vnode !== undefined) {
    inner = () => vnode;
  } else if (ui.page !== null) {
    const Page = ui.page;
    inner = () => h(Page, { ...base, Component: Empty });
  } else {
    inner = Empty;
  }

  const layouts = config?.skipInheritedLayouts ? [] : ui.layouts;
  for (let i = layouts.length - 1; i >= 0; i--) {
    const Layout = layouts[i];
    const child = inner;
    inner = () => h(Layout, { ...base, Component: child });
  }

  const App = config?.skipAppWrapper ? null : ui.app;
  if (App !== null) {
    return "<!DOCTYPE html>" + renderToString(h(App, { ...base, Component: inner }));
  }
  const body = renderToString(h(inner, null));
  if (/^\s*<html[\s>]/i.test(body)) return "<!DOCTYPE html>" + body;
  return '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `</head><body>${body}</body></html>`;
}

/** Renders the options to an HTML `Response`; status and headers come from `init`. */
export function renderResponse<State>(ctx: Context<State>, options: RenderOptions): Response {
  const html = renderHtml(ctx, options);
  const headers = new Headers(options.init?.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(html, {
    status: options.init?.status ?? 200,
    statusText: options.init?.statusText,
    headers,
  });
}
