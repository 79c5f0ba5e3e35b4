import { define } from "../../utils.ts";

// One function for every method.
export const handler = define.handlers((ctx) => {
  return new Response(`${ctx.req.method} ${ctx.url.pathname}`);
});
