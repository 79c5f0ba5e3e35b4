/**
 * The connection as a compact bar that stays in view: its state, the clients online, the ping and
 * your name, with the details (session id, display name, clocks, heartbeat, notifications) one
 * click away. While the connection is down the figures are marked as last known; once the client
 * gave up, the bar says Offline and offers to retry. Server-rendered from the route's figures,
 * then kept current by the shared store.
 *
 * @module
 */

import { useRef, useState } from "preact/hooks";
import { ConnectionDetails } from "../components/ConnectionDetails.tsx";
import { StateBadge } from "../components/StateBadge.tsx";
import { hubStore } from "../lib/ui/shared.ts";

/** Words around the figures, spaces included (screen readers join the parts as they are). */
const SAID = { lastKnown: " (last known)", you: "You: ", details: " (connection details)" };

export interface StatusBarProps {
  /** The server's clock when the page was rendered. */
  serverTime: number;
  /** Sessions connected when the page was rendered. */
  count: number;
}

export default function StatusBar({ serverTime, count }: StatusBarProps) {
  const store = hubStore();
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const state = store.state.value;
  const session = store.session.value;
  const clients = store.clients.value ?? count;
  const ping = store.pingMs.value;
  const stale = state !== "connected";
  const name = store.name.value;

  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };

  return (
    <div
      class={["statusbar", stale && "stale", state === "offline" && "gave-up"].filter(Boolean)
        .join(" ")}
      data-session-id={state === "connected" ? session?.sessionId : undefined}
    >
      <StateBadge state={state} />
      {state === "offline" && store.live && (
        <button
          type="button"
          class="retry"
          onClick={() => store.reconnect()}
        >
          Retry now
        </button>
      )}
      <span class="stats">
        <span class="stat" title={stale ? "Last known: the connection is down" : undefined}>
          <span class="stat-value" data-testid="clients-online">{clients}</span> online
          {stale && <span class="visually-hidden">{SAID.lastKnown}</span>}
        </span>
        <span class="stat">
          <span class="stat-label">ping</span>{" "}
          <span class="stat-value" data-testid="ping">{ping === null ? "—" : `${ping} ms`}</span>
        </span>
      </span>
      <button
        ref={toggle}
        type="button"
        class="me"
        aria-expanded={open}
        aria-controls="connection-details"
        onClick={() => setOpen(!open)}
      >
        <span class="me-label">{SAID.you}</span>
        <span class="me-name">{name === "" ? "…" : name}</span>
        <span class="visually-hidden">{SAID.details}</span>
        <svg class="chevron" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
          <path d="M2 4l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.6" />
        </svg>
      </button>
      {open && <ConnectionDetails serverTime={serverTime} onClose={close} />}
    </div>
  );
}
