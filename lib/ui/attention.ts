/**
 * The attention slice of the store: what the reader can see, and what the page tells them.
 *
 * - The three views (chat, direct messages, random numbers) sit side by side on a wide screen;
 *   on a phone they are tabs, one open at a time. The page says which layout it has
 *   (`setCompact`), and whether it is in sight at all (`setPageVisible`); together they say which
 *   view the reader sees, and so what counts as unread.
 * - Screen readers hear new messages through one polite announcement at a time (presence notices
 *   are not announced: they would drown the messages).
 *
 * Knows nothing of the DOM: `browser.ts` feeds it from `matchMedia` and `visibilitychange`.
 *
 * @module
 */

import { batch, computed, type ReadonlySignal, signal } from "@preact/signals";

/** The page's three views, in tab order: chat first. */
export type View = "chat" | "dms" | "random";
export const VIEWS: readonly View[] = ["chat", "dms", "random"];

/** One thing for screen readers to say; a new `key` says it even when the text repeats. */
export interface Announcement {
  key: number;
  text: string;
}

export interface AttentionView {
  /** The view open when the page is tabs. */
  readonly view: ReadonlySignal<View>;
  /** Whether the page is laid out as tabs (a phone, 480 px wide or less). */
  readonly compact: ReadonlySignal<boolean>;
  /** Whether the page is in sight (its tab is the visible one). */
  readonly pageVisible: ReadonlySignal<boolean>;
  /** What screen readers should say next, or null before anything. */
  readonly announcement: ReadonlySignal<Announcement | null>;
  /** Opens a view (a tab on a phone; on a wide screen every view is open anyway). */
  showView(view: View): void;
  setCompact(on: boolean): void;
  setPageVisible(on: boolean): void;
}

export interface AttentionSlice extends AttentionView {
  /** Whether the reader sees `view`: the page is in sight, and the view is open. */
  sees(view: View): ReadonlySignal<boolean>;
  announce(text: string): void;
}

export function createAttention(): AttentionSlice {
  const view = signal<View>("chat");
  const compact = signal(false);
  const pageVisible = signal(true);
  const announcement = signal<Announcement | null>(null);
  const seeing = Object.fromEntries(
    VIEWS.map((
      v,
    ) => [v, computed(() => pageVisible.value && (!compact.value || view.value === v))]),
  ) as Record<View, ReadonlySignal<boolean>>;
  let said = 0;

  return {
    view,
    compact,
    pageVisible,
    announcement,
    sees: (v) => seeing[v],
    showView(next) {
      view.value = next;
    },
    setCompact(on) {
      compact.value = on;
    },
    setPageVisible(on) {
      pageVisible.value = on;
    },
    announce(text) {
      batch(() => announcement.value = { key: ++said, text });
    },
  };
}

/** The page's name, and its title with `unread` things waiting: `(2) Deno real-time hub`. */
export const PAGE_TITLE = "Deno real-time hub";

export function pageTitle(unread: number): string {
  return unread > 0 ? `(${unread}) ${PAGE_TITLE}` : PAGE_TITLE;
}
