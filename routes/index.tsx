/**
 * `/`: the hub's home page. Rendered on the server with live figures, then made live by islands
 * that share one WebSocket: the status bar, the view tabs (on a phone), the alerts (requests to
 * talk, and what screen readers hear), chat, direct messages and random numbers. Chat is the main
 * area; direct messages and random numbers sit beside it on wide screens.
 *
 * @module
 */

import { page } from "fresh";
import Alerts from "../islands/Alerts.tsx";
import Chat from "../islands/Chat.tsx";
import DirectMessages from "../islands/DirectMessages.tsx";
import RandomNumbers from "../islands/RandomNumbers.tsx";
import StatusBar from "../islands/StatusBar.tsx";
import ViewTabs from "../islands/ViewTabs.tsx";
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
      <a class="skip-link" href="#view-chat">Skip to chat</a>
      <header class="topbar">
        <div class="topbar-row">
          <div class="brand">
            <span class="logo" aria-hidden="true" />
            <h1>Deno real-time hub</h1>
          </div>
          <StatusBar serverTime={data.serverTime} count={data.count} />
        </div>
        <ViewTabs />
        <Alerts />
      </header>
      <main class="layout">
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
          <code>docs/protocol.md</code>. Figures for machines: <a href="/api/stats">/api/stats</a>.
        </p>
      </footer>
    </>
  );
});
