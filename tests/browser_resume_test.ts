/**
 * The page `/` in a real browser across a reload, and room history: a visitor who reloads keeps
 * its session, its conversation and its rooms (with their earlier messages), and what was sent
 * meanwhile arrives once; the other visitor sees it greyed out as away meanwhile, without join or
 * leave notices. A room's older messages load as the reader scrolls up, in order, and the
 * reader's place stays put.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { HubClient } from "../lib/client/mod.ts";
import {
  assertNoErrors,
  browserTest,
  chatMessages,
  connected,
  dmPane,
  joinRoom,
  openDetails,
  openView,
  say,
  sayDirect,
  setName,
  until,
  visit,
  withShots,
} from "./browser_helpers.ts";
import { startTestServer } from "./helpers.ts";

/** The texts of the chat stream's messages shown, in order. */
async function messageTexts(page: Page): Promise<string[]> {
  return await chatMessages(page).locator(".message-text").allTextContents();
}

/**
 * Holds the page's next WebSockets until the returned function is called: a reload then leaves
 * the session away (its old socket closed) for as long as the test needs.
 */
async function holdSockets(page: Page): Promise<() => void> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  await page.routeWebSocket(/\/ws/, async (ws) => {
    await gate;
    ws.connectToServer();
  });
  return release;
}

browserTest("browser: a reload resumes the session, its rooms and its conversation", async (b) => {
  await using srv = await startTestServer({ heartbeatMs: 1000 });
  await using ada = await visit(b, `${srv.origin}/`);
  await using bob = await visit(b, `${srv.origin}/`, { width: 390, height: 844 });
  await withShots("resume", [ada, bob], async () => {
    const adaId = await connected(ada.page);
    await connected(bob.page);
    await setName(ada.page, "Ada");
    await setName(bob.page, "Bob");

    await joinRoom(bob.page, "deno");
    await joinRoom(ada.page, "deno");
    await bob.page.locator(".chat .stream").getByText("Ada joined #deno.").waitFor();
    await say(ada.page, "deno", "before the reload");
    await say(bob.page, "deno", "seen it");
    await chatMessages(ada.page).filter({ hasText: "seen it" }).waitFor();

    await ada.page.getByRole("button", { name: "Request a conversation with Bob" }).click();
    // Bob is on his phone: the conversation is under its tab.
    await openView(bob.page, "Direct messages");
    await dmPane(bob.page, "Ada").getByRole("button", { name: "Accept" }).click();
    await dmPane(ada.page, "Bob").getByText("You and Bob are connected.").waitFor();
    await sayDirect(ada.page, "Bob", "one before");
    await dmPane(bob.page, "Ada").locator(".message").filter({ hasText: "one before" }).waitFor();

    // Ada reloads; her new socket waits until Bob has seen her go and has said two things.
    const release = await holdSockets(ada.page);
    const reloaded = ada.page.reload();
    const adaMember = bob.page.locator(".chat .members .member").filter({ hasText: "Ada" });
    await adaMember.and(bob.page.locator(".away")).waitFor({ state: "attached" });
    await bob.page.getByRole("button", { name: /^Ada\s*Away$/ }).waitFor();
    await dmPane(bob.page, "Ada").getByText("Ada is away: their connection dropped.").waitFor();
    await bob.screenshot("resume-bob-sees-ada-away");
    await sayDirect(bob.page, "Ada", "still there?");
    await openView(bob.page, "Chat");
    await say(bob.page, "deno", "while you were away");
    await reloaded;
    await ada.screenshot("resume-ada-reloading");
    release();

    assert.equal(await connected(ada.page), adaId, "the same session");
    // The conversation goes on: open, with what came before and what came meanwhile, once.
    const pane = dmPane(ada.page, "Bob");
    await pane.locator(".message").filter({ hasText: "still there?" }).waitFor();
    await pane.getByText("You and Bob are connected.").first().waitFor();
    assert.equal(await pane.locator(".message").filter({ hasText: "still there?" }).count(), 1);
    assert.equal(await pane.locator(".message").filter({ hasText: "one before" }).count(), 1);
    assert.equal(await pane.getByText(/ended|dropped/).count(), 0, "not ended");
    // The room: shown again, its history loaded, the message sent meanwhile once, in order.
    await ada.page.getByRole("textbox", { name: "Message #deno" }).waitFor();
    await until(
      async () => (await messageTexts(ada.page)).includes("while you were away"),
      "the room's history",
    );
    await until(
      async () => (await ada.page.locator(".chat .members li").count()) === 2,
      "the members of #deno",
    );
    assert.deepEqual(await messageTexts(ada.page), [
      "before the reload",
      "seen it",
      "while you were away",
    ]);
    await openDetails(ada.page);
    assert.equal(await ada.page.getByLabel("Display name").inputValue(), "Ada");
    await ada.page.keyboard.press("Escape");

    // Bob sees Ada back, with no join or leave notice, and the two talk on.
    await adaMember.and(bob.page.locator(":not(.away)")).waitFor();
    const notices = await bob.page.locator(".chat .stream .notice").allTextContents();
    assert.deepEqual(notices.filter((t) => t.includes("Ada ")).map((t) => t.split(".")[0]), [
      "Ada joined #deno",
    ]);
    await say(ada.page, "deno", "hello again");
    await chatMessages(bob.page).filter({ hasText: "hello again" }).waitFor();
    await openView(bob.page, "Direct messages");
    await bob.page.getByRole("button", { name: /^Ada\b.*Connected$/ }).waitFor();
    await sayDirect(ada.page, "Bob", "back!");
    await dmPane(bob.page, "Ada").locator(".message").filter({ hasText: "back!" }).waitFor();

    await ada.screenshot("resume-ada-after");
    await bob.screenshot("resume-bob-after");
    assertNoErrors(ada, bob);
  });
});

browserTest("browser: a room's older messages load as the reader scrolls up", async (b) => {
  await using srv = await startTestServer({ chatRate: 0 });
  // 120 messages before the visitor comes: the first page shows the newest 50.
  const writer = new HubClient(srv.wsUrl, { reconnect: false });
  try {
    await writer.ready();
    await writer.request("join", { room: "big" });
    for (let i = 1; i <= 120; i++) {
      await writer.request("chat", { room: "big", text: `message ${i}` });
    }
  } finally {
    await writer.close();
  }

  await using v = await visit(b, `${srv.origin}/`);
  await withShots("history", [v], async () => {
    await connected(v.page);
    await joinRoom(v.page, "big");
    const wanted = (from: number) =>
      Array.from({ length: 121 - from }, (_, i) => `message ${from + i}`);
    await until(async () => (await messageTexts(v.page)).length === 50, "the first page");
    assert.deepEqual(await messageTexts(v.page), wanted(71));
    await v.page.getByRole("button", { name: "Load older messages" }).waitFor();

    const stream = v.page.locator(".chat .stream");
    for (const from of [21, 1]) {
      await stream.evaluate((el) => el.scrollTop = 0);
      await until(async () => (await messageTexts(v.page))[0] === `message ${from}`, `${from}`);
      assert.deepEqual(await messageTexts(v.page), wanted(from));
      // The reader's place stays: what was at the top is still in view, not pushed down.
      const top = await stream.evaluate((el) => el.scrollTop);
      assert.ok(top > 0, "the view stayed on the messages it showed");
    }
    await v.page.locator(".chat .stream-head").getByText("The beginning of #big.").waitFor();
    await v.screenshot("history-paged-back");
    assertNoErrors(v);
  });
});
