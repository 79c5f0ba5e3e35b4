/**
 * Rooms and chat: the joined rooms as tabs, a directory of rooms with their sizes, the members
 * of the room shown (each one a click away from a direct conversation; those whose connection
 * dropped greyed out as away), and the message stream with its history, older pages loading as
 * the reader scrolls up.
 *
 * @module
 */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { Composer } from "../components/Composer.tsx";
import { Stream } from "../components/Stream.tsx";
import { LOBBY } from "../lib/protocol/mod.ts";
import { hubStore } from "../lib/ui/shared.ts";
import { hasOlder, type RoomView } from "../lib/ui/store.ts";

export default function Chat() {
  const store = hubStore();
  const rooms = store.rooms.value;
  const room = store.room.value;
  const me = store.session.value?.sessionId ?? null;
  const connected = store.state.value === "connected";
  const conversations = store.conversations.value;
  const away = room?.members.filter((m) => m.away).length ?? 0;

  return (
    <section class="panel chat" aria-labelledby="chat-title">
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
              {r.unread > 0 && (
                <span class="count" aria-label={`${r.unread} unread`}>{r.unread}</span>
              )}
            </button>
          ))}
        </nav>
      </header>

      <div class="chat-body">
        <div class="chat-main">
          {room === null ? <p class="empty">You are in no room. Join one to chat.</p> : (
            <>
              <div class="room-bar">
                <strong>#{room.room}</strong>
                <span class="muted">
                  {room.members.length} {room.members.length === 1 ? "member" : "members"}
                  {away > 0 && `, ${away} away`}
                </span>
                <LeaveButton room={room.room} disabled={!connected} />
              </div>
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
                label={`Message #${room.room}`}
                placeholder={`Message #${room.room}`}
                disabled={!connected}
                onSend={(text) => store.say(text)}
              />
            </>
          )}
        </div>

        <aside class="chat-side">
          {room !== null && (
            <section aria-labelledby="members-title">
              <h3 id="members-title">Members of #{room.room}</h3>
              <ul class="members">
                {room.members.map((m) => {
                  const talking = conversations.some((c) =>
                    c.peer === m.sessionId && (c.status === "open" || c.status === "outgoing")
                  );
                  return (
                    <li key={m.sessionId} class={m.away ? "member away" : "member"}>
                      <span class="member-name" title={m.sessionId}>{m.name}</span>
                      {m.away && (
                        <span class="member-state" title="Connection dropped; may come back">
                          away
                        </span>
                      )}
                      {m.sessionId === me ? <span class="muted">(you)</span> : (
                        <MessageButton
                          peer={m.sessionId}
                          name={m.name}
                          disabled={!connected || talking}
                        />
                      )}
                    </li>
                  );
                })}
              </ul>
            </section>
          )}
          <RoomDirectory joined={rooms.map((r) => r.room)} disabled={!connected} />
        </aside>
      </div>
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
        class="ghost small"
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
    store.leave(room).then(() => setError(""), (err: Error) => setError(err.message));
  };
  return (
    <>
      <button type="button" class="ghost small" onClick={leave} disabled={disabled}>
        Leave{room === LOBBY ? " lobby" : ""}
      </button>
      {error && <span class="error" role="alert">{error}</span>}
    </>
  );
}

function MessageButton(
  { peer, name, disabled }: { peer: string; name: string; disabled: boolean },
) {
  const store = hubStore();
  const [error, setError] = useState("");
  const start = () => {
    store.requestDm(peer).then(() => setError(""), (err: Error) => setError(err.message));
  };
  return (
    <>
      <button
        type="button"
        class="ghost small"
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

function RoomDirectory({ joined, disabled }: { joined: string[]; disabled: boolean }) {
  const store = hubStore();
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const list = store.roomList.value;

  const join = async (room: string) => {
    try {
      await store.join(room);
      setName("");
      setError("");
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="rooms-title">
      <h3 id="rooms-title">Rooms</h3>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          join(name);
        }}
      >
        <label class="visually-hidden" htmlFor="join-room">Room to join</label>
        <input
          id="join-room"
          type="text"
          placeholder="room name"
          value={name}
          maxLength={64}
          pattern="#?[A-Za-z0-9_.\-]{1,64}"
          title="1 to 64 letters, digits, '_', '.' or '-'"
          disabled={disabled}
          autoComplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" disabled={disabled || name.trim() === ""}>Join</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="room-list">
        {list.map((r) => {
          const inIt = joined.includes(r.room);
          return (
            <li key={r.room}>
              <button
                type="button"
                class="link"
                disabled={disabled}
                onClick={() => inIt ? store.showRoom(r.room) : join(r.room)}
                aria-label={`${inIt ? "Show" : "Join"} #${r.room}, ${r.size} online`}
              >
                #{r.room}
              </button>
              <span class="size">{r.size}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
