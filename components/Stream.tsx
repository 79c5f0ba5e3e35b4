/**
 * A scrolling list of messages and notices. Consecutive messages from one sender are drawn as a
 * group, and runs of join, leave and rename notices as one line that opens (`stream_view.ts`).
 * The list is not a live region: the page announces new messages once, through the store's
 * announcement (`islands/Alerts.tsx`), so presence notices and history pages are not read out.
 *
 * It follows new items while the reader is at the bottom, and stays put while they scroll back
 * through older ones. Reaching the top asks for older items (`onTop`); when they arrive above,
 * what the reader was looking at stays where it was. Every piece of user text is a text child,
 * so Preact escapes it.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { StreamItem } from "../lib/ui/store.ts";
import { shortTime } from "../lib/ui/format.ts";
import { type StreamRow, streamRows } from "../lib/ui/stream_view.ts";

export interface StreamProps {
  items: readonly StreamItem[];
  /** The list's accessible name, e.g. "Messages in #lobby". */
  label: string;
  /** Shown while there are no items. */
  empty: string;
  /** Changes when another stream is shown in the same place; scrolls to its end. */
  streamKey?: string;
  /** Shown above the items, e.g. a button that loads older ones. */
  head?: ComponentChildren;
  /** Called when the reader scrolls to the top: time to load older items, if there are any. */
  onTop?: () => void;
}

/** Distance from the bottom (px) within which the list keeps following new items. */
const FOLLOW_PX = 48;
/** Distance from the top (px) at which `onTop` is called. */
const TOP_PX = 24;

export function Stream({ items, label, empty, streamKey, head, onTop }: StreamProps) {
  const list = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  const shownKey = useRef(streamKey);
  /** The first item at the last render and where it was, to keep the view on a prepend. */
  const anchor = useRef<{ key: string; top: number } | null>(null);

  useLayoutEffect(() => {
    const el = list.current;
    if (el === null) return;
    const was = anchor.current;
    const first = items[0]?.key;
    const top = (key: string) =>
      el.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.offsetTop;
    if (shownKey.current !== streamKey) {
      shownKey.current = streamKey;
      follow.current = true;
    } else if (was !== null && was.key !== first) {
      // Older items arrived above the one that was first: move down by as much as it did, so
      // the reader's place does not jump (the browser's own scroll anchoring is off in CSS).
      const now = top(was.key);
      if (now !== undefined) {
        el.scrollTop += now - was.top;
        follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_PX;
      }
    }
    if (follow.current) el.scrollTop = el.scrollHeight;
    anchor.current = first === undefined ? null : { key: first, top: top(first) ?? 0 };
  }, [items, streamKey]);

  const onScroll = () => {
    const el = list.current;
    if (el === null) return;
    follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_PX;
    if (el.scrollTop < TOP_PX && el.scrollHeight > el.clientHeight) onTop?.();
  };

  return (
    <ol
      ref={list}
      class="stream"
      aria-label={label}
      tabIndex={0}
      onScroll={onScroll}
    >
      {head !== undefined && <li class="stream-head">{head}</li>}
      {items.length === 0 && <li class="stream-empty">{empty}</li>}
      {streamRows(items).map((row) => <Row key={row.key} row={row} />)}
    </ol>
  );
}

function Row({ row }: { row: StreamRow }) {
  switch (row.kind) {
    case "notice":
      return (
        <li data-key={row.key} class="notice">
          <span class="notice-text">{row.item.text}</span> <Time ts={row.item.ts} />
        </li>
      );
    case "people":
      return (
        <li data-key={row.key} class="notice people">
          <details>
            <summary>
              <span class="notice-text">{row.summary}</span> <Time ts={row.items[0].ts} />
            </summary>
            <ul>
              {row.items.map((n) => <li key={n.key}>{n.text}</li>)}
            </ul>
          </details>
        </li>
      );
    case "message": {
      const { item, continues } = row;
      const classes = ["message", item.mine && "mine", continues && "continues"];
      return (
        <li data-key={row.key} class={classes.filter(Boolean).join(" ")}>
          {continues
            ? <span class="visually-hidden">{`${item.name}: `}</span>
            : (
              <span class="message-meta">
                <span class="message-name">{item.name}</span> <Time ts={item.ts} />
              </span>
            )}
          <span class="message-text">{item.text}</span>
        </li>
      );
    }
  }
}

function Time({ ts }: { ts: number }) {
  return <time dateTime={new Date(ts).toISOString()}>{shortTime(ts)}</time>;
}
