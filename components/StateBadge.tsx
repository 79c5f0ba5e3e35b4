/**
 * The connection state as a coloured, labelled pill.
 *
 * @module
 */

import type { ConnectionState } from "../lib/client/mod.ts";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function StateBadge({ state }: { state: ConnectionState }) {
  return (
    <span class={`badge state-${state}`} data-state={state} role="status">
      <span class="dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
