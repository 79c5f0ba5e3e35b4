import assert from "node:assert/strict";
import { Context } from "./context.ts";
import { type PageProps, renderHtml, renderResponse, type UiTree } from "./render.ts";

interface State {
  user?: string;
}

function newContext(ui: UiTree): Context<State> {
  const ctx = new Context<State>({
    req: new Request("http://localhost/p/1"),
    url: new URL("http://localhost/p/1"),
    info: undefined,
    config: { root: "/" },
    route: "/p/:id",
    params: { id: "1" },
    ui,
  });
  ctx.state.user = "ada";
  return ctx;
}

const AppWrapper = ({ Component, state }: PageProps<unknown, State>) => (
  <html>
    <body data-user={state.user}>
      <Component />
    </body>
  </html>
);
const Outer = ({ Component, params }: PageProps) => (
  <div class="outer" data-id={params.id}>
    <Component />
  </div>
);
const Inner = ({ Component, route }: PageProps) => (
  <div class="inner" data-route={route}>
    <Component />
  </div>
);
const Page = ({ data, url }: PageProps<{ n: number } | undefined>) => (
  <p>
    page {data?.n} {url.pathname}
  </p>
);

const FULL: UiTree = { app: AppWrapper, layouts: [Outer, Inner], page: Page };

Deno.test("renderHtml nests app, layouts outer to inner, then the page, with props", () => {
  const ctx = newContext(FULL);
  assert.equal(
    renderHtml(ctx, { ui: FULL, data: { n: 5 } }),
    '<!DOCTYPE html><html><body data-user="ada"><div class="outer" data-id="1">' +
      '<div class="inner" data-route="/p/:id"><p>page 5 /p/1</p></div></div></body></html>',
  );
});

Deno.test("without _app, content is put in a minimal document", () => {
  const ui: UiTree = { app: null, layouts: [], page: null };
  assert.equal(
    renderHtml(newContext(ui), { ui, vnode: <h1>hi</h1>, data: undefined }),
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" ' +
      'content="width=device-width, initial-scale=1"></head><body><h1>hi</h1></body></html>',
  );
  assert.equal(
    renderHtml(newContext(ui), {
      ui,
      vnode: (
        <html lang="en">
          <body>own</body>
        </html>
      ),
      data: undefined,
    }),
    '<!DOCTYPE html><html lang="en"><body>own</body></html>',
  );
});

Deno.test("ctx.render: vnode, no vnode (the page), null (nothing), and config", async () => {
  const ctx = newContext(FULL);
  const withVnode = await (await ctx.render(<b>bold</b>)).text();
  assert.match(withVnode, /<div class="inner" data-route="\/p\/:id"><b>bold<\/b><\/div>/);
  const withPage = await (await ctx.render()).text();
  assert.match(withPage, /<p>page {2}\/p\/1<\/p>/);
  const empty = await (await ctx.render(null)).text();
  assert.match(empty, /<div class="inner" data-route="\/p\/:id"><\/div>/);
  const bare = await (await ctx.render(<b>x</b>, undefined, {
    skipAppWrapper: true,
    skipInheritedLayouts: true,
  })).text();
  assert.doesNotMatch(bare, /data-user|outer|inner/);
  assert.match(bare, /<body><b>x<\/b><\/body>/);
});

Deno.test("renderResponse takes status and headers from init and sets the HTML type", async () => {
  const ctx = newContext(FULL);
  const res = renderResponse(ctx, {
    ui: FULL,
    data: undefined,
    init: { status: 418, headers: { "x-a": "1", "content-type": "text/plain" } },
  });
  assert.equal(res.status, 418);
  assert.equal(res.headers.get("x-a"), "1");
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(await res.text(), /^<!DOCTYPE html>/);
});

Deno.test("ctx.render rejects (not throws) when a component throws", async () => {
  const Broken = () => {
    throw new Error("render failed");
  };
  const ui: UiTree = { app: null, layouts: [], page: Broken };
  const ctx = newContext(ui);
  const pending = ctx.render();
  assert.ok(pending instanceof Promise);
  await assert.rejects(pending, /render failed/);
});
