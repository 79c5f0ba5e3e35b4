/**
 * Debian's Chromium driven by Playwright, for browser tests, screenshots and charts. One place
 * holds the path and the flags: headless on a machine with no network but loopback, and never a
 * browser that Playwright downloads itself.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium; `.ci/run` installs it with apt when missing. */
export const CHROMIUM = "/usr/bin/chromium";

/** Without the background-networking flags Chromium keeps dialling out and being refused. */
const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Why Chromium cannot run here, or `null` when it can. In CI (`CI=true`) a missing browser is an
 * error, so a green CI run means the browser tests ran.
 */
export function chromiumSkipReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (Deno.env.get("CI") === "true") throw new Error(`Browser tests cannot run in CI: ${reason}`);
  console.warn(`Skipping browser tests: ${reason}`);
  return reason;
}

/** Launches Debian's Chromium headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}
