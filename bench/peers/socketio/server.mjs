// Socket.IO 4.8 peer for `deno task bench`: the same services as the hub, in Socket.IO's idiom.
// `random` answers through the ack, `join` puts the socket in a room, and `chat` broadcasts to the
// room (sender included, as the hub does) before acking. Listens on 127.0.0.1:$PORT.
import { createServer } from "node:http";
import { createRequire } from "node:module";

// Required rather than imported, so that `deno check .` in the repository does not try to resolve
// npm packages that live in this folder's own node_modules.
const { Server } = createRequire(import.meta.url)("socket.io");

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error("PORT must be set to a port number");
  process.exit(2);
}

const http = createServer();
const io = new Server(http, { serveClient: false, cors: { origin: "*" } });

io.on("connection", (socket) => {
  socket.on("random", (data, ack) => {
    const n = Math.floor(Math.random() * 100) + 1;
    if (typeof ack === "function") ack({ text: `${data?.text} ${n}`, n });
  });
  socket.on("join", (data, ack) => {
    socket.join(String(data?.room));
    if (typeof ack === "function") ack({ room: data?.room });
  });
  socket.on("chat", (data, ack) => {
    const ts = Date.now();
    io.to(String(data?.room)).emit("chat", { room: data?.room, text: data?.text, ts });
    if (typeof ack === "function") ack({ ts });
  });
});

const stop = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

http.listen(port, "127.0.0.1", 1024, () => console.log(`listening on 127.0.0.1:${port}`));
