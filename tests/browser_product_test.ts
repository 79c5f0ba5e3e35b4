/**
 * The page `/` used as a person would use it, in Debian's Chromium through Playwright against a
 * real server: the phone layout (chat in the first screen, views as tabs with unread badges, a
 * request banner in view), the unread count in the title, keyboard-only accepting and replying,
 * focus after each action, the stale and Offline states with the server stopped, and room counts
 * that agree and follow another visitor's joins and leaves without polling.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import {
  chatMessages,
  connected,
  dmPane,
  guestName,
  joinRoom,
  openView,
  say,
  sayDirect,
  setName,
  stateBadge,
  until,
  visit,
} from "./browser_helpers.ts";
import {
  assertNoErrors,
  browserTest,
  DESKTOP,
  focused,
  inFirstScreen,
  PHONE,
  requestFrom,
  TITLE,
  withShots,
} from "./browser_product.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

browserTest(
  "phone: chat fills the first screen, a request shows a banner there, tabs count",
  async (b) => {
    await using srv = await startTestServer();
    await using phone = await visit(b, `${srv.origin}/`, PHONE);
    await using grace = await visit(b, `${srv.origin}/`, DESKTOP);
    await withShots("phone", [phone, grace], async () => {
      await connected(phone.page);
      await setName(grace.page, "Grace");
      const page = phone.page;

      // Chat first: its room tabs, stream and message box all in the first screen.
      await page.getByRole("tab", { name: "Chat", selected: true }).waitFor();
      for (const part of [".chat .tabs", ".chat .stream", "#chat-composer"]) {
        assert.ok(await inFirstScreen(page, part), `${part} in the first screen`);
      }
      assert.equal(await page.locator("#view-dms").isVisible(), false, "other views are tabs");

      // A request: a banner in the first screen with Accept and Decline; counted on its tab and
      // in the title, since the conversation's tab is not open.
      await requestFrom(grace.page, page);
      const banner = page.getByTestId("dm-banner");
      await banner.getByText("Grace wants to start a conversation with you.").waitFor();
      assert.ok(await inFirstScreen(page, "[data-testid=dm-banner]"), "the banner in view");
      await banner.getByRole("button", { name: "Accept" }).waitFor();
      await banner.getByRole("button", { name: "Decline" }).waitFor();
      await page.getByRole("tab", { name: "Direct messages (1 unread)" }).waitFor();
      await until(async () => (await page.title()) === `(1) ${TITLE}`, "the title's count");
      assert.ok(await inFirstScreen(page, "#chat-composer"), "the message box stays in view");
      await phone.screenshot("phone-banner");

      // A message in the chat shown is read at once; one while another tab is open is counted.
      await say(grace.page, "lobby", "seen at once");
      await chatMessages(page).filter({ hasText: "seen at once" }).waitFor();
      // Screen readers hear it once, politely; presence notices are not read out.
      const announcer = page.getByTestId("announcer");
      assert.equal(await announcer.getAttribute("aria-live"), "polite");
      await announcer.filter({ hasText: "Grace in #lobby: seen at once" }).waitFor({
        state: "attached",
      });
      assert.equal(
        await page.locator(".stream[aria-live], .stream[role=log]").count(),
        0,
        "streams are not read out as they change",
      );
      assert.equal(await page.title(), `(1) ${TITLE}`);
      await openView(page, "Numbers");
      assert.equal(await page.locator("#view-chat").isVisible(), false, "one view at a time");
      await say(grace.page, "lobby", "counted");
      await page.getByRole("tab", { name: "Chat (1 unread)" }).waitFor();
      await until(async () => (await page.title()) === `(2) ${TITLE}`, "two unread");

      // Accept from the banner: the conversation's tab opens, focus is in its message box.
      await banner.getByRole("button", { name: "Accept" }).click();
      await page.getByRole("tab", { name: "Direct messages", selected: true }).waitFor();
      await until(async () => (await focused(page)) === "dm-composer", "focus in the message box");
      await sayDirect(page, "Grace", "hi from my phone");
      await dmPane(grace.page, await guestName(page)).locator(".message")
        .filter({ hasText: "hi from my phone" }).waitFor();
      await openView(page, "Chat");
      await until(async () => (await page.title()) === TITLE, "nothing unread left");
      await phone.screenshot("phone-after");
      assertNoErrors(phone, grace);
    });
  },
);

browserTest(
  "keyboard: accept from the banner and reply, Escape closes it, focus follows",
  async (b) => {
    await using srv = await startTestServer();
    await using ada = await visit(b, `${srv.origin}/`, DESKTOP);
    await using bob = await visit(b, `${srv.origin}/`, DESKTOP);
    await using cy = await visit(b, `${srv.origin}/`, DESKTOP);
    await withShots("keyboard", [ada, bob, cy], async () => {
      await connected(ada.page);
      await setName(bob.page, "Bob");
      await setName(cy.page, "Cy");
      const page = ada.page;

      await requestFrom(bob.page, page);
      await page.getByTestId("dm-banner").waitFor();
      // From the top of the page, Tab reaches Accept within a few steps.
      await page.locator("body").focus();
      for (let i = 0; i < 12 && (await focused(page)) !== "banner-accept"; i++) {
        await page.keyboard.press("Tab");
      }
      assert.equal(await focused(page), "banner-accept", "Tab reaches Accept");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)) === "dm-composer", "focus in the message box");
      await page.keyboard.type("Hello Bob");
      await page.keyboard.press("Enter");
      await dmPane(bob.page, await guestName(page)).locator(".message")
        .filter({ hasText: "Hello Bob" }).waitFor();
      assert.equal(await page.getByTestId("dm-banner").count(), 0, "the banner went with it");

      // Escape closes the banner; the request still waits under Direct messages.
      await requestFrom(cy.page, page);
      await page.getByTestId("dm-banner").getByText("Cy wants").waitFor();
      await page.keyboard.press("Escape");
      await page.getByTestId("dm-banner").waitFor({ state: "detached" });
      await page.getByRole("button", { name: /^Cy\b.*Wants to talk/ }).waitFor();

      // Close: focus on the line saying what happened. Join: focus in the room's message box.
      await dmPane(page, "Bob").getByRole("button", { name: "Close" }).click();
      await until(async () => (await focused(page)) === "dm-status", "focus on the status line");
      await dmPane(page, "Bob").getByText("You closed this conversation.").first().waitFor();
      await page.getByLabel("Room to join or create").fill("keys");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)) === "chat-composer", "focus in #keys");
      await page.getByRole("textbox", { name: "Message #keys" }).waitFor();
      assertNoErrors(ada, bob, cy);
    });
  },
);

browserTest(
  "honest states: stale while reconnecting, Offline after giving up, Retry now",
  async (b) => {
    const first = await startTestServer();
    let second: TestServer | undefined;
    try {
      await using bob = await visit(b, `${first.origin}/`, DESKTOP);
      // A clock of its own, so the client's back-off can be fast-forwarded to its end.
      await using v = await visit(b, `${first.origin}/`, { ...DESKTOP, clock: true });
      const page = v.page;
      await withShots("states", [v], async () => {
        await connected(page);
        await connected(bob.page);
        await page.getByTestId("clients-online").filter({ hasText: /^2$/ }).waitFor();
        await page.locator(".chat .members li").nth(1).waitFor();
        assert.equal(await page.getByText("last known").count(), 0, "live figures are not stale");

        await first.shutdown();
        await stateBadge(page).and(page.locator("[data-state=reconnecting]")).waitFor();
        // The figures stay, marked: the bar, the room's count, its members and the directory.
        await page.locator(".statusbar.stale").waitFor();
        assert.equal(await page.getByTestId("clients-online").textContent(), "2");
        await page.locator(".room-bar.stale").getByText("last known").waitFor();
        await page.locator(".members-box.stale").getByText("last known").waitFor();
        await page.locator(".rooms-box.stale").getByText("last known").waitFor();
        assert.ok(await page.locator("#chat-composer").isDisabled(), "nothing to send to");
        await v.screenshot("states-reconnecting");

        // The client gives up after its retries: the page says Offline and offers to retry.
        await until(
          async () => {
            await page.clock.fastForward(5_000);
            return (await stateBadge(page).getAttribute("data-state")) === "offline";
          },
          "the client to give up",
          30_000,
        );
        await stateBadge(page).getByText("Offline").waitFor();
        const retry = page.getByRole("button", { name: "Retry now" });
        await retry.waitFor();
        await v.screenshot("states-offline");

        second = await startTestServer({ port: first.port });
        await retry.click();
        await connected(page);
        await until(async () => (await page.locator(".stale").count()) === 0, "live figures");
        await say(page, "lobby", "back online");
        await chatMessages(page).filter({ hasText: "back online" }).waitFor();
      });
    } finally {
      await first.shutdown();
      await second?.shutdown();
    }
  },
);

browserTest(
  "rooms: the directory and the room's count agree, and follow another visitor",
  async (b) => {
    await using srv = await startTestServer();
    await using ada = await visit(b, `${srv.origin}/`, DESKTOP);
    await using bob = await visit(b, `${srv.origin}/`, DESKTOP);
    await withShots("rooms", [ada, bob], async () => {
      // Every frame Ada's page sends, to show it never asks for the list.
      const sent: string[] = [];
      ada.page.on("websocket", (ws) =>
        ws.on("framesent", (f) => {
          sent.push(String(JSON.parse(String(f.payload)).type));
        }));
      await ada.page.reload();
      await connected(ada.page);
      await connected(bob.page);
      await joinRoom(ada.page, "deno");
      const page = ada.page;

      /** The count in the room's header and in the directory, read together. */
      const counts = (room: string) =>
        page.evaluate((room) => {
          const header = document.querySelector("[data-testid=room-size]")?.textContent ?? "";
          const row = [...document.querySelectorAll(".room-link")].find((el) =>
            el.querySelector(".room-link-name")?.textContent === `#${room}`
          );
          return {
            header: Number(/(\d+) members?/.exec(header)?.[1] ?? NaN),
            directory: Number(
              row?.querySelector(".size [aria-hidden], .size")?.textContent
                ?.replace(/\D/g, "") ?? NaN,
            ),
          };
        }, room);
      const agree = async (room: string, size: number) => {
        await until(async () => {
          const { header, directory } = await counts(room);
          return header === size && directory === size;
        }, `#${room} to count ${size} in its header and the directory`);
      };
      /** A room Ada is not in, as her directory shows it; 0 when it is not listed. */
      const listed = (room: string) =>
        page.evaluate((room) => {
          const row = [...document.querySelectorAll(".room-link")].find((el) =>
            el.querySelector(".room-link-name")?.textContent === `#${room}`
          );
          return row === undefined ? 0 : Number(row.querySelector(".size")!.textContent!
            .replace(/\D/g, ""));
        }, room);
      /** Waits for `room` to be listed with `size`, within about a second and a half. */
      const follows = async (room: string, size: number) => {
        const started = Date.now();
        await until(async () => (await listed(room)) === size, `#${room} listed with ${size}`);
        const took = Date.now() - started;
        assert.ok(took < 2500, `the directory followed in ${took} ms`);
      };

      await agree("deno", 1);
      await joinRoom(bob.page, "deno");
      await agree("deno", 2);
      await joinRoom(bob.page, "side");
      await follows("side", 1);
      await bob.page.getByRole("button", { name: "Leave #side" }).click();
      await follows("side", 0);
      await bob.page.getByRole("button", { name: "Show #deno joined 2 members" }).click();
      await bob.page.getByRole("button", { name: "Leave #deno" }).click();
      await agree("deno", 1);
      // And the lobby, which both are in: the same number in both places.
      await page.getByRole("button", { name: "#lobby" }).first().click();
      await agree("lobby", 2);

      assert.deepEqual(sent.filter((t) => t === "rooms"), [], "no polling");
      assert.equal(sent.filter((t) => t === "watch_rooms").length, 1, "watched once");
      assertNoErrors(ada, bob);
    });
  },
);
