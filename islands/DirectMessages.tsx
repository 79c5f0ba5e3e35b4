/**
 * Direct messages: start a conversation with someone online (or by pasted session id), answer
 * requests, and talk in one pane per conversation. Ended conversations stay readable and say
 * plainly why they ended. A peer whose connection dropped shows greyed out as away: the
 * conversation goes on, and what is sent waits for it to come back.
 *
 * After each action focus goes where the next step is: the message box after Accept, the
 * conversation's status line after a request, a Decline or a Close (it says what happened), and
 * the session id box after Dismiss.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { Composer } from "../components/Composer.tsx";
import { StartForm } from "../components/DmStartForm.tsx";
import { Stream } from "../components/Stream.tsx";
import { UnreadCount } from "../components/UnreadCount.tsx";
import { askToNotify } from "../lib/ui/browser.ts";
import { focusSoon, MAIN_FIELD } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";
import type { Conversation, DmStatus } from "../lib/ui/store.ts";

const STATUS: Record<DmStatus, string> = {
  outgoing: "Waiting for an answer",
  incoming: "Wants to talk",
  open: "Connected",
  declined: "Declined your request",
  refused: "You declined",
  expired: "Request expired",
  closed: "Closed",
  gone: "Went offline",
  ended: "Ended (you reconnected)",
};

export default function DirectMessages() {
  const store = hubStore();
  const conversations = store.conversations.value;
  const active = conversations.find((c) => c.peer === store.activeDm.value) ?? null;
  const connected = store.state.value === "connected";
  const off = store.view.value !== "dms";

  return (
    <section
      id="view-dms"
      class={off ? "panel dms view view-off" : "panel dms view"}
      aria-labelledby="dms-title"
    >
      <header class="panel-head">
        <h2 id="dms-title">Direct messages</h2>
      </header>
      <StartForm disabled={!connected} />
      {conversations.length === 0
        ? (
          <p class="empty">
            No conversations yet. Pick someone online, or paste a session id.
          </p>
        )
        : (
          <ul class="conversations" aria-label="Conversations">
            {conversations.map((c) => (
              <li key={c.peer}>
                <button
                  type="button"
                  class={[
                    "conversation",
                    c.peer === active?.peer && "active",
                    c.peerAway && "away",
                  ].filter(Boolean).join(" ")}
                  aria-pressed={c.peer === active?.peer}
                  onClick={() => store.showDm(c.peer === active?.peer ? null : c.peer)}
                >
                  <span class="conversation-name">{c.name}</span>
                  {
                    /* An open conversation with an away peer is just "Away": "Connected" would
                      say the opposite; a pending request keeps its status beside it. */
                  }
                  {!(c.peerAway && c.status === "open") && (
                    <span class={`pill status-${c.status}`}>{STATUS[c.status]}</span>
                  )}
                  {c.peerAway && <span class="pill status-away">Away</span>}
                  <UnreadCount n={c.unread} />
                </button>
              </li>
            ))}
          </ul>
        )}
      {active !== null && <Pane conversation={active} connected={connected} />}
    </section>
  );
}

function Pane({ conversation: c, connected }: { conversation: Conversation; connected: boolean }) {
  const store = hubStore();
  const [error, setError] = useState("");
  /** Runs an action, then moves focus to the first of `then` that is drawn. */
  const act = (fn: () => Promise<void>, ...then: string[]) => () => {
    fn().then(() => {
      setError("");
      focusSoon(...then);
    }, (err: Error) => setError(err.message));
  };
  const finished = c.status !== "open" && c.status !== "incoming" && c.status !== "outgoing";

  return (
    <section class={c.peerAway ? "pane away" : "pane"} aria-label={`Conversation with ${c.name}`}>
      <div class="pane-head">
        <strong class="conversation-name">{c.name}</strong>
        <code class="muted peer-id" title={c.peer}>{c.peer.slice(-6)}</code>
        <span class="actions">
          {c.status === "incoming" && (
            <>
              <button
                type="button"
                disabled={!connected}
                onClick={act(() => {
                  askToNotify();
                  return store.acceptDm(c.peer);
                }, MAIN_FIELD.dms)}
              >
                Accept
              </button>
              <button
                type="button"
                class="danger"
                disabled={!connected}
                onClick={act(() => store.declineDm(c.peer), "dm-status")}
              >
                Decline
              </button>
            </>
          )}
          {c.status === "outgoing" && (
            <button
              type="button"
              class="ghost"
              disabled={!connected}
              onClick={act(() => store.closeDm(c.peer), "dm-status")}
            >
              Withdraw
            </button>
          )}
          {c.status === "open" && (
            <button
              type="button"
              class="ghost"
              disabled={!connected}
              onClick={act(() => store.closeDm(c.peer), "dm-status")}
            >
              Close
            </button>
          )}
          {finished && c.status !== "gone" && c.status !== "ended" && (
            <button
              type="button"
              class="ghost"
              disabled={!connected}
              onClick={act(() => store.requestDm(c.peer), "dm-status")}
            >
              Ask again
            </button>
          )}
          {finished && (
            <button
              type="button"
              class="ghost"
              onClick={() => {
                store.dismissDm(c.peer);
                focusSoon("dm-peer");
              }}
            >
              Dismiss
            </button>
          )}
        </span>
      </div>
      <p
        id="dm-status"
        class={`pane-status status-${c.peerAway ? "away" : c.status}`}
        role="status"
        tabIndex={-1}
      >
        {describe(c)}
      </p>
      {error && <p class="error" role="alert">{error}</p>}
      <Stream
        items={c.items}
        label={`Messages with ${c.name}`}
        empty="No messages yet."
        streamKey={c.peer}
      />
      {c.status === "open" && (
        <Composer
          key={c.peer}
          id={MAIN_FIELD.dms}
          label={`Direct message to ${c.name}`}
          placeholder={`Message ${c.name}`}
          disabled={!connected}
          onSend={(text) => store.sendDm(c.peer, text)}
        />
      )}
    </section>
  );
}

function describe(c: Conversation): string {
  if (c.peerAway) {
    switch (c.status) {
      case "outgoing":
        return `Request sent. ${c.name} is away (their connection dropped); it waits for them.`;
      case "incoming":
        return `${c.name} wants to start a conversation with you, but is away for now.`;
      case "open":
        return `${c.name} is away: their connection dropped. What you send waits for them.`;
    }
  }
  switch (c.status) {
    case "outgoing":
      return `Request sent. Waiting for ${c.name} to accept.`;
    case "incoming":
      return `${c.name} wants to start a conversation with you.`;
    case "open":
      return `You and ${c.name} are connected.`;
    case "declined":
      return `${c.name} declined your request.`;
    case "refused":
      return `You declined ${c.name}'s request.`;
    case "expired":
      return "The request expired before anyone answered.";
    case "closed":
      return c.closedByMe ? "You closed this conversation." : `${c.name} closed this conversation.`;
    case "gone":
      return `${c.name} went offline. This conversation has ended.`;
    case "ended":
      return "Your connection dropped, so this conversation ended.";
  }
}
