/**
 * Where the page gets a connection token for a server with `AUTH_MODE` set, in this order:
 *
 * 1. **A hook the application defines:** `window.hubGetToken`, a function answering a token (or a
 *    promise of one), set by a script that runs before the islands, e.g. one that asks the
 *    application's backend. The client calls it for every connection and every refresh, so
 *    tokens can be short-lived.
 * 2. **`?token=` in the page's address**, for a link an application hands out, and for tests. The
 *    token is kept in the tab's `sessionStorage` (a reload still has it) and taken out of the
 *    address bar at once, so it is not bookmarked, shared or shown. It cannot be refreshed: when
 *    it expires the session ends (4001), and the page needs a new link.
 *
 * With neither, the page connects without a token, as an anonymous session.
 *
 * @module
 */

import type { TabStorage } from "./page_memory.ts";

export const AUTH_TOKEN_KEY = "hub.authToken";

/** What fetches a token for each connection and refresh. */
export type GetToken = () => string | Promise<string>;

/** The parts of the browser this reads, so that tests can pass their own. */
export interface PageParts {
  hook: unknown;
  href: string;
  /** Replaces the address shown, without a reload (`history.replaceState`). */
  replaceAddress(url: string): void;
}

/** The page's token source, or undefined for an anonymous page. */
export function pageTokenSource(
  storage: TabStorage | null,
  parts: PageParts,
): GetToken | undefined {
  if (typeof parts.hook === "function") return parts.hook as GetToken;
  const url = new URL(parts.href);
  const given = url.searchParams.get("token");
  if (given) {
    try {
      storage?.setItem(AUTH_TOKEN_KEY, given);
    } catch {
      // Storage full or refused: the token still serves this page, not a reload.
    }
    url.searchParams.delete("token");
    parts.replaceAddress(url.href);
    return () => given;
  }
  let kept: string | null = null;
  try {
    kept = storage?.getItem(AUTH_TOKEN_KEY) ?? null;
  } catch {
    kept = null;
  }
  return kept ? () => kept : undefined;
}

/** The token source of the page this runs in. */
export function browserTokenSource(storage: TabStorage | null): GetToken | undefined {
  return pageTokenSource(storage, {
    hook: (globalThis as { hubGetToken?: unknown }).hubGetToken,
    href: location.href,
    replaceAddress: (url) => history.replaceState(history.state, "", url),
  });
}
