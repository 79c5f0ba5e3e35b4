/**
 * The display-name form: checks the name as it is typed, by the hub's own rules, so Save is
 * enabled only for a name the hub would take, and the reason shows while it would not.
 *
 * @module
 */

import { useRef, useState } from "preact/hooks";
import { LIMITS } from "../lib/protocol/mod.ts";
import { nameError } from "../lib/ui/checks.ts";
import { hubStore } from "../lib/ui/shared.ts";

/**
 * `locked`: the name comes from the user's token (`welcome.nameLocked`), so it is shown, not
 * offered for editing: the hub would refuse any other.
 */
export function NameForm(
  { current, disabled, locked = false }: { current: string; disabled: boolean; locked?: boolean },
) {
  const store = hubStore();
  const input = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [saved, setSaved] = useState(false);
  const value = draft ?? current;
  const changed = draft !== null && draft.trim() !== current;
  const problem = changed ? nameError(value) : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!changed || problem !== null) return;
    try {
      await store.setName(value);
      setDraft(null);
      setError("");
      setSaved(true);
    } catch (err) {
      setError((err as Error).message);
    }
    // Save turns disabled: focus stays in the field rather than dropping to the page.
    input.current?.focus();
  };

  const shown = problem ?? error;
  return (
    <form class="inline-form name-form" onSubmit={submit}>
      <input
        ref={input}
        id="display-name"
        type="text"
        value={value}
        maxLength={LIMITS.maxNameLength * 2}
        disabled={disabled || locked}
        autoComplete="nickname"
        aria-invalid={problem !== null}
        aria-describedby="display-name-note"
        onInput={(e) => {
          setDraft(e.currentTarget.value);
          setSaved(false);
          setError("");
        }}
      />
      <button type="submit" disabled={disabled || locked || !changed || problem !== null}>
        Save
      </button>
      <p id="display-name-note" class={shown ? "error" : "note"} role="status">
        {shown ||
          (locked
            ? "Your name comes from your account."
            : saved
            ? "Saved. Everyone in your rooms sees the new name."
            : "")}
      </p>
    </form>
  );
}
