/**
 * A titled card: the frame around each island on the page.
 *
 * @module
 */

import type { ComponentChildren } from "preact";

export interface PanelProps {
  /** Used for the heading's id and the section's `aria-labelledby`. */
  id: string;
  title: string;
  /** Extra content at the right of the heading, e.g. a status badge. */
  aside?: ComponentChildren;
  class?: string;
  children: ComponentChildren;
}

export function Panel({ id, title, aside, class: extra, children }: PanelProps) {
  return (
    <section class={`panel ${extra ?? ""}`.trim()} aria-labelledby={`${id}-title`}>
      <header class="panel-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {aside}
      </header>
      {children}
    </section>
  );
}
