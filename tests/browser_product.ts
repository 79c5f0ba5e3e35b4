/**
 * What the product tests (`browser_product_test.ts`, `browser_a11y_test.ts`) share: the viewport
 * sizes, a test that gets its own Chromium, screenshots on failure, and the steps and readings
 * several of them repeat (asking for a conversation, where focus is, what is in the first screen).
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  browserSkipReason,
  connected,
  launchChromium,
  openView,
  type Visitor,
} from "./browser_helpers.ts";

const skip = browserSkipReason();

/** A phone, where the page's views are tabs, and a laptop. */
export const PHONE = { width: 375, height: 800 };
export const DESKTOP = { width: 1280, height: 800 };
/** The page's title with nothing unread. */
export const TITLE = "Deno real-time hub";

/** Playwright keeps pipes and timers of its own; each test closes its browser and server. */
export function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
  Deno.test({
    name,
    ignore: skip !== null,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const browser = await launchChromium();
      try {
        await fn(browser);
      } finally {
        await browser.close();
      }
    },
  });
}

/** Runs `fn`; on failure, saves screenshots of the visitors before rethrowing. */
export async function withShots(name: string, visitors: Visitor[], fn: () => Promise<void>) {
  try {
    await fn();
  } catch (err) {
    await Promise.all(visitors.map((v, i) => v.screenshot(`${name}-${i}-failed`).catch(() => {})));
    throw err;
  }
}

/** The page logged no error and opened no dialog. */
export function assertNoErrors(...visitors: Visitor[]) {
  for (const v of visitors) {
    assert.deepEqual(v.errors, [], "the page logged errors");
    assert.deepEqual(v.dialogs, [], "a dialog opened");
  }
}

/** Asks `page`'s session for a conversation from `from`, by pasting its id. */
export async function requestFrom(from: Page, to: Page): Promise<void> {
  const id = await connected(to);
  await openView(from, "Direct messages");
  const box = from.getByRole("textbox", { name: "Session id" });
  await box.fill(id);
  await box.press("Enter");
  await from.getByText("Request sent.").first().waitFor();
}

/** Whether the element's box lies wholly within the first screen (the viewport, unscrolled). */
export async function inFirstScreen(page: Page, selector: string): Promise<boolean> {
  return await page.locator(selector).first().evaluate((el) => {
    const box = el.getBoundingClientRect();
    return scrollY === 0 && box.top >= 0 && box.bottom <= innerHeight && box.height > 0;
  });
}

/** The id of the focused element, or its tag when it has none. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el === null ? "" : el.id || el.tagName.toLowerCase();
  });
}
