/**
 * The one store (and so the one WebSocket) that every island on a page shares.
 *
 * In the browser the first island to render creates a {@linkcode HubClient} to `/ws` on the
 * page's own origin and a store around it; the others get the same one. On the server there is
 * no connection: each call returns an idle store whose signals keep their defaults, so islands
 * render their initial markup from props and nothing leaks between requests.
 *
 * The tab keeps its resume token in `sessionStorage` (see `page_memory.ts`), so a reload continues
 * the session instead of starting a new one; the page itself is kept as the tab is hidden or left.
 * A connection token, for a server with `AUTH_MODE` set, comes from `page_token.ts`.
 *
 * After a drop the client tries {@linkcode MAX_RETRIES} times, backing off up to 5 s (some twenty
 * seconds in all), then gives up: the page says Offline and offers to retry, rather than showing
 * "Reconnecting…" for ever. `browser.ts` ties the rest of the store to the browser.
 *
 * @module
 */

import { IS_BROWSER } from "fresh/runtime";
import { HubClient } from "../client/mod.ts";
import { watchBrowser } from "./browser.ts";
import { loadPage, loadToken, savePage, saveToken, tabStorage } from "./page_memory.ts";
import { createHubStore, type HubStore } from "./store.ts";
import { browserTokenSource } from "./page_token.ts";

/** Failed reconnect attempts in a row before the page says Offline. */
export const MAX_RETRIES = 10;

let shared: HubStore | undefined;

/** The page's shared store: live in the browser, idle on the server. */
export function hubStore(): HubStore {
  if (!IS_BROWSER) return createHubStore(null);
  if (shared === undefined) shared = connect();
  return shared;
}

function connect(): HubStore {
  const storage = tabStorage();
  const client = new HubClient(new URL("/ws", location.href), {
    maxDelayMs: 5000,
    maxRetries: MAX_RETRIES,
    resumeToken: loadToken(storage),
    getToken: browserTokenSource(storage),
  });
  // Every welcome hands out a new token and voids the one before.
  client.on("welcome", () => saveToken(storage, client.resumeToken));
  const store = createHubStore(client, { saved: loadPage(storage) });
  watchBrowser(store, client);
  // Kept when the page goes out of sight as well as when it goes: a hidden tab may be discarded
  // without a pagehide, and comes back as a reload.
  const keep = () => savePage(storage, store.snapshot());
  addEventListener("pagehide", keep);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") keep();
  });
  return store;
}
