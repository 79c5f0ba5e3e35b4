/**
 * Rooms and chat, the page's main area: the joined rooms as tabs, the message stream of the room
 * shown (history loads when it opens, older pages as the reader scrolls up), the message box, the
 * members of the room (each a click away from a direct conversation; those whose connection
 * dropped greyed out as away) and the directory of rooms, which the hub keeps current. While the
 * connection is down, counts and members are marked as last known.
 *
 * @module
 */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { Composer } from "../components/Composer.tsx";
import { RoomDirectory } from "../components/RoomDirectory.tsx";
import { Stream } from "../components/Stream.tsx";
import { UnreadCount } from "../components/UnreadCount.tsx";
import { LOBBY } from "../lib/protocol/mod.ts";
import { askToNotify } from "../lib/ui/browser.ts";
import { focusSoon, MAIN_FIELD } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";
import { hasOlder, type RoomView } from "../lib/ui/store.ts";

export default function Chat() {
  const store = hubStore();
  const rooms = store.rooms.value;
  const room = store.room.value;
  const connected = store.state.value === "connected";
  const off = store.view.value !== "chat";

  return (
    <section
      id="view-chat"
      class={off ? "panel chat view view-off" : "panel chat view"}
      aria-labelledby="chat-title"
    >
      <header class="panel-head">
        <h2 id="chat-title">Chat</h2>
        <nav class="tabs" aria-label="Your rooms">
          {rooms.map((r) => (
            <button
              key={r.room}
              type="button"
              class={r.room === room?.room ? "tab active" : "tab"}
              aria-pressed={r.room === room?.room}
              onClick={() => store.showRoom(r.room)}
            >
              #{r.room}
              <UnreadCount n={r.unread} />
            </button>
          ))}
        </nav>
        {room !== null && <RoomMeta room={room} connected={connected} />}
      </header>

      <div class="chat-body">
        <div class="chat-main">
          {room === null
            ? <p class="empty">You are in no room. Join one below to chat.</p>
            : <RoomPane room={room} connected={connected} />}
        </div>
        <aside class="chat-side" aria-label="Members and rooms">
          {room !== null && <Members room={room} connected={connected} />}
          <RoomDirectory joined={rooms.map((r) => r.room)} connected={connected} />
        </aside>
      </div>
    </section>
  );
}

/** The room shown: how many are in it (as the directory counts them) and the way out. */
function RoomMeta({ room, connected }: { room: RoomView; connected: boolean }) {
  const store = hubStore();
  const size = store.roomList.value.find((r) => r.room === room.room)?.size ??
    room.members.length;
  const away = room.members.filter((m) => m.away).length;
  return (
    <div class={connected ? "room-bar" : "room-bar stale"}>
      <span class="room-size" data-testid="room-size">
        <span class="visually-hidden">{`#${room.room}: `}</span>
        {size} {size === 1 ? "member" : "members"}
        {away > 0 && `, ${away} away`}
      </span>
      {!connected && <span class="stale-tag">last known</span>}
      <LeaveButton room={room.room} disabled={!connected} />
    </div>
  );
}

function RoomPane({ room, connected }: { room: RoomView; connected: boolean }) {
  const store = hubStore();
  return (
    <>
      <Stream
        items={room.items}
        label={`Messages in #${room.room}`}
        empty={`No messages in #${room.room} yet. Say hello!`}
        streamKey={room.room}
        head={historyHead(room, !connected)}
        onTop={() => loadOlder(room.room)}
      />
      <Composer
        key={room.room}
        id={MAIN_FIELD.chat}
        label={`Message #${room.room}`}
        placeholder={connected ? `Message #${room.room}` : "Waiting for the connection…"}
        disabled={!connected}
        onSend={(text) => store.say(text)}
      />
    </>
  );
}

function Members({ room, connected }: { room: RoomView; connected: boolean }) {
  const store = hubStore();
  const me = store.session.value?.sessionId ?? null;
  return (
    <section
      aria-labelledby="members-title"
      class={connected ? "members-box" : "members-box stale"}
    >
      <h3 id="members-title">
        Members of #{room.room}
        {!connected && <span class="stale-tag">last known</span>}
      </h3>
      <ul class="members">
        {room.members.map((m) => (
          <li key={m.sessionId} class={m.away ? "member away" : "member"}>
            <span class="member-name" title={m.sessionId}>{m.name}</span>
            {m.away && (
              <span class="member-state" title="Connection dropped; may come back">away</span>
            )}
            {m.sessionId === me ? <span class="muted you">(you)</span> : (
              <MessageButton
                peer={m.sessionId}
                name={m.name}
                disabled={!connected}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Loads older messages, once at a time; a failure waits for the next scroll or click. */
function loadOlder(room: string): void {
  hubStore().loadOlder(room).catch((err: Error) => console.warn("Loading history:", err.message));
}

/** The top of a room's stream: a way to older messages, word that there are none, or nothing. */
function historyHead(room: RoomView, disabled: boolean): JSX.Element | undefined {
  if (room.loadingOlder) return <span class="muted">Loading older messages…</span>;
  if (hasOlder(room)) {
    return (
      <button
        type="button"
        class="ghost"
        disabled={disabled}
        onClick={() => loadOlder(room.room)}
      >
        Load older messages
      </button>
    );
  }
  const any = room.items.some((i) => i.kind === "message");
  return any ? <span class="muted">The beginning of #{room.room}.</span> : undefined;
}

function LeaveButton({ room, disabled }: { room: string; disabled: boolean }) {
  const store = hubStore();
  const [error, setError] = useState("");
  const leave = () => {
    store.leave(room).then(() => {
      setError("");
      // The room shown next, or, with none left, the box to join one.
      focusSoon(MAIN_FIELD.chat, "join-room");
    }, (err: Error) => setError(err.message));
  };
  return (
    <>
      <button type="button" class="ghost leave" onClick={leave} disabled={disabled}>
        Leave{room === LOBBY ? " lobby" : ""}
        {room !== LOBBY && <span class="visually-hidden">{` #${room}`}</span>}
      </button>
      {error && <span class="error" role="alert">{error}</span>}
    </>
  );
}

/**
 * Asks a member for a conversation, or shows the one there is (the store sends nothing then), and
 * takes focus to the conversation's status line, which says where it stands.
 */
function MessageButton(
  { peer, name, disabled }: { peer: string; name: string; disabled: boolean },
) {
  const store = hubStore();
  const [error, setError] = useState("");
  const start = () => {
    askToNotify();
    store.requestDm(peer).then(() => {
      setError("");
      store.showView("dms");
      focusSoon("dm-status");
    }, (err: Error) => setError(err.message));
  };
  return (
    <>
      <button
        type="button"
        class="ghost"
        onClick={start}
        disabled={disabled}
        aria-label={`Message ${name} directly`}
      >
        Message
      </button>
      {error && <span class="error" role="alert">{error}</span>}
    </>
  );
}
