/**
 * Drives Debian's Chromium through the fixture's `/islands` page, for the dev-mode and the
 * production-build tests. Never downloads a browser.
 */

import assert from "node:assert/strict";
import { chromiumSkipReason, launchChromium } from "../../../tools/chromium.ts";

/** Why browser tests cannot run here, or `null` when they can; in CI a missing browser throws. */
export const browserSkipReason = chromiumSkipReason;

/** The text `routes/islands.tsx` passes to the Echo island. */
export const TRICKY = "</script><script>alert(1)</script><!-- -->\u2028'\"&";

/** Opens `${origin}/islands`, checks that every island revived with its props, and clicks. */
export async function checkIslandsPage(origin: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (msg) => msg.type() === "error" && problems.push(msg.text()));
    page.on("pageerror", (err) => problems.push(String(err)));
    await page.goto(`${origin}/islands`);

    const output = page.locator(".echo output");
    await output.filter({ hasText: "{" }).waitFor({ timeout: 10_000 });
    const report = JSON.parse(await output.textContent() ?? "");
    assert.deepEqual(report, {
      text: TRICKY,
      countIsSignal: true,
      whenIsDate: true,
      when: "1970-01-01T00:00:00.000Z",
      nested: { list: [1, { deep: "x" }, { deep: null }], empty: {} },
    });
    assert.equal(await page.locator(".echo .text").textContent(), TRICKY);
    assert.equal(await page.locator(".counter .env").textContent(), "browser");
    assert.equal(await page.locator(".counter time").textContent(), "2020-01-02T03:04:05.000Z");
    // The island inside Counter was not marked separately, and rendered once.
    assert.equal(await page.locator(".badge").count(), 1);

    await page.locator(".counter button").click();
    await page.locator(".counter button", { hasText: "add 4" }).waitFor({ timeout: 5000 });
    // One signal passed to two islands is one signal in the browser...
    await page.locator(".echo .count", { hasText: "count: 4" }).waitFor({ timeout: 5000 });
    // ...and a module imported by islands of two chunks is one module.
    await page.locator(".clicks", { hasText: "clicks: 1" }).waitFor({ timeout: 5000 });

    const scripts: string[] = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".js"))
    );
    assert.equal(new Set(scripts).size, scripts.length, `a script loaded twice: ${scripts}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
}
