/**
 * Moves focus after an action, to where the reader's next step is. The element is often drawn
 * by another island, or by this one on its next render, after the signals it reads changed; so
 * the move waits a few frames for it to appear.
 *
 * @module
 */

/** The ids of the main field of each view: where focus goes when there is nowhere better. */
export const MAIN_FIELD = {
  chat: "chat-composer",
  dms: "dm-composer",
  random: "random-text",
} as const;

/**
 * Focuses the first element found by `ids` (element ids, in order of preference) that is drawn,
 * enabled and visible, trying again on each of the next frames until one is.
 */
export function focusSoon(...ids: string[]): void {
  let frames = 20;
  const attempt = () => {
    for (const id of ids) {
      const el = document.getElementById(id);
      if (el !== null && !(el as HTMLInputElement).disabled && el.getClientRects().length > 0) {
        el.focus();
        return;
      }
    }
    if (--frames > 0) requestAnimationFrame(attempt);
  };
  requestAnimationFrame(attempt);
}
