/**
 * A one-line message box with a Send button; Enter sends. Keeps the text when sending fails and
 * shows why.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { LIMITS } from "../lib/protocol/mod.ts";

export interface ComposerProps {
  /** The input's id, for moving focus to it after an action elsewhere. */
  id?: string;
  /** The input's accessible name, e.g. "Message #lobby". */
  label: string;
  placeholder: string;
  disabled?: boolean;
  /** Sends the text; a rejection's message is shown under the box. */
  onSend: (text: string) => Promise<void>;
}

export function Composer({ id, label, placeholder, disabled, onSend }: ComposerProps) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (text.trim() === "" || busy) return;
    setBusy(true);
    try {
      await onSend(text);
      setText("");
      setError("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="composer" onSubmit={submit}>
      <input
        id={id}
        type="text"
        aria-label={label}
        enterKeyHint="send"
        value={text}
        maxLength={LIMITS.maxTextLength}
        placeholder={placeholder}
        disabled={disabled}
        autoComplete="off"
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" disabled={disabled || busy || text.trim() === ""}>Send</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
