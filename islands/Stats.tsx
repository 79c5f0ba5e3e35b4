/**
 * Live figures about this connection and the hub: state, session, name, server clock, uptime,
 * clients online, ping and the last heartbeat. Server-rendered from the route's figures, then
 * kept current by the shared store.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { StateBadge } from "../components/StateBadge.tsx";
import { LIMITS } from "../lib/protocol/mod.ts";
import { ago, clockTime, duration } from "../lib/ui/format.ts";
import { hubStore } from "../lib/ui/shared.ts";

export interface StatsProps {
  /** The server's clock when the page was rendered. */
  serverTime: number;
  /** Sessions connected when the page was rendered. */
  count: number;
}

export default function Stats({ serverTime, count }: StatsProps) {
  const store = hubStore();
  const state = store.state.value;
  const session = store.session.value;
  const now = store.now.value;
  const offset = store.clockOffset.value;
  const clients = store.clients.value ?? count;
  const serverNow = offset === null ? serverTime : now + offset;
  const connected = state === "connected" && session !== null;
  const beat = store.lastHeartbeat.value;
  const ping = store.pingMs.value;

  return (
    <section class="panel stats" aria-labelledby="stats-title">
      <header class="panel-head">
        <h2 id="stats-title">Your connection</h2>
        <StateBadge state={state} />
        {(state === "reconnecting" || state === "offline") && store.live && (
          <button
            type="button"
            class="ghost"
            onClick={() => store.reconnect()}
          >
            Reconnect now
          </button>
        )}
      </header>
      <dl class="figures">
        <div class="figure wide">
          <dt>Session</dt>
          <dd>
            <SessionId id={connected ? session.sessionId : null} />
          </dd>
        </div>
        <div class="figure wide">
          <dt>
            <label htmlFor="display-name">Display name</label>
          </dt>
          <dd>
            <NameForm current={store.name.value} disabled={!connected} />
          </dd>
        </div>
        <div class="figure">
          <dt>Server time</dt>
          <dd>
            <time
              class="big"
              dateTime={new Date(serverNow).toISOString()}
              data-testid="server-time"
            >
              {clockTime(serverNow)}
            </time>
          </dd>
        </div>
        <div class="figure">
          <dt>Connected for</dt>
          <dd class="big" data-testid="uptime">
            {connected ? duration(serverNow - session.connectedAt) : "—"}
          </dd>
        </div>
        <div class="figure">
          <dt>Clients online</dt>
          <dd class="big" data-testid="clients-online">{clients}</dd>
        </div>
        <div class="figure">
          <dt>Ping</dt>
          <dd class="big" data-testid="ping">{ping === null ? "—" : `${ping} ms`}</dd>
        </div>
        <div class="figure wide">
          <dt>Last heartbeat</dt>
          <dd data-testid="heartbeat">
            {beat === null
              ? (connected ? `none yet (every ${duration(session.heartbeatMs)})` : "—")
              : (
                <>
                  “{beat.text}” at {clockTime(beat.serverTime)}{" "}
                  <span class="muted">({ago(beat.at, now)})</span>
                </>
              )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function SessionId({ id }: { id: string | null }) {
  const [copied, setCopied] = useState<string | null>(null);
  if (id === null) return <span class="muted">not connected</span>;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      setCopied("Copied");
    } catch {
      // No clipboard permission: select the id so Ctrl+C works.
      const el = document.getElementById("session-id");
      if (el) getSelection()?.selectAllChildren(el);
      setCopied("Selected: press Ctrl+C");
    }
    setTimeout(() => setCopied(null), 2000);
  };

  return (
    <span class="session">
      <code id="session-id" data-testid="session-id">{id}</code>
      <button type="button" class="ghost small" onClick={copy} aria-label="Copy session id">
        Copy
      </button>
      <span class="muted" role="status">{copied ?? ""}</span>
    </span>
  );
}

function NameForm({ current, disabled }: { current: string; disabled: boolean }) {
  const store = hubStore();
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState("");
  const value = draft ?? current;

  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await store.setName(value);
      setDraft(null);
      setError("");
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form class="inline-form" onSubmit={submit}>
      <input
        id="display-name"
        type="text"
        value={value}
        minLength={LIMITS.minNameLength}
        maxLength={LIMITS.maxNameLength}
        disabled={disabled}
        autoComplete="nickname"
        onInput={(e) => setDraft(e.currentTarget.value)}
      />
      <button type="submit" disabled={disabled || draft === null || draft.trim() === current}>
        Save
      </button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
