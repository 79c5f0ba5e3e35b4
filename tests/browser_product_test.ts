/**
 * The page `/` used as a person would use it, in Debian's Chromium through Playwright against a
 * real server: the phone layout (chat in the first screen, views as tabs with unread badges, a
 * request banner in view), the unread count in the title, keyboard-only accepting and replying,
 * focus after each action, the stale and Offline states with the server stopped, room counts
 * that agree and follow another visitor's joins and leaves without polling, notifications for a
 * tab in the background, tap targets and field sizes, and axe-core's accessibility rules on the
 * desktop and phone layouts, light and dark, with a conversation open.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { describeViolations, seriousViolations } from "./browser_axe.ts";
import {
  browserSkipReason,
  chatMessages,
  connected,
  dmPane,
  guestName,
  joinRoom,
  launchChromium,
  openView,
  say,
  sayDirect,
  setName,
  stateBadge,
  until,
  visit,
  type Visitor,
} from "./browser_helpers.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

const skip = browserSkipReason();
const PHONE = { width: 375, height: 800 };
const DESKTOP = { width: 1280, height: 800 };
const TITLE = "Deno real-time hub";

/** Playwright keeps pipes and timers of its own; each test closes its browser and server. */
function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
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
async function withShots(name: string, visitors: Visitor[], fn: () => Promise<void>) {
  try {
    await fn();
  } catch (err) {
    await Promise.all(visitors.map((v, i) => v.screenshot(`${name}-${i}-failed`).catch(() => {})));
    throw err;
  }
}

function assertNoErrors(...visitors: Visitor[]) {
  for (const v of visitors) {
    assert.deepEqual(v.errors, [], "the page logged errors");
    assert.deepEqual(v.dialogs, [], "a dialog opened");
  }
}

/** Asks `page`'s session for a conversation from `from`, by pasting its id. */
async function requestFrom(from: Page, to: Page): Promise<void> {
  const id = await connected(to);
  await openView(from, "Direct messages");
  const box = from.getByRole("textbox", { name: "Session id" });
  await box.fill(id);
  await box.press("Enter");
  await from.getByText("Request sent.").first().waitFor();
}

/** Whether the element's box lies wholly within the first screen (the viewport, unscrolled). */
async function inFirstScreen(page: Page, selector: string): Promise<boolean> {
  return await page.locator(selector).first().evaluate((el) => {
    const box = el.getBoundingClientRect();
    return scrollY === 0 && box.top >= 0 && box.bottom <= innerHeight && box.height > 0;
  });
}

/** The id of the focused element, or its tag when it has none. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el === null ? "" : el.id || el.tagName.toLowerCase();
  });
}

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

browserTest(
  "background: the title counts and a notification comes, asked for after a click",
  async (b) => {
    await using srv = await startTestServer();
    await using bob = await visit(b, `${srv.origin}/`, DESKTOP);
    const context = await b.newContext({ viewport: DESKTOP });
    await context.grantPermissions(["notifications"]);
    const page = await context.newPage();
    // A Notification that records, and a switch for the tab's visibility.
    await page.addInitScript(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      const shown: string[] = [];
      let asked = 0;
      let permission = "default";
      g.__notes = shown;
      g.__asked = () => asked;
      g.__hidden = false;
      g.Notification = class {
        static get permission() {
          return permission;
        }
        static requestPermission() {
          asked++;
          permission = "granted";
          return Promise.resolve(permission);
        }
        constructor(title: string, options: { body: string }) {
          shown.push(`${title}: ${options.body}`);
        }
        addEventListener() {}
        close() {}
      };
      Object.defineProperty(document, "visibilityState", {
        get: () => g.__hidden ? "hidden" : "visible",
      });
    });
    const hide = (hidden: boolean) =>
      page.evaluate((hidden) => {
        (globalThis as unknown as Record<string, unknown>).__hidden = hidden;
        document.dispatchEvent(new Event("visibilitychange"));
      }, hidden);
    const notes = () =>
      page.evaluate(() => (globalThis as unknown as { __notes: string[] }).__notes);
    const asked = () =>
      page.evaluate(() => (globalThis as unknown as { __asked(): number }).__asked());
    try {
      await page.goto(`${srv.origin}/`);
      await connected(page);
      await setName(bob.page, "Bob");
      assert.equal(await asked(), 0, "nothing asked on load");

      // Out of sight, even the room shown counts.
      await hide(true);
      await say(bob.page, "lobby", "anyone?");
      await until(async () => (await page.title()) === `(1) ${TITLE}`, "the title's count");
      await hide(false);
      await until(async () => (await page.title()) === TITLE, "read once in sight");

      // Accepting is what asks for notifications; a message then comes as one while hidden.
      await requestFrom(bob.page, page);
      assert.deepEqual(await notes(), [], "not allowed yet: no notification");
      await page.getByTestId("dm-banner").getByRole("button", { name: "Accept" }).click();
      await dmPane(page, "Bob").getByText("You accepted.").waitFor();
      assert.equal(await asked(), 1, "asked once, after the click");
      await hide(true);
      await sayDirect(bob.page, await guestName(page), "psst");
      await until(async () => (await notes()).includes("Bob: psst"), "a notification");
      await until(async () => (await page.title()) === `(1) ${TITLE}`, "counted as unread");
      await hide(false);
      await until(async () => (await page.title()) === TITLE, "read once in sight");
    } finally {
      await context.close();
    }
  },
);

browserTest(
  "touch and type: 44 px targets, 16 px fields, on the phone and the desktop",
  async (b) => {
    await using srv = await startTestServer();
    await using grace = await visit(b, `${srv.origin}/`, DESKTOP);
    for (const size of [PHONE, DESKTOP]) {
      await using v = await visit(b, `${srv.origin}/`, size);
      await withShots(`touch-${size.width}`, [v], async () => {
        await connected(v.page);
        await requestFrom(grace.page, v.page);
        await v.page.getByTestId("dm-banner").waitFor();
        for (const view of ["Chat", "Direct messages", "Numbers"] as const) {
          await openView(v.page, view);
          const small = await v.page.evaluate(() =>
            [...document.querySelectorAll("button, input, summary, a")].flatMap((el) => {
              const box = el.getBoundingClientRect();
              if (
                box.width === 0 || el.closest(".visually-hidden, .skip-link, .site-foot")
              ) return [];
              const font = parseFloat(getComputedStyle(el).fontSize);
              const name = `${el.tagName} ${el.id || el.textContent?.trim().slice(0, 20)}`;
              if (box.height < 44) return [`${name}: ${box.height} px tall`];
              if (el.tagName === "INPUT" && font < 16) return [`${name}: ${font} px text`];
              return [];
            })
          );
          assert.deepEqual(small, [], `${size.width} px, ${view}`);
        }
        await grace.page.getByRole("button", { name: "Withdraw" }).click();
      });
    }
  },
);

browserTest(
  "accessibility: axe finds nothing serious, desktop and phone, light and dark",
  async (b) => {
    await using srv = await startTestServer({ heartbeatMs: 1000 });
    await using grace = await visit(b, `${srv.origin}/`, DESKTOP);
    await setName(grace.page, "Grace");
    for (const scheme of ["light", "dark"] as const) {
      for (const size of [DESKTOP, PHONE]) {
        const context = await b.newContext({ viewport: size, colorScheme: scheme });
        const page = await context.newPage();
        const where = `${size.width} px, ${scheme}`;
        try {
          await page.goto(`${srv.origin}/`);
          await connected(page);
          await say(grace.page, "lobby", `Hello (${where})`);
          await chatMessages(page).filter({ hasText: where }).waitFor();
          let found = await seriousViolations(page);
          assert.deepEqual(found, [], `${where}, arriving:\n${describeViolations(found)}`);

          // With a request in the banner, then with the conversation open and a message in it.
          await requestFrom(grace.page, page);
          await page.getByTestId("dm-banner").getByRole("button", { name: "Accept" }).click();
          const me = await guestName(page);
          await sayDirect(grace.page, me, "hi");
          await dmPane(page, "Grace").locator(".message").filter({ hasText: "hi" }).waitFor();
          found = await seriousViolations(page);
          assert.deepEqual(found, [], `${where}, conversation open:\n${describeViolations(found)}`);

          // And with the connection details open.
          await page.getByRole("button", { name: /connection details/ }).click();
          await page.getByRole("region", { name: "Your connection" }).waitFor();
          found = await seriousViolations(page);
          assert.deepEqual(found, [], `${where}, details open:\n${describeViolations(found)}`);
          await page.keyboard.press("Escape");
          await dmPane(grace.page, me).getByRole("button", { name: "Close" }).click();
        } finally {
          await context.close();
        }
      }
    }
    // The control: axe does report what it should (an image without a text alternative).
    const context = await b.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${srv.origin}/`);
      await page.evaluate(() =>
        document.querySelector("main")!.append(document.createElement("img"))
      );
      const found = await seriousViolations(page);
      assert.deepEqual(found.map((v) => v.id), ["image-alt"]);
    } finally {
      await context.close();
    }
  },
);

browserTest(
  "errors for people: what the hub would refuse is said in words and never sent",
  async (b) => {
    await using srv = await startTestServer();
    await using v = await visit(b, `${srv.origin}/`, DESKTOP);
    await withShots("errors", [v], async () => {
      const sent: { type: string; data?: Record<string, unknown> }[] = [];
      v.page.on("websocket", (ws) =>
        ws.on("framesent", (f) => {
          sent.push(JSON.parse(String(f.payload)));
        }));
      await v.page.reload();
      await connected(v.page);
      const page = v.page;

      // A pasted id that is not one.
      const id = page.getByRole("textbox", { name: "Session id" });
      await id.fill("data.to");
      await id.press("Enter");
      await page.getByRole("alert").getByText("That is not a session id.").waitFor();
      // A room name with a space.
      await page.getByLabel("Room to join or create").fill("two words");
      await page.getByLabel("Room to join or create").press("Enter");
      await page.getByRole("alert").getByText("A room name is 1 to 64 letters").waitFor();
      // Names: Save stays disabled, and the reason shows, for an empty or invisible name.
      await page.getByRole("button", { name: /connection details/ }).click();
      const name = page.getByLabel("Display name");
      const save = page.getByRole("region", { name: "Your connection" })
        .getByRole("button", { name: "Save" });
      for (
        const [typed, reason] of [
          ["", "Type a name first."],
          ["evil\u202E", "A name cannot contain invisible characters (U+202E)"],
          ["guest-me", 'A name cannot start with "guest-"'],
        ]
      ) {
        await name.fill(typed);
        await page.getByText(reason).waitFor();
        assert.ok(await save.isDisabled(), `Save disabled for ${JSON.stringify(typed)}`);
        await name.press("Enter");
      }
      await name.fill("Ada");
      assert.ok(await save.isEnabled(), "Save enabled for a good name");

      const refused = sent.filter((f) =>
        f.type === "dm_request" || f.type === "set_name" ||
        (f.type === "join" && f.data?.room !== "lobby")
      );
      assert.deepEqual(refused, [], "nothing the hub would refuse was sent");
      assertNoErrors(v);
    });
  },
);
