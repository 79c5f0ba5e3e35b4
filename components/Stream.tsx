/**
 * A scrolling list of messages and notices, announced to screen readers as they arrive.
 *
 * It follows new items while the reader is at the bottom, and stays put while they scroll back
 * through older ones. Every piece of user text is a text child, so Preact escapes it.
 *
 * @module
 */

import { useLayoutEffect, useRef } from "preact/hooks";
import type { StreamItem } from "../lib/ui/store.ts";
import { shortTime } from "../lib/ui/format.ts";

export interface StreamProps {
  items: readonly StreamItem[];
  /** The list's accessible name, e.g. "Messages in #lobby". */
  label: string;
  /** Shown while there are no items. */
  empty: string;
  /** Changes when another stream is shown in the same place; scrolls to its end. */
  streamKey?: string;
}

/** Distance from the bottom (px) within which the list keeps following new items. */
const FOLLOW_PX = 48;

export function Stream({ items, label, empty, streamKey }: StreamProps) {
  const list = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  const shownKey = useRef(streamKey);

  useLayoutEffect(() => {
    const el = list.current;
    if (el === null) return;
    if (shownKey.current !== streamKey) {
      shownKey.current = streamKey;
      follow.current = true;
    }
    if (follow.current) el.scrollTop = el.scrollHeight;
  }, [items, streamKey]);

  const onScroll = () => {
    const el = list.current;
    if (el !== null) {
      follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_PX;
    }
  };

  return (
    <ol
      ref={list}
      class="stream"
      role="log"
      aria-live="polite"
      aria-relevant="additions"
      aria-label={label}
      tabIndex={0}
      onScroll={onScroll}
    >
      {items.length === 0 && <li class="stream-empty">{empty}</li>}
      {items.map((item) =>
        item.kind === "notice"
          ? (
            <li key={item.key} class="notice">
              <span class="notice-text">{item.text}</span>{" "}
              <time dateTime={new Date(item.ts).toISOString()}>{shortTime(item.ts)}</time>
            </li>
          )
          : (
            <li key={item.key} class={item.mine ? "message mine" : "message"}>
              <span class="message-meta">
                <span class="message-name">{item.name}</span>{" "}
                <time dateTime={new Date(item.ts).toISOString()}>{shortTime(item.ts)}</time>
              </span>
              <span class="message-text">{item.text}</span>
            </li>
          )
      )}
    </ol>
  );
}
