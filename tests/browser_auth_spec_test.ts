/**
 * The page with a token (issue 14: "Browser test: the page with a token shows the user's name, and
 * a private room it may join"), black-box: Chromium on `/?token=…` (operations.md, "The page"),
 * checked on the page and, through the server API, on the server.
 */

import assert from "node:assert/strict";
import { eventually } from "./helpers.ts";
import { connected, joinRoom, visit } from "./browser_helpers.ts";
import { browserTest, withShots } from "./browser_product.ts";
import { spawnServer } from "./server_process.ts";
import { api, API_KEY, okJson, SECRET, token } from "./spec_helpers.ts";

browserTest(
  "the page with a token shows the user's name and joins a private room it may join",
  async (browser) => {
    await using server = await spawnServer({
      AUTH_MODE: "required",
      AUTH_SECRET: SECRET,
      API_KEY,
      CHAT_RATE: "0",
    });
    const jwt = await token({ sub: "user-page", name: "Ada Lovelace", rooms: ["private-team"] });
    await using visitor = await visit(browser, `${server.origin}/?token=${jwt}`);
    const { page } = visitor;
    await withShots("browser-auth-spec", [visitor], async () => {
      const sessionId = await connected(page);
      await page.getByText("Ada Lovelace").first().waitFor();

      await joinRoom(page, "private-team");
      const presence = okJson(await api(server, "GET", "/api/presence?room=private-team"), "team");
      assert.deepEqual(
        (presence.members as Record<string, unknown>[]).map((m) => [m.sessionId, m.userId, m.name]),
        [[sessionId, "user-page", "Ada Lovelace"]],
      );

      // A private room the token does not grant: the server keeps the page out. The page's
      // requests go in order on its one socket, so once a later public join is in, the refused
      // one has been answered.
      await page.getByLabel("Room to join").fill("private-other");
      await page.getByLabel("Room to join").press("Enter");
      await joinRoom(page, "after-refusal");
      await eventually(async () => {
        const after = okJson(await api(server, "GET", "/api/presence?room=after-refusal"), "after");
        assert.equal((after.members as unknown[]).length, 1);
      });
      const other = okJson(await api(server, "GET", "/api/presence?room=private-other"), "other");
      assert.deepEqual(other.members, []);
    });
  },
);
