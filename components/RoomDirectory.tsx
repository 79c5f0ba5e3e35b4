/**
 * The rooms on the hub, largest first, with a box to join or create one by name. The hub keeps
 * the list current (`room_directory.ts`), and the rooms we are in are counted as their headers
 * count them, so the two never disagree. Joining a room shows it and puts focus in its message
 * box.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { checkRoomName } from "../lib/ui/checks.ts";
import { focusSoon, MAIN_FIELD } from "../lib/ui/focus.ts";
import { hubStore } from "../lib/ui/shared.ts";

export interface RoomDirectoryProps {
  /** The rooms we are in. */
  joined: string[];
  connected: boolean;
}

export function RoomDirectory({ joined, connected }: RoomDirectoryProps) {
  const store = hubStore();
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const list = store.roomList.value;

  const join = async (room: string) => {
    try {
      await store.join(room);
      setName("");
      setError("");
      store.showView("chat");
      focusSoon(MAIN_FIELD.chat);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="rooms-title" class={connected ? "rooms-box" : "rooms-box stale"}>
      <h3 id="rooms-title">
        Rooms
        {!connected && <span class="stale-tag">last known</span>}
      </h3>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            join(checkRoomName(name));
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <label class="visually-hidden" htmlFor="join-room">Room to join or create</label>
        <input
          id="join-room"
          type="text"
          placeholder="room name"
          value={name}
          maxLength={65}
          spellcheck={false}
          autoCapitalize="off"
          disabled={!connected}
          autoComplete="off"
          enterKeyHint="go"
          aria-describedby={error ? "join-room-error" : undefined}
          onInput={(e) => {
            setName(e.currentTarget.value);
            setError("");
          }}
        />
        <button type="submit" disabled={!connected || name.trim() === ""}>Join</button>
        {error && <p id="join-room-error" class="error" role="alert">{error}</p>}
      </form>
      <ul class="room-list" aria-label="Rooms on the hub">
        {list.map((r) => {
          const inIt = joined.includes(r.room);
          return (
            <li key={r.room}>
              <button
                type="button"
                class="room-link"
                disabled={!connected}
                onClick={() => inIt ? store.showRoom(r.room) : join(r.room)}
              >
                {/* Read as "Join #deno 3 members", "Show #lobby joined 2 members". */}
                <span class="visually-hidden">{inIt ? "Show" : "Join"}</span>
                <span class="room-link-name">#{r.room}</span>
                {inIt && <span class="joined-tag">joined</span>}
                <span class="size" data-testid="directory-size">{r.size}</span>
                <span class="visually-hidden">{r.size === 1 ? "member" : "members"}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
