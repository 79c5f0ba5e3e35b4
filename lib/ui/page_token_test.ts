import assert from "node:assert/strict";
import { AUTH_TOKEN_KEY, pageTokenSource } from "./page_token.ts";

/** A Map-backed `sessionStorage`. */
function storage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

Deno.test("page token: ?token= is kept for reloads and taken out of the address", async () => {
  const tab = storage();
  const shown: string[] = [];
  const parts = {
    hook: undefined,
    href: "https://chat.example/?room=ops&token=abc.def.ghi#x",
    replaceAddress: (url: string) => shown.push(url),
  };
  const source = pageTokenSource(tab, parts)!;
  assert.equal(await source(), "abc.def.ghi");
  assert.deepEqual(shown, ["https://chat.example/?room=ops#x"]);
  assert.equal(tab.map.get(AUTH_TOKEN_KEY), "abc.def.ghi");
  // The reload: no token in the address, the kept one serves.
  const reload = pageTokenSource(tab, { ...parts, href: "https://chat.example/?room=ops" })!;
  assert.equal(await reload(), "abc.def.ghi");
});

Deno.test("page token: the application's hook wins; with neither, the page is anonymous", async () => {
  const hook = () => Promise.resolve("from-hook");
  const href = "https://chat.example/?token=from-address";
  const source = pageTokenSource(storage(), { hook, href, replaceAddress() {} })!;
  assert.equal(await source(), "from-hook");
  const none = pageTokenSource(storage(), {
    hook: "not a function",
    href: "https://chat.example/",
    replaceAddress: () => assert.fail("nothing to take out"),
  });
  assert.equal(none, undefined);
  assert.equal(
    pageTokenSource(null, { hook: undefined, href: "https://c/", replaceAddress() {} }),
    undefined,
    "no storage, no token",
  );
});
