/**
 * The page with a token, in Chromium against a server with `AUTH_MODE=optional`: a token handed
 * in as `?token=` signs the page in (the address bar loses it), the page shows the token's name
 * and user, and the private room the token grants opens while another is refused; the token also
 * comes through `window.hubGetToken`, the hook an application defines.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import { connected, joinRoom, openDetails, say, visit } from "./browser_helpers.ts";
import { assertNoErrors, browserTest, DESKTOP, withShots } from "./browser_product.ts";
import { startTestServer } from "./helpers.ts";
import { SECRET, token } from "./spec_helpers.ts";

browserTest(
  "a token in the page's address: the user's name, and a private room it may join",
  async (b) => {
    await using srv = await startTestServer({ authMode: "optional", authSecret: SECRET });
    const jwt = await token({ sub: "ada-42", name: "Ada Lovelace", rooms: ["private-team"] });
    await using ada = await visit(b, `${srv.origin}/?token=${jwt}`, DESKTOP);
    await withShots("identity", [ada], async () => {
      const page = ada.page;
      await connected(page);
      assert.ok(!page.url().includes("token="), "the token left the address bar");
      const details = await openDetails(page);
      assert.equal(await page.getByLabel("Display name").inputValue(), "Ada Lovelace");
      assert.ok(
        await page.getByLabel("Display name").isDisabled(),
        "a name from the token is not offered for editing",
      );
      await details.getByText("Your name comes from your account").waitFor();
      assert.equal(await details.getByTestId("user-id").textContent(), "ada-42");
      await page.getByRole("button", { name: "Close" }).click();

      await joinRoom(page, "private-team");
      await say(page, "private-team", "only for the team");
      await page.locator(".chat .stream .message", { hasText: "only for the team" }).waitFor();

      await page.getByLabel("Room to join").fill("private-board");
      await page.getByLabel("Room to join").press("Enter");
      await page.getByText("You do not have access to that room.").waitFor();
      assertNoErrors(ada);
    });
  },
);

browserTest("the hubGetToken hook: the application hands the page its token", async (b) => {
  await using srv = await startTestServer({ authMode: "required", authSecret: SECRET });
  const jwt = await token({ sub: "bea", name: "Bea" });
  await using bea = await visit(b, "about:blank", DESKTOP);
  const page = bea.page;
  await page.addInitScript((t) => {
    (globalThis as { hubGetToken?: () => Promise<string> }).hubGetToken = () => Promise.resolve(t);
  }, jwt);
  await page.goto(`${srv.origin}/`);
  await withShots("identity-hook", [bea], async () => {
    await connected(page);
    await openDetails(page);
    assert.equal(await page.getByLabel("Display name").inputValue(), "Bea");
    assertNoErrors(bea);
  });
});
