"""Flask-SocketIO peer for `deno task bench`, in eventlet mode, run with Debian's /usr/bin/python3.

The same services as the hub in Socket.IO's idiom: `random` answers through the ack, `join` puts
the client in a room, and `chat` broadcasts to the room (sender included) before acking.
Listens on 127.0.0.1:$PORT.
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", cors_allowed_origins="*")


@socketio.on("random")
def on_random(data):
    n = random.randint(1, 100)
    return {"text": f"{data['text']} {n}", "n": n}


@socketio.on("join")
def on_join(data):
    join_room(data["room"])
    return {"room": data["room"]}


@socketio.on("chat")
def on_chat(data):
    ts = int(time.time() * 1000)
    socketio.emit("chat", {"room": data["room"], "text": data["text"], "ts": ts}, to=data["room"])
    return {"ts": ts}


def main():
    port = int(os.environ["PORT"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # What socketio.run() does for eventlet, with a deeper accept backlog and no 1,024-greenlet cap,
    # so 10,000 idle connections can be held.
    listener = eventlet.listen(("127.0.0.1", port), backlog=1024)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=100_000)


if __name__ == "__main__":
    main()
