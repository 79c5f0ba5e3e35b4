/**
 * What must not be missed, at the top of whatever view is open: a banner for each direct-message
 * request, with Accept and Decline (one at a time, saying how many more wait), and the page's one
 * polite live region, through which screen readers hear new messages and requests.
 *
 * Accept opens the conversation and puts focus in its message box; Decline moves on to the next
 * request, or back to the view's main field. "Not now" (or Escape) hides the banner: the request
 * still waits in Direct messages, with its own Accept and Decline.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { askToNotify } from "../lib/ui/browser.ts";
import { focusSoon, MAIN_FIELD } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";

export default function Alerts() {
  const store = hubStore();
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const connected = store.state.value === "connected";
  const incoming = store.conversations.value.filter((c) => c.status === "incoming");
  const waiting = incoming.filter((c) => !hidden.has(c.peer));
  const first = waiting.at(0);
  const announcement = store.announcement.value;

  const later = (peer: string) => {
    const inside = document.activeElement?.closest(".banner") != null;
    setHidden(new Set([...hidden, peer]));
    setError("");
    if (inside) focusSoon("banner-accept", MAIN_FIELD[store.view.peek()]);
  };

  // A request that was answered, withdrew or expired is forgotten: the next one shows again.
  useEffect(() => {
    const kept = [...hidden].filter((peer) => incoming.some((c) => c.peer === peer));
    if (kept.length < hidden.size) setHidden(new Set(kept));
  });

  // Escape closes the banner from anywhere on the page, unless something nearer used it.
  useEffect(() => {
    if (first === undefined) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !e.defaultPrevented) later(first.peer);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  const answer = async (accept: boolean) => {
    if (first === undefined || busy) return;
    const peer = first.peer;
    setBusy(true);
    try {
      if (accept) {
        askToNotify();
        await store.acceptDm(peer);
        store.showView("dms");
        store.showDm(peer);
        focusSoon(MAIN_FIELD.dms);
      } else {
        await store.declineDm(peer);
        focusSoon("banner-accept", MAIN_FIELD[store.view.peek()]);
      }
      setError("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement?.text ?? ""}
      </div>
      {first !== undefined && (
        <section
          key={first.peer}
          class="banner"
          aria-labelledby="banner-text"
          data-testid="dm-banner"
        >
          <p id="banner-text" class="banner-text">
            <strong class="banner-name">{first.name}</strong>{" "}
            wants to start a conversation with you.
            {waiting.length > 1 && (
              <span class="muted">
                {" "}
                {waiting.length - 1} more{" "}
                {waiting.length === 2 ? "request waits" : "requests wait"}.
              </span>
            )}
            {first.peerAway && <span class="muted">They are away for now.</span>}
          </p>
          <div class="banner-actions">
            <button
              id="banner-accept"
              type="button"
              disabled={!connected || busy}
              onClick={() => answer(true)}
            >
              Accept
            </button>
            <button
              type="button"
              class="danger"
              disabled={!connected || busy}
              onClick={() => answer(false)}
            >
              Decline
            </button>
            <button type="button" class="ghost" onClick={() => later(first.peer)}>
              Not now
            </button>
          </div>
          {error && <p class="error" role="alert">{error}</p>}
        </section>
      )}
    </>
  );
}
