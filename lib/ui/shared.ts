/**
 * The one store (and so the one WebSocket) that every island on a page shares.
 *
 * In the browser the first island to render creates a {@linkcode HubClient} to `/ws` on the
 * page's own origin and a store around it; the others get the same one. On the server there is
 * no connection: each call returns an idle store whose signals keep their defaults, so islands
 * render their initial markup from props and nothing leaks between requests.
 *
 * @module
 */

import { IS_BROWSER } from "fresh/runtime";
import { HubClient } from "../client/mod.ts";
import { createHubStore, type HubStore } from "./store.ts";

let shared: HubStore | undefined;

/** The page's shared store: live in the browser, idle on the server. */
export function hubStore(): HubStore {
  if (!IS_BROWSER) return createHubStore(null);
  if (shared === undefined) {
    const client = new HubClient(new URL("/ws", location.href), { maxDelayMs: 5000 });
    shared = createHubStore(client);
  }
  return shared;
}
