/**
 * The page `/` under its Content-Security-Policy in a real browser (Debian's Chromium through
 * Playwright): it boots, connects and chats, with no `securitypolicyviolation` event and no
 * console message about a policy. An inline script injected at the end must be refused, which
 * shows the policy is enforced and the listener hears violations.
 *
 * Outside CI the test is skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import {
  browserSkipReason,
  chatMessages,
  connected,
  launchChromium,
  say,
  setName,
  until,
} from "./browser_helpers.ts";
import { startTestServer } from "./helpers.ts";

const skip = browserSkipReason();

/** What the page reported: violations as `directive blocked-uri`, and console lines. */
interface Watched {
  page: Page;
  violations: string[];
  console: string[];
}

/**
 * A page that reports every CSP violation from the first byte on (the listener is installed
 * before any of the page's own code runs) and every console error and warning.
 */
async function watchedPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const violations: string[] = [];
  const console: string[] = [];
  await page.exposeFunction("__reportViolation", (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (globalThis as unknown as { __reportViolation(text: string): void })
        .__reportViolation;
      report(`${event.effectiveDirective} ${event.blockedURI}`);
    }, true);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") console.push(msg.text());
  });
  page.on("pageerror", (err) => console.push(`uncaught: ${err.message}`));
  return { page, violations, console };
}

Deno.test({
  name: "browser: the page boots, connects and chats under its CSP without a violation",
  ignore: skip !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startTestServer();
    const browser = await launchChromium();
    try {
      const { page, violations, console } = await watchedPage(browser);
      const response = await page.goto(`${server.origin}/`);
      const policy = response?.headers()["content-security-policy"] ?? "";
      assert.match(policy, /script-src 'self'(;|$)/);
      assert.match(policy, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port} `));

      // Islands revived (scripts ran), the WebSocket opened (connect-src), a message went round.
      await connected(page);
      await setName(page, "Ada");
      await say(page, "lobby", "Under a policy");
      await chatMessages(page).filter({ hasText: "Ada" }).filter({ hasText: "Under a policy" })
        .waitFor();

      // The control: an injected inline script must be refused and heard. Violations are
      // reported in order, so once this one is in, any earlier one would be too.
      const ran = await page.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "document.body.dataset.injected = 'ran'";
        document.body.append(script);
        return document.body.dataset.injected === "ran";
      });
      assert.equal(ran, false, "an inline script ran despite the policy");
      await until(() => violations.length > 0, "the injected script's violation");
      assert.deepEqual(violations, ["script-src-elem inline"]);
      const policyMessages = console.filter((line) =>
        /Content Security Policy|Refused to/.test(line)
      );
      assert.equal(policyMessages.length, 1, `only the control in the console: ${policyMessages}`);
      const others = console.filter((line) => !policyMessages.includes(line));
      assert.deepEqual(others, [], "the page logged errors or warnings");
    } finally {
      await browser.close();
    }
  },
});

Deno.test("static files carry nosniff and refuse POST with 405", async () => {
  await using server = await startTestServer();
  const css = await fetch(`${server.origin}/styles.css`);
  await css.body?.cancel();
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("x-content-type-options"), "nosniff");
  assert.equal(css.headers.get("content-security-policy"), null);
  // Bad input: POST on a static file.
  const post = await fetch(`${server.origin}/styles.css`, { method: "POST" });
  await post.body?.cancel();
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  assert.equal(post.headers.get("x-content-type-options"), "nosniff");
});
