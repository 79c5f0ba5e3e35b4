/** Islands revived in real Chromium, served by an in-process app without a build (dev mode). */

import { App, staticFiles } from "./mod.ts";
import { browserSkipReason, checkIslandsPage } from "./testdata/browser.ts";

const skip = browserSkipReason();
if (skip !== null) console.log(`islands_browser_test: skipped, ${skip}`);

Deno.test({
  name: "dev mode: islands revive in the browser with their props and shared state",
  ignore: skip !== null,
  async fn() {
    const app = new App({ root: new URL("./testdata/", import.meta.url) })
      .use(staticFiles())
      .fsRoutes();
    const abort = new AbortController();
    const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: abort.signal,
      onListen: resolve,
    }, app.handler());
    try {
      const { port } = await listening;
      await checkIslandsPage(`http://127.0.0.1:${port}`);
    } finally {
      abort.abort();
      await server.finished;
    }
  },
});
