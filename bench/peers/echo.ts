/**
 * The floor for any Deno server in `deno task bench`: bare `Deno.upgradeWebSocket`, no hub logic.
 * It speaks the hub's JSON frames for the services the benchmark uses: `random` (the same reply
 * shape as the hub), `ping`, and a room broadcast (`join`, then `chat` to every member, the frame
 * serialized once). It sends a minimal `welcome` so the same clients work against it.
 * Listens on 127.0.0.1:$PORT. With `HEARTBEAT_MS` set it also sends every socket the hub's
 * heartbeat frame at that interval, all in one loop: the floor for what a heartbeat costs in CPU.
 * `HEARTBEAT_SLICE` spreads those beats over the interval in slices instead (the hub's staggered
 * heartbeat, bare), and `IDLE_TIMEOUT_S` sets Deno's keepalive as the hub's `IDLE_TIMEOUT_S` does
 * (unset: Deno's default, 120 s); the scale workloads give echo the hub's.
 *
 * @module
 */

const port = Number(Deno.env.get("PORT"));
const heartbeatMs = Number(Deno.env.get("HEARTBEAT_MS") ?? 0);
const rooms = new Map<string, Set<WebSocket>>();
const sockets = new Set<WebSocket>();

const heartbeatSlice = Number(Deno.env.get("HEARTBEAT_SLICE") ?? 0);
const idleTimeout = Deno.env.get("IDLE_TIMEOUT_S");
const heartbeatFrame = () =>
  JSON.stringify({ type: "heartbeat", data: { text: "Connected", serverTime: Date.now() } });

if (heartbeatMs > 0 && heartbeatSlice <= 0) {
  setInterval(() => {
    const frame = heartbeatFrame();
    for (const socket of sockets) socket.send(frame);
  }, heartbeatMs);
}

// HEARTBEAT_SLICE: the same beats, spread over the interval in slices of that many sockets, one
// timer per slice: the floor for a staggered heartbeat (a snapshot per interval; a socket that
// came or went meanwhile waits for the next).
if (heartbeatMs > 0 && heartbeatSlice > 0) {
  const beat = () => {
    const start = performance.now();
    const all = [...sockets];
    const slices = Math.max(1, Math.ceil(all.length / heartbeatSlice));
    for (let i = 0; i < slices; i++) {
      setTimeout(() => {
        const frame = heartbeatFrame();
        for (const socket of all.slice(i * heartbeatSlice, (i + 1) * heartbeatSlice)) {
          if (socket.readyState === WebSocket.OPEN) socket.send(frame);
        }
      }, (i * heartbeatMs) / slices);
    }
    setTimeout(beat, Math.max(0, heartbeatMs - (performance.now() - start)));
  };
  beat();
}

interface Frame {
  type: string;
  id?: number | string;
  data?: { text?: string; room?: string };
}

function reply(socket: WebSocket, id: Frame["id"], data: unknown): void {
  if (id === undefined) return;
  socket.send(
    `{"type":"reply","id":${JSON.stringify(id)},"ok":true,"data":${JSON.stringify(data)}}`,
  );
}

function handle(socket: WebSocket, joined: Set<string>, frame: Frame): void {
  const data = frame.data ?? {};
  switch (frame.type) {
    case "ping":
      return reply(socket, frame.id, { serverTime: Date.now() });
    case "random": {
      const n = Math.floor(Math.random() * 100) + 1;
      return reply(socket, frame.id, { text: `${data.text} ${n}`, n });
    }
    case "join": {
      const room = String(data.room);
      let members = rooms.get(room);
      if (!members) rooms.set(room, members = new Set());
      members.add(socket);
      joined.add(room);
      return reply(socket, frame.id, { room });
    }
    case "chat": {
      const room = String(data.room);
      const ts = Date.now();
      const event = JSON.stringify({ type: "chat", data: { room, text: data.text, ts } });
      for (const member of rooms.get(room) ?? []) {
        if (member.readyState === WebSocket.OPEN) member.send(event);
      }
      return reply(socket, frame.id, { ts });
    }
  }
}

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`listening on 127.0.0.1:${port}`),
}, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(
    req,
    idleTimeout ? { idleTimeout: Number(idleTimeout) } : {},
  );
  const joined = new Set<string>();
  socket.onopen = () => {
    if (heartbeatMs > 0) sockets.add(socket);
    const now = Date.now();
    socket.send(JSON.stringify({
      type: "welcome",
      data: {
        sessionId: "echo",
        name: "echo",
        connectedAt: now,
        serverTime: now,
        heartbeatMs: 60_000,
      },
    }));
  };
  socket.onmessage = (event) => handle(socket, joined, JSON.parse(event.data));
  socket.onclose = () => {
    sockets.delete(socket);
    for (const room of joined) {
      const members = rooms.get(room);
      members?.delete(socket);
      if (members?.size === 0) rooms.delete(room);
    }
  };
  return response;
});
