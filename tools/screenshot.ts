/**
 * `deno task screenshot`: regenerates `docs/screenshot.png`, the picture in the README.
 *
 * Starts the app in-process on a free loopback port, plays a short real session with three
 * visitors in Debian's Chromium (lobby chat, a joined room, a direct conversation, a few random
 * numbers) and captures the first visitor's page at desktop width.
 *
 * ```sh
 * deno task screenshot            # writes docs/screenshot.png
 * deno task screenshot out.png    # or another path
 * ```
 *
 * @module
 */

import { silentLogger } from "../lib/server/log.ts";
import { startServer } from "../lib/server/start.ts";
import { createApp } from "../main.ts";
import {
  browserSkipReason,
  connected,
  dmPane,
  joinRoom,
  launchChromium,
  say,
  sayDirect,
  setName,
  visit,
} from "../tests/browser_helpers.ts";

const out = Deno.args[0] ?? new URL("../docs/screenshot.png", import.meta.url).pathname;

if (browserSkipReason() !== null) Deno.exit(1);

const server = await startServer(
  createApp,
  { port: 0, host: "127.0.0.1", heartbeatMs: 2000 },
  silentLogger,
);
const browser = await launchChromium();
try {
  const url = `${server.origin}/`;
  const ada = await visit(browser, url, { width: 1280, height: 900 });
  const grace = await visit(browser, url);
  const linus = await visit(browser, url);
  for (const v of [ada, grace, linus]) await connected(v.page);
  await setName(ada.page, "Ada");
  await setName(grace.page, "Grace");
  await setName(linus.page, "Linus");

  await joinRoom(grace.page, "deno");
  await joinRoom(ada.page, "deno");
  await say(grace.page, "deno", "Anyone tried the new bundler yet?");
  await say(ada.page, "deno", "Yes, the islands here are built with it.");
  for (const v of [ada, grace]) {
    await v.page.locator(".chat .tabs .tab").filter({ hasText: /^#lobby/ }).click();
  }

  await say(linus.page, "lobby", "Morning all!");
  await say(grace.page, "lobby", "Hi Linus, hi Ada!");
  await say(ada.page, "lobby", "Hello! Just one WebSocket for all of this.");
  await say(linus.page, "lobby", "<b>HTML</b> shows as text, nice.");
  await say(ada.page, "lobby", "Heading to #deno, join us there.");

  await grace.page.getByRole("button", { name: "Request a conversation with Ada" }).click();
  await dmPane(ada.page, "Grace").getByRole("button", { name: "Accept" }).click();
  await sayDirect(grace.page, "Ada", "Got a minute for a code review?");
  await sayDirect(ada.page, "Grace", "Sure, send me the link.");
  await dmPane(ada.page, "Grace").locator(".message").filter({ hasText: "Sure, send" }).waitFor();

  for (const text of ["d20", "coin", "lottery"]) {
    await ada.page.getByLabel("Text", { exact: true }).fill(text);
    await ada.page.getByRole("button", { name: "Get a number" }).click();
    await ada.page.getByTestId("random-latest").filter({ hasText: text }).waitFor();
  }
  await ada.page.getByLabel("Text", { exact: true }).fill("");
  await ada.page.getByTestId("heartbeat").filter({ hasText: "Connected" }).waitFor();
  await ada.page.getByTestId("ping").filter({ hasText: /ms$/ }).waitFor();
  await ada.page.getByTestId("clients-online").filter({ hasText: /^3$/ }).waitFor();
  // Let "connected for" show a few seconds, and move focus off the inputs.
  await ada.page.waitForTimeout(1500);
  await ada.page.locator("body").click({ position: { x: 5, y: 5 } });

  await ada.page.screenshot({ path: out, fullPage: true });
  console.log(`Wrote ${out}`);
  for (const v of [ada, grace, linus]) await v[Symbol.asyncDispose]();
} finally {
  await browser.close();
  await server.shutdown();
}
