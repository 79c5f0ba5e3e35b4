import assert from "node:assert/strict";
import { Context } from "./context.ts";
import { createDefine, type HandlerFn, type Middleware, page, type PageProps } from "./mod.ts";

interface State {
  user: string;
}

const define = createDefine<State>();

function newContext(): Context<State> {
  const ctx = new Context<State>({
    req: new Request("http://localhost/x"),
    url: new URL("http://localhost/x"),
    info: undefined,
    config: { root: "/" },
    route: "/x",
    params: {},
    ui: { app: null, layouts: [], page: null },
  });
  ctx.state.user = "ada";
  return ctx;
}

Deno.test("define helpers return what they are given", () => {
  const handlers = { GET: () => new Response("x") };
  assert.equal(define.handlers(handlers), handlers);
  const Page = () => <p>page</p>;
  assert.equal(define.page(Page), Page);
  const mw: Middleware<State> = (ctx) => ctx.next();
  assert.equal(define.middleware(mw), mw);
  const list = [mw, mw];
  assert.equal(define.middleware(list), list);
  const Layout = ({ Component }: PageProps<unknown, State>) => <div>{<Component />}</div>;
  assert.equal(define.layout(Layout), Layout);
});

Deno.test("define.handlers infers page data and state types", async () => {
  const handler = define.handlers({
    GET(ctx) {
      const user: string = ctx.state.user;
      return page({ count: 3, user }, { status: 201 });
    },
  });
  const result = await handler.GET(newContext());
  assert.deepEqual(result, { data: { count: 3, user: "ada" }, headers: undefined, status: 201 });

  const Page = define.page<typeof handler>(({ data, state }) => {
    const count: number = data.count;
    // @ts-expect-error: the handler's data has no `missing` field.
    const missing = data.missing;
    // @ts-expect-error: State has no `nope` field.
    const nope = state.nope;
    return <p>{count} {data.user} {state.user} {missing} {nope}</p>;
  });
  assert.equal(typeof Page, "function");
});

Deno.test("define.handlers accepts an explicit data type and a single function", async () => {
  const handler = define.handlers<{ slug: string }>((ctx) => page({ slug: ctx.url.pathname }));
  assert.equal(typeof handler, "function");
  // With an explicit Data type the handler is typed as the RouteHandler union.
  const result = await (handler as HandlerFn<{ slug: string }, State>)(newContext());
  assert.ok(!(result instanceof Response));
  assert.equal(result.data.slug, "/x");
  // @ts-expect-error: data must match the declared type.
  define.handlers<{ slug: string }>({ GET: () => page({ slug: 1 }) });
});

Deno.test("define.middleware types ctx.state", async () => {
  const mw = define.middleware((ctx) => new Response(ctx.state.user.toUpperCase()));
  assert.equal(await (await mw(newContext())).text(), "ADA");
});

Deno.test("page() without data and with options", () => {
  assert.deepEqual(page(), { data: undefined, headers: undefined, status: undefined });
  const headers = { "x-a": "1" };
  assert.deepEqual(page(1, { headers, status: 202 }), { data: 1, headers, status: 202 });
});
