/**
 * The page `/` in a real browser (Debian's Chromium through Playwright) against a real server:
 * two visitors meeting in the lobby, a room and a direct conversation (one of them on a phone,
 * where the views are tabs); the random-number box; user text that looks like HTML; a server
 * restart; and no console errors along the way.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
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
  stateBadge,
  until,
  visit,
  withShots,
} from "./browser_helpers.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

async function server(): Promise<TestServer> {
  // A short heartbeat, so the "last heartbeat" figure fills in during the test.
  return await startTestServer({ heartbeatMs: 1000 });
}

browserTest("browser: two visitors chat in the lobby and a room, then talk directly", async (b) => {
  await using srv = await server();
  await using ada = await visit(b, `${srv.origin}/`);
  await using grace = await visit(b, `${srv.origin}/`, { width: 390, height: 844 });
  await withShots("two-visitors", [ada, grace], async () => {
    const adaId = await connected(ada.page);
    const graceId = await connected(grace.page);
    assert.notEqual(adaId, graceId);

    // Each sees both in the count: Ada through Grace's lobby arrival, Grace from num_clients.
    for (const v of [ada, grace]) {
      await v.page.getByTestId("clients-online").filter({ hasText: /^2$/ }).waitFor();
    }
    await ada.page.getByTestId("ping").filter({ hasText: /^\d+ ms$/ }).waitFor();
    await openDetails(ada.page);
    await ada.page.getByTestId("heartbeat").filter({ hasText: "Connected" }).waitFor();

    await setName(ada.page, "Ada");
    await setName(grace.page, "Grace");
    await grace.page.locator(".chat .members").getByText("Ada", { exact: true }).waitFor();

    // Lobby chat, both ways.
    await say(ada.page, "lobby", "Hello lobby");
    await chatMessages(grace.page).filter({ hasText: "Ada" }).filter({ hasText: "Hello lobby" })
      .waitFor();
    await say(grace.page, "lobby", "Hi Ada");
    await chatMessages(ada.page).filter({ hasText: "Grace" }).filter({ hasText: "Hi Ada" })
      .waitFor();

    // A joined room: Grace sees Ada arrive, and messages stay in their room.
    await joinRoom(grace.page, "deno");
    await joinRoom(ada.page, "deno");
    await grace.page.locator(".chat .stream").getByText("Ada joined #deno.").waitFor();
    await say(ada.page, "deno", "Room talk");
    await chatMessages(grace.page).filter({ hasText: "Room talk" }).waitFor();
    await say(grace.page, "deno", "Room reply");
    await chatMessages(ada.page).filter({ hasText: "Room reply" }).waitFor();
    await ada.page.getByRole("button", { name: "#lobby", exact: true }).click();
    assert.equal(await chatMessages(ada.page).filter({ hasText: "Room talk" }).count(), 0);

    // Ada asks Grace (picked from the people online); Grace, on her phone, accepts in the
    // conversation (the banner has its own test), which she finds under its tab.
    await ada.page.getByRole("button", { name: "Request a conversation with Grace" }).click();
    await dmPane(ada.page, "Grace").getByText("Waiting for Grace to accept").waitFor();
    await openView(grace.page, "Direct messages");
    await dmPane(grace.page, "Ada").getByRole("button", { name: "Accept" }).click();
    await dmPane(ada.page, "Grace").getByText("You and Grace are connected.").waitFor();

    await sayDirect(ada.page, "Grace", "Just between us");
    await dmPane(grace.page, "Ada").locator(".message").filter({ hasText: "Just between us" })
      .waitFor();
    await sayDirect(grace.page, "Ada", "Sure thing");
    await dmPane(ada.page, "Grace").locator(".message").filter({ hasText: "Sure thing" })
      .waitFor();

    // Unread count on a conversation that is not open.
    await ada.page.getByRole("button", { name: /^Grace\b.*Connected/ }).click();
    await sayDirect(grace.page, "Ada", "Still there?");
    await ada.page.getByRole("button", { name: /^Grace\b.*1 unread/ }).waitFor();
    await ada.page.getByRole("button", { name: /^Grace\b/ }).click();
    await dmPane(ada.page, "Grace").locator(".message").filter({ hasText: "Still there?" })
      .waitFor();

    // Grace closes; Ada sees it plainly. Ada asks again and Grace declines.
    await dmPane(grace.page, "Ada").getByRole("button", { name: "Close" }).click();
    await dmPane(ada.page, "Grace").getByText("Grace closed this conversation.").first().waitFor();
    await dmPane(ada.page, "Grace").getByRole("button", { name: "Ask again" }).click();
    await dmPane(grace.page, "Ada").getByRole("button", { name: "Decline" }).click();
    await dmPane(ada.page, "Grace").getByText("Grace declined your request.").first().waitFor();
    await dmPane(grace.page, "Ada").getByText("You declined Ada's request.").first().waitFor();

    // A pasted session id works too.
    const paste = grace.page.getByRole("textbox", { name: "Session id" });
    await paste.fill(adaId);
    await paste.press("Enter");
    await dmPane(ada.page, "Grace").getByRole("button", { name: "Accept" }).waitFor();

    await ada.screenshot("two-visitors-ada");
    await grace.screenshot("two-visitors-grace");
    assertNoErrors(ada, grace);
  });
});

browserTest("browser: the random-number box returns the text and a number in 1..100", async (b) => {
  await using srv = await server();
  await using v = await visit(b, `${srv.origin}/`);
  await withShots("random", [v], async () => {
    await connected(v.page);
    const latest = v.page.getByTestId("random-latest");
    for (let i = 1; i <= 3; i++) {
      await v.page.getByLabel("Text", { exact: true }).fill(`roll${i}`);
      await v.page.getByRole("button", { name: "Get a number" }).click();
      await latest.locator(".random-text").filter({ hasText: new RegExp(`^roll${i}$`) }).waitFor();
      const n = Number((await latest.getByTestId("random-n").textContent())!.replace(/\D/g, ""));
      assert.ok(Number.isInteger(n) && n >= 1 && n <= 100, `n out of range: ${n}`);
    }
    // The history keeps the earlier replies, newest first.
    const history = await v.page.getByRole("list", { name: "Earlier replies" }).locator("li")
      .allTextContents();
    assert.equal(history.length, 2);
    assert.match(history[0], /^roll2 \d+/);
    // An empty text: the number once, not twice.
    await v.page.getByLabel("Text", { exact: true }).fill("");
    await v.page.getByRole("button", { name: "Get a number" }).click();
    await latest.getByText("(no text)").waitFor();
    const n = (await latest.getByTestId("random-n").textContent())!.replace(/\D/g, "");
    assert.equal(await latest.textContent(), `(no text): ${n}`, "the number once");
    assertNoErrors(v);
  });
});

browserTest("browser: user text that looks like HTML shows literally", async (b) => {
  await using srv = await server();
  await using sender = await visit(b, `${srv.origin}/`);
  await using reader = await visit(b, `${srv.origin}/`);
  await withShots("xss", [sender, reader], async () => {
    await connected(sender.page);
    await connected(reader.page);
    const evil = "<img src=x onerror=alert(1)>";
    await setName(sender.page, "<b>bold</b>");
    await say(sender.page, "lobby", evil);
    for (const v of [sender, reader]) {
      const message = chatMessages(v.page).filter({ hasText: evil });
      await message.waitFor();
      assert.equal(await message.locator(".message-text").textContent(), evil);
      assert.equal(await message.locator(".message-name").textContent(), "<b>bold</b>");
      assert.equal(await v.page.locator(".chat img, .chat b").count(), 0);
    }
    // Give a would-be onerror handler a moment to fire: it must not.
    await reader.page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    assertNoErrors(sender, reader);
  });
});

browserTest("browser: a server restart shows reconnecting, then a fresh session", async (b) => {
  const first = await server();
  let second: TestServer | undefined;
  try {
    await using v = await visit(b, `${first.origin}/`);
    await withShots("restart", [v], async () => {
      const before = await connected(v.page);
      await setName(v.page, "Phoenix");
      await joinRoom(v.page, "deno");

      await first.shutdown();
      await stateBadge(v.page).and(v.page.locator("[data-state=reconnecting]")).waitFor();
      await v.page.locator(".chat .stream").getByText("Connection lost").first().waitFor();

      second = await startTestServer({ port: first.port, heartbeatMs: 1000 });
      const after = await connected(v.page);
      assert.notEqual(after, before, "a reconnect is a new session");

      // The UI restored what the user had: the room, and the chosen name.
      await v.page.locator(".chat .stream").getByText("Reconnected as a new session").first()
        .waitFor();
      await v.page.locator(".chat .members").getByText("Phoenix", { exact: true }).waitFor();
      await openDetails(v.page);
      await until(
        async () => (await v.page.getByLabel("Display name").inputValue()) === "Phoenix",
        "the name to be re-applied",
      );
      await say(v.page, "deno", "back again");
      await chatMessages(v.page).filter({ hasText: "back again" }).waitFor();
      // The browser reports refused WebSocket connections while the server is down; nothing else.
      const others = v.errors.filter((e) => !/WebSocket connection to .* failed/.test(e));
      assert.deepEqual(others, []);
      assert.deepEqual(v.dialogs, []);
    });
  } finally {
    await first.shutdown();
    await second?.shutdown();
  }
});
