/**
 * `/`: the hub's home page, rendered on the server with live figures. The interactive islands
 * (stats, chat, direct messages, random numbers) come with the UI.
 *
 * @module
 */

import { page } from "fresh";
import { define } from "../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    const { hub } = ctx.state.services;
    return page({ serverTime: Date.now(), count: hub.count });
  },
});

export default define.page<typeof handler>(function Home({ data }) {
  return (
    <main>
      <h1>Deno real-time hub</h1>
      <p>
        Server time{" "}
        <time dateTime={new Date(data.serverTime).toISOString()}>
          {new Date(data.serverTime).toISOString()}
        </time>, <span id="clients-online">{data.count}</span> clients online.
      </p>
      <p>
        Connect a WebSocket to <code>/ws</code> and speak the protocol in{" "}
        <code>docs/protocol.md</code>. Live figures: <a href="/api/stats">/api/stats</a>.
      </p>
    </main>
  );
});
