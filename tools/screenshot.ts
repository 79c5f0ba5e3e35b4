/**
 * `deno task screenshot`: regenerates `docs/screenshot.png` and `docs/screenshot-phone.png`, the
 * pictures in the README.
 *
 * Starts the app in-process on a free loopback port and plays a short real session in Debian's
 * Chromium: Ada on a laptop (1280×800) and Linus on a phone (375×800) chat in the lobby and a
 * room with Grace; Grace and Ada talk directly, Ada draws a few random numbers, and Grace asks
 * Linus for a conversation. Then it captures Ada's whole page (the chat, the conversation and the
 * numbers) and the first screen of Linus's phone (the chat, and Grace's request in its banner).
 *
 * ```sh
 * deno task screenshot                      # writes both pictures under docs/
 * deno task screenshot desk.png phone.png   # or elsewhere
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

const docs = (name: string) => new URL(`../docs/${name}`, import.meta.url).pathname;
const desktopOut = Deno.args[0] ?? docs("screenshot.png");
const phoneOut = Deno.args[1] ?? docs("screenshot-phone.png");

if (browserSkipReason() !== null) Deno.exit(1);

const server = await startServer(
  createApp,
  { port: 0, host: "127.0.0.1", heartbeatMs: 2000 },
  silentLogger,
);
const browser = await launchChromium();
try {
  const url = `${server.origin}/`;
  const ada = await visit(browser, url, { width: 1280, height: 800 });
  const grace = await visit(browser, url);
  const linus = await visit(browser, url, { width: 375, height: 800 });
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
  await say(ada.page, "lobby", "Rooms, direct messages and random numbers.");
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
  await ada.page.getByTestId("ping").filter({ hasText: /ms$/ }).waitFor();
  await ada.page.getByTestId("clients-online").filter({ hasText: /^3$/ }).waitFor();

  // Grace asks Linus, whose phone shows the banner over the chat.
  await grace.page.getByRole("button", { name: "Request a conversation with Linus" }).click();
  await linus.page.getByTestId("dm-banner").waitFor();

  for (const v of [ada, linus]) {
    // No focus ring in the pictures.
    await v.page.evaluate(() =>
      document.activeElement instanceof HTMLElement && document.activeElement.blur()
    );
  }
  // The whole page on the laptop (the side column goes on below the first screen), the first
  // screen on the phone (what a visitor sees without scrolling).
  await ada.page.screenshot({ path: desktopOut, fullPage: true });
  console.log(`Wrote ${desktopOut}`);
  await linus.page.screenshot({ path: phoneOut });
  console.log(`Wrote ${phoneOut}`);
  for (const v of [ada, grace, linus]) await v[Symbol.asyncDispose]();
} finally {
  await browser.close();
  await server.shutdown();
}
