// Correctness check with the official client (socket.io-client 4.8), run by `deno task bench`
// before any timing: `node check.mjs http://127.0.0.1:PORT`. Works against both Socket.IO peers
// (Node and Flask-SocketIO). Prints one JSON line and exits 0 when every check passed.
import { createRequire } from "node:module";

// Required rather than imported, so that `deno check .` in the repository does not try to resolve
// npm packages that live in this folder's own node_modules.
const { io } = createRequire(import.meta.url)("socket.io-client");

const url = process.argv[2];
const fail = (message) => {
  console.log(JSON.stringify({ ok: false, detail: message }));
  process.exit(1);
};
const timer = setTimeout(() => fail("timed out after 15 s"), 15_000);

const socket = io(url, { reconnection: false, timeout: 10_000 });
socket.on("connect_error", (err) => fail(`connect_error: ${err.message}`));
socket.on("connect", async () => {
  try {
    for (let i = 0; i < 20; i++) {
      const reply = await socket.timeout(5000).emitWithAck("random", { text: `check-${i}` });
      if (!(Number.isInteger(reply?.n) && reply.n >= 1 && reply.n <= 100)) {
        fail(`random: bad n in ${JSON.stringify(reply)}`);
      }
      if (reply.text !== `check-${i} ${reply.n}`) {
        fail(`random: bad text in ${JSON.stringify(reply)}`);
      }
    }
    await socket.timeout(5000).emitWithAck("join", { room: "check" });
    const got = new Promise((resolve) => socket.once("chat", resolve));
    await socket.timeout(5000).emitWithAck("chat", { room: "check", text: "hello" });
    const event = await got;
    if (event?.text !== "hello" || event?.room !== "check") {
      fail(`chat: got ${JSON.stringify(event)}`);
    }
    clearTimeout(timer);
    const transport = socket.io.engine.transport.name;
    console.log(
      JSON.stringify({
        ok: true,
        detail: `socket.io-client 4.8: 20 random acks, join, chat echo (transport ${transport})`,
      }),
    );
    socket.close();
    process.exit(0);
  } catch (err) {
    fail(String(err));
  }
});
