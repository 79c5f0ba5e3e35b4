/**
 * What ties the store to the browser it runs in, besides the socket: the layout (tabs at 480 px
 * and less, and the height of the bar at the top, for the CSS), whether the tab is in sight, the
 * document's title with its unread count, browser notifications for a tab in the background, and
 * the retry when a page that gave up comes back into sight. `shared.ts` calls {@linkcode watchBrowser} once; nothing here runs on the server.
 *
 * @module
 */

import { effect } from "@preact/signals";
import type { HubClient } from "../client/mod.ts";
import type { HubStore } from "./store.ts";

/** The layout where the three views become tabs; `static/styles.css` uses the same width. */
export const COMPACT_QUERY = "(max-width: 480px)";

export function watchBrowser(store: HubStore, client: HubClient): void {
  const compact = matchMedia(COMPACT_QUERY);
  store.setCompact(compact.matches);
  compact.addEventListener("change", () => store.setCompact(compact.matches));

  const visible = () => document.visibilityState === "visible";
  store.setPageVisible(visible());
  document.addEventListener("visibilitychange", () => {
    store.setPageVisible(visible());
    // A page that gave up while nobody looked tries again when looked at.
    if (visible() && store.state.value === "offline") store.reconnect();
  });

  effect(() => {
    document.title = store.title.value;
  });

  // The bar's height, for the CSS that fits the chat into the first screen below it (the bar
  // grows with a request banner, and wraps on narrow screens).
  const bar = document.querySelector<HTMLElement>(".topbar");
  if (bar !== null) {
    const root = document.documentElement.style;
    new ResizeObserver(() => root.setProperty("--topbar-h", `${bar.offsetHeight}px`)).observe(bar);
  }

  client.on(
    "dm_request",
    ({ from, name }) =>
      notify(`${name} wants to talk`, "Open the hub to accept or decline.", from, store),
  );
  client.on("dm", ({ from, name, text }) => notify(name, text, from, store));
}

/**
 * Asks for permission to show notifications, if nobody asked yet. Call it from the handler of
 * something the user did (a click, a key): browsers refuse, or hide, a request made out of the
 * blue, and a page that asks on load is rightly ignored.
 */
export function askToNotify(): void {
  if (typeof Notification === "undefined" || Notification.permission !== "default") return;
  Notification.requestPermission().catch(() => {});
}

/** Whether notifications can be asked for (the browser has them, and nobody decided yet). */
export function canAskToNotify(): boolean {
  return typeof Notification !== "undefined" && Notification.permission === "default";
}

/** A notification about `peer`, only while the page is out of sight and only if allowed. */
function notify(title: string, body: string, peer: string, store: HubStore): void {
  if (document.visibilityState === "visible") return;
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    // One per peer: a newer one replaces the one before instead of piling up.
    const note = new Notification(title, { body, tag: `dm-${peer}` });
    note.addEventListener("click", () => {
      focus();
      store.showView("dms");
      store.showDm(peer);
      note.close();
    });
  } catch {
    // Some browsers (Android Chrome) allow notifications only from a service worker.
  }
}
