/**
 * The random-number service: send a text, get it back with a number from 1 to 100 appended, and
 * see the last replies.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { LIMITS } from "../lib/protocol/mod.ts";
import { shortTime } from "../lib/ui/format.ts";
import { hubStore } from "../lib/ui/shared.ts";

export default function RandomNumbers() {
  const store = hubStore();
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const history = store.randoms.value;
  const connected = store.state.value === "connected";
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
    <section class="panel random" aria-labelledby="random-title">
      <header class="panel-head">
        <h2 id="random-title">Random numbers</h2>
      </header>
      <form class="inline-form" onSubmit={submit}>
        <label htmlFor="random-text">Text</label>
        <input
          id="random-text"
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
              <span class="random-text">{latest.text}</span>
              <span class="random-n" aria-hidden="true">{latest.n}</span>
            </>
          )
          : <span class="muted">The server appends a number from 1 to 100.</span>}
      </output>
      {older.length > 0 && (
        <ol class="random-history" aria-label="Earlier replies">
          {older.map((r) => (
            <li key={r.key}>
              <span class="random-text">{r.text}</span>
              <time class="muted" dateTime={new Date(r.at).toISOString()}>{shortTime(r.at)}</time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
