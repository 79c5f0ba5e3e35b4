/**
 * The random-number service: send a text, get it back with a number from 1 to 100 appended, and
 * see the last replies. The number is drawn once, large, beside the text that was sent (an empty
 * text shows the number alone).
 *
 * @module
 */

import { useState } from "preact/hooks";
import { LIMITS } from "../lib/protocol/mod.ts";
import { shortTime } from "../lib/ui/format.ts";
import { MAIN_FIELD } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";

/** Between the text and its number, for screen readers ("dice: 42"). */
const COLON = ": ";

export default function RandomNumbers() {
  const store = hubStore();
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const history = store.randoms.value;
  const connected = store.state.value === "connected";
  const off = store.view.value !== "random";
  const [latest, ...older] = history;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await store.random(text);
      setError("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      id="view-random"
      class={off ? "panel random view view-off" : "panel random view"}
      aria-labelledby="random-title"
    >
      <header class="panel-head">
        <h2 id="random-title">Random numbers</h2>
      </header>
      <form class="inline-form" onSubmit={submit}>
        <label htmlFor={MAIN_FIELD.random}>Text</label>
        <input
          id={MAIN_FIELD.random}
          type="text"
          value={text}
          maxLength={LIMITS.maxTextLength}
          placeholder="e.g. dice"
          autoComplete="off"
          disabled={!connected}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={!connected || busy}>Get a number</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <output class="random-latest" aria-live="polite" data-testid="random-latest">
        {latest
          ? (
            <>
              <span class="random-text">
                {latest.asked || <span class="muted">(no text)</span>}
              </span>
              <span class="random-n" data-testid="random-n">
                <span class="visually-hidden">{COLON}</span>
                {latest.n}
              </span>
            </>
          )
          : <span class="muted">The server appends a number from 1 to 100.</span>}
      </output>
      {older.length > 0 && (
        <ol class="random-history" aria-label="Earlier replies">
          {older.map((r) => (
            <li key={r.key}>
              <span class="random-text">
                {r.asked && <>{r.asked}{" "}</>}
                <strong class="random-history-n">{r.n}</strong>
              </span>
              <time class="muted" dateTime={new Date(r.at).toISOString()}>{shortTime(r.at)}</time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
