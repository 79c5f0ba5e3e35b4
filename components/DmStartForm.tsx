/**
 * How a direct conversation starts: a chip for each person online in the lobby (those here before
 * those away, the latest to arrive first), or a pasted session id, checked before it is sent.
 * After the request, focus goes to the conversation's status line, which says it is waiting.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { LOBBY } from "../lib/protocol/mod.ts";
import { askToNotify } from "../lib/ui/browser.ts";
import { focusSoon } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";

export function StartForm({ disabled }: { disabled: boolean }) {
  const store = hubStore();
  const [peer, setPeer] = useState("");
  const [error, setError] = useState("");
  const me = store.session.value?.sessionId;
  const busy = new Set(
    store.conversations.value
      .filter((c) => c.status === "open" || c.status === "outgoing")
      .map((c) => c.peer),
  );
  // Those here before those away, the latest to arrive first: the likeliest to answer.
  const online = (store.rooms.value.find((r) => r.room === LOBBY)?.members ?? [])
    .filter((m) => m.sessionId !== me && !busy.has(m.sessionId))
    .toReversed()
    .sort((a, b) => Number(a.away) - Number(b.away))
    .slice(0, 12);

  const start = async (to: string) => {
    askToNotify();
    try {
      await store.requestDm(to);
      setPeer("");
      setError("");
      focusSoon("dm-status");
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <div class="dm-start">
      {online.length > 0 && (
        <div class="online">
          <span class="muted" id="online-label">Online in the lobby:</span>
          <ul class="chips" aria-labelledby="online-label">
            {online.map((m) => (
              <li key={m.sessionId}>
                <button
                  type="button"
                  class={m.away ? "chip away" : "chip"}
                  disabled={disabled}
                  title={m.away ? `${m.sessionId} (away: the request waits for them)` : m.sessionId}
                  aria-label={`Request a conversation with ${m.name}${m.away ? " (away)" : ""}`}
                  onClick={() => start(m.sessionId)}
                >
                  {m.name}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          start(peer);
        }}
      >
        <label htmlFor="dm-peer">Session id</label>
        <input
          id="dm-peer"
          type="text"
          placeholder="paste a session id"
          value={peer}
          maxLength={64}
          spellcheck={false}
          autoCapitalize="characters"
          autoComplete="off"
          enterKeyHint="send"
          disabled={disabled}
          onInput={(e) => {
            setPeer(e.currentTarget.value);
            setError("");
          }}
        />
        <button type="submit" disabled={disabled || peer.trim() === ""}>Request</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}
