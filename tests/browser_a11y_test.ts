/**
 * The page `/` for everyone, in Debian's Chromium through Playwright against a real server:
 * notifications and the title count for a tab in the background (permission asked only after a
 * click), tap targets and field sizes on the phone and the desktop, axe-core's accessibility rules
 * on both layouts, light and dark, with a conversation and the details open, and errors said in
 * words before anything the hub would refuse is sent.
 *
 * Outside CI these tests are skipped, with the reason printed, when Chromium is missing.
 */

import assert from "node:assert/strict";
import { describeViolations, seriousViolations } from "./browser_axe.ts";
import {
  chatMessages,
  connected,
  dmPane,
  guestName,
  openView,
  say,
  sayDirect,
  setName,
  until,
  visit,
} from "./browser_helpers.ts";
import {
  assertNoErrors,
  browserTest,
  DESKTOP,
  PHONE,
  requestFrom,
  TITLE,
  withShots,
} from "./browser_product.ts";
import { startTestServer } from "./helpers.ts";

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
