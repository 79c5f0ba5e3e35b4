import assert from "node:assert/strict";
import { Context } from "./context.ts";
import { type MiddlewareFn, runMiddlewares } from "./middleware.ts";

function newContext(): Context<{ log: string[] }> {
  return new Context({
    req: new Request("http://localhost/"),
    url: new URL("http://localhost/"),
    info: undefined,
    config: { root: "/" },
    route: null,
    params: {},
    ui: { app: null, layouts: [], page: null },
  });
}

Deno.test("runMiddlewares runs in order and unwinds in reverse", async () => {
  const ctx = newContext();
  const log: string[] = [];
  const mw = (name: string): MiddlewareFn<{ log: string[] }> => async (c) => {
    log.push(`${name} in`);
    const res = await c.next();
    log.push(`${name} out`);
    return res;
  };
  const res = await runMiddlewares(ctx, [mw("a"), mw("b")], () => {
    log.push("end");
    return new Response("end");
  });
  assert.equal(await res.text(), "end");
  assert.deepEqual(log, ["a in", "b in", "end", "b out", "a out"]);
});

Deno.test("a middleware that answers stops the chain", async () => {
  const ctx = newContext();
  let reached = false;
  const res = await runMiddlewares(ctx, [() => new Response("early"), () => {
    reached = true;
    return new Response("late");
  }], () => new Response("fallback"));
  assert.equal(await res.text(), "early");
  assert.equal(reached, false);
});

Deno.test("calling ctx.next() twice reaches the same successor", async () => {
  const ctx = newContext();
  const seen: string[] = [];
  const res = await runMiddlewares(ctx, [
    async (c) => {
      await c.next();
      return c.next();
    },
    (c) => {
      seen.push("second");
      return c.next();
    },
  ], () => {
    seen.push("fallback");
    return new Response("ok");
  });
  assert.equal(res.status, 200);
  assert.deepEqual(seen, ["second", "fallback", "second", "fallback"]);
});

Deno.test("a middleware returning no Response is an error naming it", async () => {
  const ctx = newContext();
  const forgetful = (() => undefined) as unknown as MiddlewareFn<{ log: string[] }>;
  Object.defineProperty(forgetful, "name", { value: "forgetful" });
  await assert.rejects(
    runMiddlewares(ctx, [forgetful], () => new Response("x")),
    (err: unknown) => err instanceof TypeError && /forgetful/.test(err.message),
  );
});
