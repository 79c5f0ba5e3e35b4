/**
 * Shared pieces for the browser tests and `tools/screenshot.ts`: Debian's Chromium driven by
 * Playwright (never a downloaded browser), pages that record console errors and dialogs, and the
 * few interactions every scenario repeats.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { defaultName } from "../lib/protocol/mod.ts";
import { chromiumSkipReason, launchChromium } from "../tools/chromium.ts";

export { launchChromium };

/** Why browser tests cannot run here, or `null` when they can (in CI, a throw instead). */
export const browserSkipReason = chromiumSkipReason;

/** Where test screenshots go (git-ignored). */
export const RESULTS_DIR = new URL("../test-results/", import.meta.url);

/** A page in its own browser context (its own cookies, storage and WebSocket). */
export interface Visitor extends AsyncDisposable {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as text. */
  errors: string[];
  /** Messages of dialogs (alert, confirm, prompt) that opened; each is dismissed. */
  dialogs: string[];
  /** Saves a full-page screenshot to `test-results/<name>.png`. */
  screenshot(name: string): Promise<void>;
}

export interface VisitorOptions {
  width?: number;
  height?: number;
  colorScheme?: "light" | "dark";
  /** Gives the page a fake clock before it loads, for `page.clock` to move. */
  clock?: boolean;
}

/** Opens `url` in a fresh context and waits until the islands report a connection. */
export async function visit(
  browser: Browser,
  url: string,
  options: VisitorOptions = {},
): Promise<Visitor> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: "reduce",
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  if (options.clock) await page.clock.install();
  await page.goto(url);
  return {
    page,
    errors,
    dialogs,
    async screenshot(name: string) {
      await Deno.mkdir(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: new URL(`${name}.png`, RESULTS_DIR).pathname, fullPage: true });
    },
    async [Symbol.asyncDispose]() {
      await context.close();
    },
  };
}

/** The connection badge of the status bar. */
export function stateBadge(page: Page) {
  return page.locator(".statusbar .badge");
}

/** Waits for "Connected" and returns the session id of the page. */
export async function connected(page: Page): Promise<string> {
  await stateBadge(page).and(page.locator("[data-state=connected]")).waitFor();
  const bar = page.locator(".statusbar[data-session-id]");
  await bar.waitFor();
  return (await bar.getAttribute("data-session-id")) ?? "";
}

/** Opens the connection details from the status bar (if closed) and returns them. */
export async function openDetails(page: Page) {
  const details = page.getByRole("region", { name: "Your connection" });
  if (!(await details.isVisible())) {
    await page.getByRole("button", { name: /connection details/ }).click();
  }
  await details.waitFor();
  return details;
}

/** The name a page's session has until it sets one (`guest-` and the end of its id). */
export async function guestName(page: Page): Promise<string> {
  return defaultName(await connected(page));
}

/** Opens a view by its tab on a phone (480 px or less); on a wide screen every view is open. */
export async function openView(
  page: Page,
  view: "Chat" | "Direct messages" | "Numbers",
): Promise<void> {
  const tab = page.getByRole("tab", { name: new RegExp(`^${view}`) });
  if (await tab.isVisible()) {
    await tab.click();
    await tab.and(page.locator("[aria-selected=true]")).waitFor();
  }
}

/** Sets the display name in the connection details, waits until the server agreed, closes them. */
export async function setName(page: Page, name: string): Promise<void> {
  const details = await openDetails(page);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Display name").press("Enter");
  await details.getByRole("button", { name: "Save" }).and(page.locator(":disabled")).waitFor();
  await details.getByText("Saved.").waitFor();
  await page.getByLabel("Display name").press("Escape");
  await details.waitFor({ state: "hidden" });
}

/** Types into the current room's message box, presses Enter and waits until it was sent. */
export async function say(page: Page, room: string, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: `Message #${room}` });
  await box.fill(text);
  await box.press("Enter");
  await until(async () => (await box.inputValue()) === "", `"${text}" to be sent in #${room}`);
}

/** Polls `check` every 25 ms until it returns true, failing after `timeoutMs` with `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The messages (not notices) of the chat stream shown, as `name: text`. */
export function chatMessages(page: Page) {
  return page.locator(".chat .stream .message");
}

/** Joins `room` by typing its name into the room box. */
export async function joinRoom(page: Page, room: string): Promise<void> {
  await page.getByLabel("Room to join").fill(room);
  await page.getByLabel("Room to join").press("Enter");
  await page.getByRole("textbox", { name: `Message #${room}` }).waitFor();
}

/** The conversation pane with `name`. */
export function dmPane(page: Page, name: string) {
  return page.getByRole("region", { name: `Conversation with ${name}` });
}

/** Sends a direct message in the open pane with `name` and waits until it was sent. */
export async function sayDirect(page: Page, name: string, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: `Direct message to ${name}` });
  await box.fill(text);
  await box.press("Enter");
  await until(async () => (await box.inputValue()) === "", `"${text}" to be sent to ${name}`);
}

/** Playwright keeps pipes and timers of its own; each test closes its browser and server. */
export function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
  const skip = browserSkipReason();
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
