/**
 * Seed 001's page, as the seed wrote it, in a real browser (Debian's Chromium through Playwright):
 * served from its own origin with socket.io-client 4.0.1 (`seed_page.ts`), two such pages get
 * their client ids from the hub and exchange direct messages through it, with no error, alert or
 * console message along the way.
 *
 * Outside CI the test is skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../tools/chromium.ts";
import { startTestServer } from "./helpers.ts";
import { serveSeedPage } from "./seed_page.ts";

const skip = chromiumSkipReason();

/** A page of its own context, recording errors and dialogs (the seed alerts on errors). */
async function open(browser: Browser, url: string) {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (msg) => msg.type() === "error" && problems.push(`console: ${msg.text()}`));
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  await page.goto(url);
  await page.locator("#status", { hasText: "Connected to the WebSocket server" }).waitFor();
  await page.locator("#client-id", { hasText: /Client ID: [0-9A-Z]{26}$/ }).waitFor();
  const clientId = (await page.locator("#client-id").textContent())!.slice("Client ID: ".length);
  return { page, problems, clientId, [Symbol.asyncDispose]: () => context.close() };
}

async function send(page: Page, target: string, text: string): Promise<void> {
  await page.locator("#target-client-id").fill(target);
  await page.locator("#message-content").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

Deno.test({
  name: "seed 001's page in Chromium: two pages exchange direct messages through the hub",
  ignore: skip !== null,
  // Playwright keeps pipes and timers of its own; the test closes its browser and servers.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer();
    await using seedPage = await serveSeedPage(server.port);
    // The page is served from elsewhere, as the seed's was: the hub allows its origin.
    server.services.config.allowedOrigins.push(seedPage.origin);
    const browser = await launchChromium();
    try {
      await using ann = await open(browser, seedPage.url);
      await using bob = await open(browser, seedPage.url);
      assert.notEqual(ann.clientId, bob.clientId);

      await send(ann.page, bob.clientId, "Hello from Ann <b>!</b>");
      const received = bob.page.locator("#messages-list li.received");
      await received.waitFor();
      assert.equal(
        (await received.textContent())!.replace(/\s+/g, " "),
        `From ${ann.clientId}: Hello from Ann !`,
      );
      await send(bob.page, ann.clientId, "Hi Ann");
      await ann.page.locator("#messages-list li.received", { hasText: "Hi Ann" }).waitFor();
      assert.match(
        (await ann.page.locator("#messages-list li.received").textContent())!,
        new RegExp(`From ${bob.clientId}`),
      );
      // The client went from polling to WebSocket through the page's origin (the seed's
      // `const socket` is a global binding of the page's scripts, not a window property).
      await ann.page.waitForFunction("socket.io.engine.transport.name === 'websocket'");
      assert.deepEqual([...ann.problems, ...bob.problems], []);
    } finally {
      await browser.close();
    }
  },
});
