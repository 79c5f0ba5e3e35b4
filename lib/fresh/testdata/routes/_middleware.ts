import { define, mark } from "../utils.ts";

export const handler = define.middleware(async (ctx) => {
  mark(ctx.state, "routes/_middleware");
  const res = await ctx.next();
  res.headers.set("x-root-middleware", "1");
  return res;
});
