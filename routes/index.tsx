/**
 * `/`: the hub's home page. Rendered on the server with live figures, then made live by four
 * islands that share one WebSocket: stats, chat, direct messages and random numbers.
 *
 * @module
 */

import { page } from "fresh";
import Chat from "../islands/Chat.tsx";
import DirectMessages from "../islands/DirectMessages.tsx";
import RandomNumbers from "../islands/RandomNumbers.tsx";
import Stats from "../islands/Stats.tsx";
import { define } from "../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { hub } = ctx.state.services;
    return page({ serverTime: Date.now(), count: await hub.deploymentCount() });
  },
});

export default define.page<typeof handler>(function Home({ data }) {
  return (
    <>
      <header class="site-head">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <div>
            <h1>Deno real-time hub</h1>
            <p class="tagline">Rooms, chat and direct messages over one WebSocket.</p>
          </div>
        </div>
        <nav class="site-links" aria-label="Project">
          <a href="/api/stats">/api/stats</a>
        </nav>
      </header>
      <main class="layout">
        <div class="area-stats">
          <Stats serverTime={data.serverTime} count={data.count} />
        </div>
        <div class="area-chat">
          <Chat />
        </div>
        <div class="area-side">
          <DirectMessages />
          <RandomNumbers />
        </div>
      </main>
      <footer class="site-foot">
        <p>
          Any WebSocket client can join: connect to <code>/ws</code> and speak the JSON protocol in
          {" "}
          <code>docs/protocol.md</code>.
        </p>
      </footer>
    </>
  );
});
