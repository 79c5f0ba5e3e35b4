/**
 * The connection's details, opened from the status bar: session id (to give to someone who wants
 * to message you), display name, the user a token signed in as, server clock, time connected, clients, ping, the last heartbeat
 * and browser notifications. Escape or Close shuts it and gives focus back to the bar.
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { askToNotify, canAskToNotify } from "../lib/ui/browser.ts";
import { ago, clockTime, duration } from "../lib/ui/format.ts";
import { hubStore } from "../lib/ui/shared.ts";
import { NameForm } from "./NameForm.tsx";

export interface ConnectionDetailsProps {
  /** The server's clock when the page was rendered, until the store knows better. */
  serverTime: number;
  onClose: () => void;
}

export function ConnectionDetails({ serverTime, onClose }: ConnectionDetailsProps) {
  const store = hubStore();
  const panel = useRef<HTMLElement>(null);
  const state = store.state.value;
  const session = store.session.value;
  const now = store.now.value;
  const offset = store.clockOffset.value;
  const serverNow = offset === null ? serverTime : now + offset;
  const connected = state === "connected" && session !== null;
  const beat = store.lastHeartbeat.value;
  const ping = store.pingMs.value;
  const clients = store.clients.value;

  // Opening moves focus in, so a keyboard user lands where the details are.
  useEffect(() => panel.current?.querySelector<HTMLElement>("button, input")?.focus(), []);

  return (
    <section
      ref={panel}
      id="connection-details"
      class="details"
      aria-labelledby="details-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header class="details-head">
        <h2 id="details-title">Your connection</h2>
        <button type="button" class="ghost" onClick={onClose}>Close</button>
      </header>
      <dl class="figures">
        <div class="figure wide">
          <dt>
            <label htmlFor="display-name">Display name</label>
          </dt>
          <dd>
            <NameForm
              current={store.name.value}
              disabled={!connected}
              locked={session?.nameLocked ?? false}
            />
          </dd>
        </div>
        {connected && session.userId !== null && (
          <div class="figure wide">
            <dt>Signed in as</dt>
            <dd data-testid="user-id">{session.userId}</dd>
          </div>
        )}
        <div class="figure wide">
          <dt>Session id</dt>
          <dd>
            <SessionId id={connected ? session.sessionId : null} />
          </dd>
        </div>
        <div class="figure">
          <dt>Server time</dt>
          <dd>
            <time dateTime={new Date(serverNow).toISOString()} data-testid="server-time">
              {clockTime(serverNow)}
            </time>
          </dd>
        </div>
        <div class="figure">
          <dt>Connected for</dt>
          <dd data-testid="uptime">
            {connected ? duration(serverNow - session.connectedAt) : "—"}
          </dd>
        </div>
        <div class="figure">
          <dt>Clients online</dt>
          <dd>{clients ?? "—"}{clients !== null && !connected && " (last known)"}</dd>
        </div>
        <div class="figure">
          <dt>Ping</dt>
          <dd>{ping === null ? "—" : `${ping} ms`}</dd>
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
      <Notifications />
    </section>
  );
}

function SessionId({ id }: { id: string | null }) {
  const [copied, setCopied] = useState("");
  if (id === null) return <span class="muted">not connected</span>;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      setCopied("Copied.");
    } catch {
      // No clipboard permission: select the id so Ctrl+C works.
      const el = document.getElementById("session-id");
      if (el) getSelection()?.selectAllChildren(el);
      setCopied("Selected: press Ctrl+C to copy.");
    }
    setTimeout(() => setCopied(""), 3000);
  };

  return (
    <span class="session">
      <code id="session-id" data-testid="session-id">{id}</code>
      <button type="button" class="ghost" onClick={copy} aria-label="Copy session id">
        Copy
      </button>
      <span class="muted" role="status">{copied}</span>
    </span>
  );
}

/** Browser notifications: offered while nobody decided, then said as they are. */
function Notifications() {
  const [asking, setAsking] = useState(canAskToNotify());
  if (typeof Notification === "undefined") return null;
  const permission = Notification.permission;
  return (
    <p class="details-note">
      {asking
        ? (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              askToNotify();
              setAsking(false);
            }}
          >
            Alert me of direct messages
          </button>
        )
        : permission === "granted"
        ? "Direct messages alert you while this tab is in the background."
        : permission === "denied"
        ? "Notifications are blocked for this page in your browser's settings."
        : "Your browser will ask whether to allow notifications."}
    </p>
  );
}
