import assert from "node:assert/strict";
import { signal } from "@preact/signals";
import { renderToString } from "preact-render-to-string";
import { App, staticFiles } from "./mod.ts";
import {
  collectIslands,
  type IslandDef,
  islandScripts,
  islandsOf,
  registerIslands,
} from "./islands.ts";
import { parse } from "./serialize.ts";
import { TRICKY } from "./testdata/browser.ts";

const ROOT = new URL("./testdata/", import.meta.url);

function fixture() {
  return new App({ root: ROOT }).use(staticFiles()).fsRoutes().handler();
}

async function get(path: string, init?: RequestInit) {
  return await fixture()(new Request(`http://localhost${path}`, init));
}

/** Silences console.error while `fn` runs and returns what was logged. */
async function capturingErrors(fn: () => Promise<void>): Promise<string> {
  const original = console.error;
  const logged: string[] = [];
  console.error = (...args: unknown[]) => logged.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return logged.join("\n");
}

Deno.test("SSR marks each outermost island and keeps its props for the browser", async () => {
  const res = await get("/islands");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(
    html,
    /<!--frsh:island:Counter:0--><div class="counter"><button type="button">add 3<\/button><span class="env">server<\/span>.*<em class="badge">inside<\/em><\/div><!--\/frsh:island-->/,
  );
  assert.match(
    html,
    /<!--frsh:island:panels_Clicks:1--><p class="clicks">clicks: 0<\/p><!--\/frsh:island-->/,
  );
  assert.match(html, /<!--frsh:island:panels_Echo:2--><section class="echo">/);
  // Badge, rendered inside Counter, is part of Counter and not an island of its own.
  assert.doesNotMatch(html, /frsh:island:panels_Badge/);

  const state = html.match(/<script id="__FRSH_STATE" type="application\/json">(.*?)<\/script>/);
  assert.ok(state, "state script");
  const props = parse(state[1]) as Record<string, unknown>[];
  assert.equal(props.length, 3);
  const [counter, clicks, echo] = props as [
    { count: { value: number }; since: Date; label: string },
    Record<string, never>,
    { text: string; count: unknown; when: Date; nested: unknown },
  ];
  assert.equal(counter.count.value, 3);
  assert.ok(counter.since instanceof Date);
  assert.equal(counter.since.toISOString(), "2020-01-02T03:04:05.000Z");
  assert.equal(counter.label, "add");
  assert.deepEqual(clicks, {});
  assert.equal(echo.text, TRICKY);
  assert.equal(echo.count, counter.count, "one signal given to two islands stays one");
  assert.deepEqual(echo.nested, { list: [1, { deep: "x" }, { deep: null }], empty: {} });

  // The tricky string is escaped in the state and rendered as text in the markup.
  assert.equal(html.match(/<\/script>/g)?.length, 3, "only the three real script ends");
  assert.equal(html.match(/<script/g)?.length, 3);
  assert.doesNotMatch(state[1], /<!--/);
});

Deno.test("the page loads the boot script from a file, with its plan as data and no inline code", async () => {
  const html = await (await get("/islands")).text();
  const tail = html.match(/<script id="__FRSH_BOOT"[^]*<\/body>/)?.[0];
  assert.ok(tail, "boot plan, preloads and boot script right before </body>");
  assert.equal(
    tail,
    '<script id="__FRSH_BOOT" type="application/json">' +
      '{"islands":[["Counter","/_fresh/js/testdata/islands/Counter.js","default"],' +
      '["panels_Clicks","/_fresh/js/testdata/islands/panels.js","Clicks"],' +
      '["panels_Echo","/_fresh/js/testdata/islands/panels.js","Echo"]],"buildId":null}</script>' +
      '<link rel="modulepreload" href="/_fresh/js/testdata/islands/Counter.js">' +
      '<link rel="modulepreload" href="/_fresh/js/testdata/islands/panels.js">' +
      '<script type="module" src="/_fresh/js/client/boot.js"></script></body>',
  );
  // Every <script> is a data block or has a src: a CSP of script-src 'self' needs no nonce.
  for (const [tag] of html.matchAll(/<script[^>]*>/g)) {
    assert.match(tag, /type="application\/json"| src="/, tag);
  }
});

Deno.test("islandScripts escapes the boot plan for a script element and URLs for attributes", () => {
  const def: IslandDef = {
    name: "Odd",
    exportName: "</script><!--",
    file: "/x/islands/odd.tsx",
    source: "islands/odd.tsx",
    component: () => null,
  };
  const html = islandScripts([{ def, props: {} }], {
    boot: '/boot.js?a=1&b="2"',
    chunk: () => "/odd.js?<x>",
    buildId: null,
  });
  assert.equal(html.match(/<\/script>/g)?.length, 3, "no script end inside the data");
  assert.doesNotMatch(html, /<!--/);
  assert.match(html, /"\\u003c\/script>\\u003c!--"/);
  assert.match(html, /href="\/odd\.js\?&#60;x&#62;"/);
  assert.match(html, /src="\/boot\.js\?a=1&#38;b=&#34;2&#34;"/);
});

Deno.test("pages without islands get no scripts", async () => {
  const html = await (await get("/about")).text();
  assert.doesNotMatch(html, /<script|frsh:island/);
});

Deno.test("dev mode serves the bundle from memory: entries revalidate, chunks are immutable", async () => {
  const handler = fixture();
  const fetchJs = (path: string, init?: RequestInit) =>
    handler(new Request(`http://localhost${path}`, init));
  const boot = await fetchJs("/_fresh/js/client/boot.js");
  assert.equal(boot.status, 200);
  assert.equal(boot.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(boot.headers.get("cache-control"), "no-cache");
  const source = await boot.text();
  assert.match(source, /export\s*\{[^}]*boot/);
  const chunk = source.match(/from "(\.\.\/chunk-[A-Z0-9]+\.js)"/)?.[1];
  assert.ok(chunk, "boot imports a shared chunk");
  const chunkRes = await fetchJs(new URL(chunk, "http://x/_fresh/js/client/").pathname);
  assert.equal(chunkRes.status, 200);
  assert.equal(chunkRes.headers.get("cache-control"), "public, max-age=31536000, immutable");
  await chunkRes.body?.cancel();
  const again = await fetchJs("/_fresh/js/client/boot.js", {
    headers: { "if-none-match": boot.headers.get("etag")! },
  });
  assert.equal(again.status, 304);
  const head = await fetchJs("/_fresh/js/testdata/islands/Counter.js", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  const missing = await fetchJs("/_fresh/js/nope.js");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("a function prop is refused with an error naming the island and the prop", async () => {
  let res: Response | undefined;
  const logged = await capturingErrors(async () => {
    res = await get("/bad-island");
  });
  assert.equal(res?.status, 500);
  await res?.body?.cancel();
  assert.match(
    logged,
    /Island "panels_Echo" \(islands\/panels\.tsx\): prop onPick is a function\. Island props are sent to the browser and must be serializable data/,
  );
});

Deno.test("islandsOf names default exports by file and named ones by file and export", () => {
  const A = () => null;
  const B = () => null;
  const C = () => null;
  const defs = islandsOf([
    { file: "/x/islands/Chat.tsx", rel: "Chat.tsx", mod: { default: A, helper: 3 } },
    {
      file: "/x/islands/chat/room-list.tsx",
      rel: "chat/room-list.tsx",
      mod: { Room: B, default: C },
    },
  ]);
  assert.deepEqual(
    defs.map((d) => [d.name, d.exportName, d.source]),
    [
      ["Chat", "default", "islands/Chat.tsx"],
      ["chat_room_list_Room", "Room", "islands/chat/room-list.tsx"],
      ["chat_room_list", "default", "islands/chat/room-list.tsx"],
    ],
  );
});

Deno.test("islands render plainly outside a page render, and marked inside one", () => {
  const Thing = ({ n }: { n: number }) => <b>{n}</b>;
  const def: IslandDef = {
    name: "Thing",
    exportName: "default",
    file: "/x/islands/Thing.tsx",
    source: "islands/Thing.tsx",
    component: Thing,
  };
  registerIslands([def]);
  assert.equal(renderToString(<Thing n={1} />), "<b>1</b>");
  const { result, islands } = collectIslands(() =>
    renderToString(
      <div>
        <Thing n={2} />
        <Thing n={3} />
      </div>,
    )
  );
  assert.equal(
    result,
    "<div><!--frsh:island:Thing:0--><b>2</b><!--/frsh:island-->" +
      "<!--frsh:island:Thing:1--><b>3</b><!--/frsh:island--></div>",
  );
  assert.deepEqual(islands.map((i) => i.props), [{ n: 2 }, { n: 3 }]);
  const html = islandScripts(islands, {
    boot: "/boot.js",
    buildId: "b1",
    chunk: () => "/thing.js",
  });
  assert.match(html, /\{"islands":\[\["Thing","\/thing\.js","default"\]\],"buildId":"b1"\}/);
  assert.equal(islandScripts([], null), "");
  assert.equal(
    islandScripts([{ def, props: { s: signal(1) } }], null),
    '<script id="__FRSH_STATE" type="application/json">[[1],{"s":2},["Signal",3],1]</script>',
  );
});
