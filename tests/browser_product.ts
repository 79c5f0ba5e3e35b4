/**
 * What the product tests (`browser_product_test.ts`, `browser_a11y_test.ts`) share: the viewport
 * sizes, a test that gets its own Chromium, screenshots on failure, and the steps and readings
 * several of them repeat (asking for a conversation, where focus is, what is in the first screen).
 */

import type { Page } from "playwright-core";
import { connected, openView } from "./browser_helpers.ts";

export { assertNoErrors, browserTest, withShots } from "./browser_helpers.ts";

/** A phone, where the page's views are tabs, and a laptop. */
export const PHONE = { width: 375, height: 800 };
export const DESKTOP = { width: 1280, height: 800 };
/** The page's title with nothing unread. */
export const TITLE = "Deno real-time hub";

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
