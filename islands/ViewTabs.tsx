/**
 * On a phone (480 px wide or less) the page's three views are tabs: Chat first, then Direct
 * messages and Random numbers, each with a badge counting what waits unread there. Arrow keys
 * move between the tabs, as in every tab list. On wider screens the views sit side by side and
 * this bar is not drawn (`static/styles.css`).
 *
 * @module
 */

import { UnreadCount } from "../components/UnreadCount.tsx";
import { hubStore } from "../lib/ui/shared.ts";
import { type View, VIEWS } from "../lib/ui/store.ts";

/** Each tab's visible label, and the rest of its name for screen readers. */
const LABELS: Record<View, [string, string]> = {
  chat: ["Chat", ""],
  dms: ["Direct", " messages"],
  random: ["Numbers", ""],
};

export default function ViewTabs() {
  const store = hubStore();
  const open = store.view.value;
  const unread = store.unread.value;

  const move = (from: View, step: number) => {
    const next = VIEWS[(VIEWS.indexOf(from) + step + VIEWS.length) % VIEWS.length];
    store.showView(next);
    document.getElementById(`tab-${next}`)?.focus();
  };

  return (
    <nav class="view-tabs" aria-label="Views">
      <div role="tablist" aria-label="Views">
        {VIEWS.map((view) => {
          const [label, rest] = LABELS[view];
          const count = unread[view];
          return (
            <button
              key={view}
              id={`tab-${view}`}
              type="button"
              role="tab"
              class="view-tab"
              aria-selected={open === view}
              aria-controls={`view-${view}`}
              tabIndex={open === view ? 0 : -1}
              onClick={() => store.showView(view)}
              onKeyDown={(e) => {
                if (e.key === "ArrowRight") move(view, 1);
                else if (e.key === "ArrowLeft") move(view, -1);
                else return;
                e.preventDefault();
              }}
            >
              {label}
              {rest && <span class="visually-hidden">{rest}</span>}
              <UnreadCount n={count} testId={`unread-${view}`} />
            </button>
          );
        })}
      </div>
    </nav>
  );
}
